// requireAuth: Node (req, res, next) middleware that lets a request through only when its bearer
// credential is valid according to Gatehouse's /v1/verify.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Gatehouse } from "./client.js";
import { GatehouseError } from "./errors.js";
import type { ErrorBody, Verification, VerifyValid } from "./types.js";

/** Options of requireAuth. */
export interface RequireAuthOptions {
  /** Gatehouse's base URL. */
  baseUrl: string;
  /** The resource server's own credential: an API key with gatehouse:verify (or an admin's token). */
  verifierToken: string;
  /** Scopes every request's credential must hold. */
  scopes?: string[];
}

/** A request requireAuth let through: req.gatehouse is the verification. */
export interface AuthenticatedRequest extends IncomingMessage {
  gatehouse: VerifyValid;
}

/** The middleware: Express-compatible (req, res, next). */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => Promise<void>;

/**
 * requireAuth checks the request's `Authorization: Bearer` credential through /v1/verify and
 * fails closed: no or an invalid credential answers 401, one without the scopes or from a
 * disallowed IP 403, a rate-limited one 429, and Gatehouse unreachable (or refusing the
 * verifier) 503 — all as JSON in Gatehouse's error shape. A valid one sets req.gatehouse and
 * calls next().
 */
export function requireAuth({ baseUrl, verifierToken, scopes }: RequireAuthOptions): Middleware {
  if (!baseUrl || !verifierToken) throw new TypeError("requireAuth: baseUrl and verifierToken are required");
  const gatehouse = new Gatehouse({ baseUrl, token: verifierToken });
  return async (req, res, next) => {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (!m) {
      fail(res, 401, { error: "invalid_token", error_description: "a bearer credential is required" });
      return;
    }
    let v: Verification;
    try {
      const ip = clientIP(req);
      v = await gatehouse.verify(m[1]!, { ...(scopes?.length ? { scopes } : {}), ...(ip ? { ip } : {}) });
    } catch (err) {
      const e = err instanceof GatehouseError ? err : undefined;
      fail(res, 503, {
        error: "temporarily_unavailable",
        error_description: e && e.status !== 0 ? `Gatehouse refused the verification (${e.code})` : "Gatehouse could not be reached",
        retry_after: e?.retryAfter,
      });
      return;
    }
    if (!v.valid) {
      const f = v as Extract<Verification, { code: string }>;
      const status = f.code === "insufficient_permissions" || f.code === "ip_not_allowed" ? 403 : f.code === "rate_limited" ? 429 : 401;
      fail(res, status, { error: f.code, error_description: "the credential was refused", retry_after: f.retryAfter });
      return;
    }
    (req as AuthenticatedRequest).gatehouse = v as VerifyValid;
    next();
  };
}

/** The caller's address as Gatehouse compares it with CIDRs (Express's req.ip when set). */
function clientIP(req: IncomingMessage): string | undefined {
  const ip = (req as { ip?: string }).ip ?? req.socket.remoteAddress;
  return ip?.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function fail(res: ServerResponse, status: number, body: Partial<ErrorBody>): void {
  const headers: Record<string, string> = { "Content-Type": "application/json", "Cache-Control": "no-store" };
  if (status === 401) headers["WWW-Authenticate"] = `Bearer error="${body.error}"`;
  if (body.retry_after !== undefined) headers["Retry-After"] = String(body.retry_after);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ request_id: "", ...body }));
}
