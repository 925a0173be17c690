// The Gatehouse class: the native /v1 API, camelCase in and out.
import type {
  Agent,
  AgentWithToken,
  APIKey,
  EmailChange,
  Member,
  NewAPIKey,
  NewToken,
  Org,
  ProfileUpdate,
  RotatedAPIKey,
  Session,
  Token,
  User,
  Verification,
} from "./types.js";
import { type Call, seg, send } from "./wire.js";

/** Options of new Gatehouse: the server's base URL and, for signed-in calls, a bearer token. */
export interface GatehouseOptions {
  /** The server, e.g. "https://auth.example.com" (a path prefix is kept). */
  baseUrl: string;
  /** A session token, personal access token, agent session or API key. */
  token?: string | undefined;
}

/** Fields of auth.register. */
export interface RegisterInput {
  username: string;
  password: string;
  email?: string;
  displayName?: string;
}

/** Fields of auth.login (username is the username or the email address). */
export interface LoginInput {
  username: string;
  password: string;
}

/** Fields of tokens.create; expiresIn is 30d, 90d, 1y, never (or a Go duration). */
export interface CreateTokenInput {
  name: string;
  expiresIn: string;
  scopes?: string[];
}

/** Fields of agents.create. */
export interface CreateAgentInput {
  name: string;
  role?: string;
}

/** Fields of orgs.create. */
export interface CreateOrgInput {
  name: string;
}

/** Fields of apiKeys.create; environment is "live" or "test". */
export interface CreateAPIKeyInput {
  name: string;
  scopes: string[];
  environment: string;
  allowedCidrs?: string[];
  expiresAt?: string | Date | null;
  /** A per-key rate limit such as "100/m". */
  rateLimit?: string | null;
}

/** Options of apiKeys.rotate: how long the old key keeps working (a Go duration, e.g. "1h"). */
export interface RotateAPIKeyInput {
  overlap?: string;
}

/** Options of verify: scopes the credential must hold, and the caller's IP for CIDR-bound keys. */
export interface VerifyOptions {
  scopes?: string[];
  ip?: string;
}

interface List<T> {
  data: T[];
}

/**
 * Gatehouse is a client of one Gatehouse server. Every method is async and throws
 * GatehouseError on an error answer.
 */
export class Gatehouse {
  /** The server's base URL. */
  readonly baseUrl: string;
  /** The bearer token sent with every call (undefined: none). */
  token: string | undefined;

  constructor({ baseUrl, token }: GatehouseOptions) {
    if (!baseUrl) throw new TypeError("Gatehouse: baseUrl is required");
    this.baseUrl = baseUrl;
    this.token = token;
  }

  private async call<T>(c: Call): Promise<T> {
    return (await send<T>(this.baseUrl, { token: this.token, ...c })).body;
  }

  private async list<T>(path: string): Promise<T[]> {
    return (await this.call<List<T>>({ method: "GET", path })).data;
  }

  /** Registration, sign-in and agent token exchange. */
  readonly auth = {
    /** Creates an account and signs it in: POST /v1/auth/register. */
    register: (input: RegisterInput): Promise<Session> =>
      this.call({ method: "POST", path: "v1/auth/register", body: input, token: undefined }),
    /** Signs in with a username (or email address) and password: POST /v1/auth/login. */
    login: (input: LoginInput): Promise<Session> =>
      this.call({ method: "POST", path: "v1/auth/login", body: input, token: undefined }),
    /** Ends the session of the client's token: POST /v1/auth/logout. */
    logout: async (): Promise<void> => {
      await this.call({ method: "POST", path: "v1/auth/logout" });
    },
    /** Exchanges an agent token for an agent session: POST /v1/auth/agent. */
    exchangeAgentToken: (agentToken: string): Promise<Session> =>
      this.call({ method: "POST", path: "v1/auth/agent", body: { agentToken }, token: undefined }),
  };

  /** The caller's account. */
  readonly me = {
    /** The caller: GET /v1/me. */
    get: (): Promise<User> => this.call({ method: "GET", path: "v1/me" }),
    /**
     * Changes profile fields: PATCH /v1/me. A new email address answers { pendingEmail }
     * until it is confirmed.
     */
    update: (input: ProfileUpdate): Promise<User | EmailChange> => this.call({ method: "PATCH", path: "v1/me", body: input }),
  };

  /** Personal access tokens. */
  readonly tokens = {
    /** Creates a personal access token (its secret, token, is shown once): POST /v1/auth/tokens. */
    create: (input: CreateTokenInput): Promise<NewToken> => this.call({ method: "POST", path: "v1/auth/tokens", body: input }),
    /** The caller's personal access tokens (never their secrets): GET /v1/auth/tokens. */
    list: (): Promise<Token[]> => this.list("v1/auth/tokens"),
    /** Revokes one: DELETE /v1/auth/tokens/{id}. */
    revoke: async (id: string): Promise<void> => {
      await this.call({ method: "DELETE", path: `v1/auth/tokens/${seg(id)}` });
    },
  };

  /** Agents the caller owns. */
  readonly agents = {
    /** Creates an agent and its agent token (shown once): POST /v1/agents. */
    create: (input: CreateAgentInput): Promise<AgentWithToken> => this.call({ method: "POST", path: "v1/agents", body: input }),
    /** The caller's agents: GET /v1/agents. */
    list: (): Promise<Agent[]> => this.list("v1/agents"),
    /** Verifies (activates) an agent: POST /v1/agents/{id}/verify. */
    verify: (agentId: string): Promise<Agent> => this.call({ method: "POST", path: `v1/agents/${seg(agentId)}/verify` }),
    /** Issues a new agent token, revoking the old one: POST /v1/agents/{id}/rotate. */
    rotate: (agentId: string): Promise<AgentWithToken> =>
      this.call({ method: "POST", path: `v1/agents/${seg(agentId)}/rotate` }),
    /** Gives the agent to another person (username or user id): POST /v1/agents/{id}/transfer. */
    transfer: (agentId: string, newOwner: string): Promise<Agent> =>
      this.call({ method: "POST", path: `v1/agents/${seg(agentId)}/transfer`, body: { newOwner } }),
  };

  /** Organizations. */
  readonly orgs = {
    /** Creates an organization, the caller its owner: POST /v1/orgs. */
    create: (input: CreateOrgInput): Promise<Org> => this.call({ method: "POST", path: "v1/orgs", body: input }),
    /** The caller's organizations: GET /v1/me/orgs. */
    list: (): Promise<Org[]> => this.list("v1/me/orgs"),
    /** Adds one of the caller's agents to an organization: POST /v1/orgs/{org}/agents. */
    addAgent: (orgId: string, agentId: string): Promise<Member> =>
      this.call({ method: "POST", path: `v1/orgs/${seg(orgId)}/agents`, body: { agentId } }),
  };

  /** Organizations' API keys. */
  readonly apiKeys = {
    /** Creates an API key (its secret, key, is shown once): POST /v1/orgs/{org}/api-keys. */
    create: (orgId: string, input: CreateAPIKeyInput): Promise<NewAPIKey> =>
      this.call({
        method: "POST",
        path: `v1/orgs/${seg(orgId)}/api-keys`,
        body: { allowedCidrs: [], expiresAt: null, rateLimit: null, ...input },
      }),
    /** The organization's API keys (never their secrets): GET /v1/orgs/{org}/api-keys. */
    list: (orgId: string): Promise<APIKey[]> => this.list(`v1/orgs/${seg(orgId)}/api-keys`),
    /** Issues the key's successor: POST /v1/orgs/{org}/api-keys/{id}/rotate. */
    rotate: (orgId: string, keyId: string, input: RotateAPIKeyInput = {}): Promise<RotatedAPIKey> =>
      this.call({ method: "POST", path: `v1/orgs/${seg(orgId)}/api-keys/${seg(keyId)}/rotate`, body: input }),
    /** Revokes a key: DELETE /v1/orgs/{org}/api-keys/{id}. */
    revoke: async (orgId: string, keyId: string): Promise<void> => {
      await this.call({ method: "DELETE", path: `v1/orgs/${seg(orgId)}/api-keys/${seg(keyId)}` });
    },
  };

  /**
   * Checks any credential: POST /v1/verify. The client's token must be a verifier's (an
   * instance administrator, or an API key with the gatehouse:verify scope). An invalid
   * credential is an answer ({ valid: false, code }), not an error.
   */
  verify(token: string, options: VerifyOptions = {}): Promise<Verification> {
    return this.call({ method: "POST", path: "v1/verify", body: { token, ...options } });
  }
}
