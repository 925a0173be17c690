// The HTTP edge: one JSON request to Gatehouse, with snake_case ↔ camelCase mapping of bodies
// and error answers turned into GatehouseError.
import { GatehouseError, retryAfterSeconds } from "./errors.js";

/** snakeKey turns "allowedCidrs" into "allowed_cidrs". */
function snakeKey(k: string): string {
  return k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/** camelKey turns "expires_at" into "expiresAt". */
function camelKey(k: string): string {
  return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function mapKeys(v: unknown, key: (k: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => mapKeys(x, key));
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) out[key(k)] = mapKeys(x, key);
    }
    return out;
  }
  return v instanceof Date ? v.toISOString() : v;
}

/** toWire maps a request body's camelCase fields to the wire's snake_case (undefined dropped). */
export function toWire(v: unknown): unknown {
  return mapKeys(v, snakeKey);
}

/** fromWire maps an answer's snake_case fields to camelCase. */
export function fromWire<T>(v: unknown): T {
  return mapKeys(v, camelKey) as T;
}

/** One call: method, path (with its parameters already encoded), bearer token, body. */
export interface Call {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  token?: string | undefined;
  body?: unknown;
}

/** The decoded answer of a successful call: its status and its JSON body (camelCase). */
export interface Answer<T> {
  status: number;
  body: T;
}

/** send makes the call against baseUrl; a non-2XX answer throws GatehouseError. */
export async function send<T>(baseUrl: string, call: Call): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (call.token) headers.Authorization = `Bearer ${call.token}`;
  let body: string | undefined;
  if (call.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(toWire(call.body));
  }
  let res: Response;
  try {
    res = await fetch(new URL(call.path, baseUrl.replace(/\/+$/, "") + "/"), { method: call.method, headers, body });
  } catch (err) {
    throw new GatehouseError({
      status: 0,
      code: "unreachable",
      description: `Gatehouse at ${baseUrl} could not be reached: ${(err as Error).message}`,
      cause: err,
    });
  }
  const text = await res.text();
  let json: unknown;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) throw errorOf(res, json);
  return { status: res.status, body: fromWire<T>(json) };
}

function errorOf(res: Response, json: unknown): GatehouseError {
  const b = (json ?? {}) as { error?: unknown; error_description?: unknown; request_id?: unknown; retry_after?: unknown };
  let retryAfter = typeof b.retry_after === "number" ? b.retry_after : undefined;
  if (retryAfter === undefined && (res.status === 429 || res.status === 503)) {
    retryAfter = retryAfterSeconds(res.headers.get("Retry-After"));
  }
  return new GatehouseError({
    status: res.status,
    code: typeof b.error === "string" ? b.error : `http_${res.status}`,
    description: typeof b.error_description === "string" ? b.error_description : res.statusText,
    requestId: typeof b.request_id === "string" ? b.request_id : (res.headers.get("X-Request-Id") ?? undefined),
    retryAfter,
  });
}

/** seg encodes one path segment. */
export function seg(s: string): string {
  return encodeURIComponent(s);
}
