/**
 * @gatehouse/sdk: a client of Gatehouse's native /v1 API (the Gatehouse class), the
 * Crustocean-style functions, and requireAuth, Node middleware for resource servers.
 * Fields are camelCase; the wire's snake_case is mapped both ways.
 */
export { Gatehouse } from "./client.js";
export type {
  CreateAgentInput,
  CreateAPIKeyInput,
  CreateOrgInput,
  CreateTokenInput,
  GatehouseOptions,
  LoginInput,
  RegisterInput,
  RotateAPIKeyInput,
  VerifyOptions,
} from "./client.js";
export { GatehouseError } from "./errors.js";
export type { GatehouseErrorInit } from "./errors.js";
export { addAgentToAgency, createAgent, createToken, login, register, transferAgent, verifyAgent } from "./crustocean.js";
export type { ApiUrl, UserCall } from "./crustocean.js";
export { requireAuth } from "./middleware.js";
export type { AuthenticatedRequest, Middleware, RequireAuthOptions } from "./middleware.js";
export type * from "./types.js";
export type { components, paths, operations } from "./generated/openapi.js";
