// The Crustocean-style functions: one call each, ({ apiUrl, ... }), over the native /v1 routes
// (so they work against any Gatehouse, with the crustocean profile or without).
import { Gatehouse } from "./client.js";
import type { Agent, AgentWithToken, Member, NewToken, Session } from "./types.js";

/** Where to call: Gatehouse's base URL. */
export interface ApiUrl {
  apiUrl: string;
}

/** A signed-in call: the base URL and the caller's session token or personal access token. */
export interface UserCall extends ApiUrl {
  userToken: string;
}

function as(apiUrl: string, token?: string): Gatehouse {
  return new Gatehouse({ baseUrl: apiUrl, token });
}

/** Creates an account and signs it in → { token, expiresAt, user }. */
export function register({ apiUrl, ...input }: ApiUrl & { username: string; password: string; email?: string; displayName?: string }): Promise<Session> {
  return as(apiUrl).auth.register(input);
}

/** Signs in → { token, expiresAt, user }; token is a session token for userToken. */
export function login({ apiUrl, username, password }: ApiUrl & { username: string; password: string }): Promise<Session> {
  return as(apiUrl).auth.login({ username, password });
}

/** Creates an agent → { agent, agentToken } (save agentToken: it is shown once). */
export function createAgent({ apiUrl, userToken, name, role }: UserCall & { name: string; role?: string }): Promise<AgentWithToken> {
  return as(apiUrl, userToken).agents.create(role === undefined ? { name } : { name, role });
}

/** Verifies (activates) an agent: required once before its token signs in. */
export function verifyAgent({ apiUrl, userToken, agentId }: UserCall & { agentId: string }): Promise<Agent> {
  return as(apiUrl, userToken).agents.verify(agentId);
}

/** Gives an agent to another person (newOwner: username or user id). */
export function transferAgent({ apiUrl, userToken, agentId, newOwner }: UserCall & { agentId: string; newOwner: string }): Promise<Agent> {
  return as(apiUrl, userToken).agents.transfer(agentId, newOwner);
}

/** Adds an agent to an agency (a Gatehouse organization): POST /v1/orgs/{agencyId}/agents. */
export function addAgentToAgency({ apiUrl, userToken, agentId, agencyId }: UserCall & { agentId: string; agencyId: string }): Promise<Member> {
  return as(apiUrl, userToken).orgs.addAgent(agencyId, agentId);
}

/** Creates a personal access token → { token, ... } (expiresIn: 30d, 90d, 1y or never). */
export function createToken({ apiUrl, userToken, name, expiresIn, scopes }: UserCall & { name: string; expiresIn: string; scopes?: string[] }): Promise<NewToken> {
  return as(apiUrl, userToken).tokens.create(scopes === undefined ? { name, expiresIn } : { name, expiresIn, scopes });
}
