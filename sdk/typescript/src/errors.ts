/** The fields of a GatehouseError. */
export interface GatehouseErrorInit {
  status: number;
  code: string;
  description: string;
  requestId?: string | undefined;
  retryAfter?: number | undefined;
  cause?: unknown;
}

/**
 * GatehouseError is every failed call: the HTTP status, the error code of the body
 * (`error`: invalid_token, rate_limited, …), the request id the server logged, and, on 429 and
 * 503, retryAfter in seconds (the body's retry_after, else the Retry-After header). A server
 * that cannot be reached gives status 0 and code "unreachable".
 */
export class GatehouseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(init: GatehouseErrorInit) {
    super(init.description ? `${init.code}: ${init.description}` : init.code, { cause: init.cause });
    this.name = "GatehouseError";
    this.status = init.status;
    this.code = init.code;
    this.description = init.description;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }
}

/** retryAfterSeconds reads a Retry-After header: delta-seconds or an HTTP date. */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
