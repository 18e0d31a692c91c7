// Typed exceptions: every non-2xx answer becomes a HookstreamError subclass chosen by status, carrying
// the server's stable `code` and message. Catch the class you can act on; everything is a HookstreamError.

export interface ErrorInit {
  status: number;
  code: string;
  message: string;
  /** The parsed error envelope, when the server sent one. */
  body?: unknown;
  /** Seconds, from Retry-After, on 429 and 503. */
  retryAfter?: number | undefined;
  cause?: unknown;
}

export class HookstreamError extends Error {
  override name = 'HookstreamError';
  /** HTTP status; 0 when no answer was received. */
  readonly status: number;
  /** The server's stable error code (`not_found`, `validation_failed`, …) or one of the SDK's. */
  readonly code: string;
  readonly body: unknown;
  readonly retryAfter: number | undefined;
  constructor(init: ErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.body = init.body;
    this.retryAfter = init.retryAfter;
  }
}

/** 400, 413, 415, 422: the request was refused as it is; fix it before retrying. */
export class ValidationError extends HookstreamError {
  override name = 'ValidationError';
}
/** 401: missing, unknown or revoked API key (or a bad webhook signature on ingest). */
export class AuthenticationError extends HookstreamError {
  override name = 'AuthenticationError';
}
/** 403: the key is valid but the operation is not allowed (e.g. sign-up closed). */
export class PermissionError extends HookstreamError {
  override name = 'PermissionError';
}
export class NotFoundError extends HookstreamError {
  override name = 'NotFoundError';
}
/** 409: the resource exists already, or its state does not allow the change. */
export class ConflictError extends HookstreamError {
  override name = 'ConflictError';
}
/** 429: slow down; `retryAfter` says for how long when the server said. */
export class RateLimitError extends HookstreamError {
  override name = 'RateLimitError';
}
/** 5xx: the server could not do it now; safe to retry idempotent calls. */
export class ServerError extends HookstreamError {
  override name = 'ServerError';
}
/** No HTTP answer: connection refused, DNS, TLS, timeout. */
export class ConnectionError extends HookstreamError {
  override name = 'ConnectionError';
}

function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** The exception for an HTTP answer that is not a success. */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader: string | null): HookstreamError {
  const env = (body && typeof body === 'object' ? body : {}) as { error?: unknown; code?: unknown };
  const message = typeof env.error === 'string' ? env.error : `HTTP ${status}`;
  const code =
    typeof env.code === 'string' ? env.code : (CODES[status] ?? (status >= 500 ? 'server_error' : 'http_error'));
  const init: ErrorInit = { status, code, message, body, retryAfter: retryAfterOf(retryAfterHeader) };
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new PermissionError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 409) return new ConflictError(init);
  if (status === 429) return new RateLimitError(init);
  if (status === 400 || status === 413 || status === 415 || status === 422) return new ValidationError(init);
  if (status >= 500) return new ServerError(init);
  return new HookstreamError(init);
}
