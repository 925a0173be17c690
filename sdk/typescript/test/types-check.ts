// Compiled (not run) by `npm test` (tsc -p tsconfig.test.json): the published declarations
// speak camelCase and keep the contract's names; each @ts-expect-error fails the build when the
// line it marks starts compiling.
import { Gatehouse, GatehouseError, requireAuth, createAgent, type Session, type NewAPIKey, type Verification } from "../dist/index.js";

export async function contract(gh: Gatehouse): Promise<void> {
  const ses: Session = await gh.auth.login({ username: "a", password: "b" });
  const expires: string = ses.expiresAt;
  const shown: string = ses.user.displayName;
  // @ts-expect-error the wire's snake_case is not the SDK's
  void ses.expires_at;
  const key: NewAPIKey = await gh.apiKeys.create("org", { name: "k", scopes: ["calls:read"], environment: "live", allowedCidrs: ["10.0.0.0/8"] });
  const cidrs: string[] = key.allowedCidrs;
  const v: Verification = await gh.verify("tok", { scopes: ["calls:read"], ip: "10.0.0.1" });
  if (v.valid && "principal" in v) void v.principal.username;
  const { agentToken } = await createAgent({ apiUrl: "http://x", userToken: "t", name: "bot" });
  // @ts-expect-error apiUrl is required
  await createAgent({ userToken: "t", name: "bot" });
  const mw = requireAuth({ baseUrl: "http://x", verifierToken: "k", scopes: ["calls:read"] });
  const e = new GatehouseError({ status: 429, code: "rate_limited", description: "", retryAfter: 3 });
  const retry: number | undefined = e.retryAfter;
  void [expires, shown, cidrs, agentToken, mw, retry];
}
