// The SDK's types: the generated wire schemas (src/generated/openapi.ts, snake_case) with their
// field names mapped to camelCase, as the SDK's runtime mapping (wire.ts) does.
import type { components } from "./generated/openapi.js";

type Schemas = components["schemas"];

/** CamelCase turns a snake_case name into camelCase ("expires_at" → "expiresAt"). */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** Camelize maps an object type's field names to camelCase, recursively. */
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camelize<T[K]> }
    : T;

/** An account: a person or an agent (kind), as GET /v1/me answers it. */
export type User = Camelize<Schemas["User"]>;
/** A signed-in session: its bearer token (shown once), when it ends, and the account. */
export type Session = Camelize<Schemas["Session"]>;
/** The answer of me.update when it started an email change (the address must be confirmed). */
export type EmailChange = Camelize<Schemas["EmailChange"]>;
/** The fields me.update may change. */
export type ProfileUpdate = Camelize<Schemas["ProfileUpdate"]>;
/** A personal access token as listed (never the secret). */
export type Token = Camelize<Schemas["Token"]>;
/** A new personal access token, with its secret (shown once). */
export type NewToken = Camelize<Schemas["NewToken"]>;
/** An agent owned by a person. */
export type Agent = Camelize<Schemas["Agent"]>;
/** An agent and its agent token (shown once). */
export type AgentWithToken = Camelize<Schemas["AgentWithToken"]>;
/** An organization as its member sees it (with the member's role). */
export type Org = Camelize<Schemas["Org"]>;
/** A member of an organization (a person or an agent). */
export type Member = Camelize<Schemas["Member"]>;
/** An organization's API key as listed (never the secret). */
export type APIKey = Camelize<Schemas["APIKey"]>;
/** A new API key, with its secret (shown once). */
export type NewAPIKey = Camelize<Schemas["NewAPIKey"]>;
/** A rotated API key: the new key, and which key it replaces until when. */
export type RotatedAPIKey = Camelize<Schemas["RotatedAPIKey"]>;
/** A valid credential as /v1/verify describes it. */
export type VerifyValid = Camelize<Schemas["VerifyValid"]>;
/** An invalid credential as /v1/verify describes it (code says why). */
export type VerifyFailure = Camelize<Schemas["VerifyFailure"]>;
/** The answer of verify: valid (with the principal) or not (with a code). */
export type Verification = VerifyValid | VerifyFailure;
/** Who a valid credential acts for. */
export type VerifiedPrincipal = Camelize<Schemas["VerifiedPrincipal"]>;
/** The error answer every route gives (snake_case, as on the wire). */
export type ErrorBody = Schemas["ErrorBody"];
