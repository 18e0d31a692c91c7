import { StringDecoder } from 'node:string_decoder';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { BlockedAddressError, guardedNodeLookup, isBlockedAddress } from './address-guard.ts';
import type { LookupFn } from './address-guard.ts';
import { classifyError, describe } from './classify.ts';
import type { ErrorClass } from './classify.ts';

export interface DeliveryClientOptions {
  allowPrivate: boolean;
  /** Bytes of the response body kept as excerpt (default 64 KiB); the rest is never read. */
  maxResponseBytes?: number;
  /** Sockets per destination origin (default 64). */
  connectionsPerOrigin?: number;
  /** DNS lookup used at connect time (default node:dns lookup, all addresses). */
  lookup?: LookupFn;
}

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Bound on the whole attempt: connect, request, response headers and the excerpt of the body. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SendResult {
  /** True only for a 2xx whose response (up to the excerpt cap) arrived within timeoutMs. */
  ok: boolean;
  /** Null when no response arrived. Kept on a timeout that struck while the body was being read. */
  statusCode: number | null;
  errorClass: ErrorClass | null;
  error: string | null;
  responseHeaders: Record<string, string>;
  responseExcerpt: string;
  durationMs: number;
  retryAfter: string | null;
}

export interface DeliveryClient {
  send(req: SendRequest): Promise<SendResult>;
  /** Waits for in-flight sends (each bounded by its timeout), then closes every socket. */
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_CONNECTIONS = 64;
const MAX_RESPONSE_HEADERS = 50;
const MAX_HEADER_VALUE = 1024;
export const TRUNCATED_MARKER = '…[truncated]';

// Hop-by-hop or framing headers: undici sets them itself or rejects them; a destination's custom
// headers must not be able to break request framing.
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
]);

class AttemptTimeout extends Error {
  constructor() {
    super('attempt timed out');
    this.name = 'AttemptTimeout';
  }
}

class AttemptAborted extends Error {
  constructor() {
    super('attempt aborted by the caller');
    this.name = 'AttemptAborted';
  }
}

/** Ends a response whose excerpt is full: the rest of its body is not wanted. */
class ExcerptComplete extends Error {
  constructor() {
    super('response excerpt complete');
    this.name = 'ExcerptComplete';
  }
}

function requestHeaders(input: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let userAgent = false;
  for (const name in input) {
    const lower = name.toLowerCase();
    if (DROPPED_REQUEST_HEADERS.has(lower)) continue;
    out[name] = input[name] as string;
    if (lower === 'user-agent') userAgent = true;
  }
  if (!userAgent) out['user-agent'] = 'hookstream';
  return out;
}

function cutHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (n++ >= MAX_RESPONSE_HEADERS) break;
    const joined = Array.isArray(value) ? value.join(', ') : value;
    out[name.toLowerCase()] = joined.length > MAX_HEADER_VALUE ? joined.slice(0, MAX_HEADER_VALUE) : joined;
  }
  return out;
}

/** Where a destination URL sends to, or why nothing can be sent there. */
type Target = { origin: string; path: string } | { errorClass: ErrorClass; error: string };

/** URLs whose targets are kept; past it the cache starts over (destinations change rarely). */
const MAX_CACHED_TARGETS = 10_000;

/** The IP literal in a URL host ("[::1]" → "::1"), or null when the host is a name. */
function hostLiteral(u: URL): string | null {
  if (u.hostname.startsWith('[')) return u.hostname.slice(1, -1);
  // WHATWG URL has rewritten every IPv4 notation to dotted decimal already.
  return /^\d+\.\d+\.\d+\.\d+$/.test(u.hostname) ? u.hostname : null;
}

export function createDeliveryClient(opts: DeliveryClientOptions): DeliveryClient {
  const maxBytes = Math.max(0, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? DEFAULT_CONNECTIONS,
    pipelining: 1,
    // The lookup runs on every new socket: the guard decides on the address actually dialled.
    connect: { lookup: guardedNodeLookup({ allowPrivate: opts.allowPrivate, lookup: opts.lookup }) },
  });

  // A URL's target depends on nothing else (allowPrivate is fixed per client): judged once per URL.
  const targets = new Map<string, Target>();
  const targetOf = (raw: string): Target => {
    let t = targets.get(raw);
    if (t === undefined) {
      t = judge(raw);
      if (targets.size >= MAX_CACHED_TARGETS) targets.clear();
      targets.set(raw, t);
    }
    return t;
  };
  const judge = (raw: string): Target => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { errorClass: 'protocol', error: 'invalid destination URL' };
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
      return { errorClass: 'protocol', error: 'destination URL must be http(s) without credentials' };
    }
    // The connect-time lookup never runs for IP literals, so they are judged here.
    const literal = hostLiteral(url);
    if (literal !== null && !opts.allowPrivate && isBlockedAddress(literal)) {
      return { errorClass: 'blocked_address', error: classifyError(new BlockedAddressError(literal)).error };
    }
    return { origin: url.origin, path: url.pathname + url.search };
  };

  // dispatch() with a handler rather than request(): no response stream, async iterator, promise
  // or abort listener per attempt, a large part of the deliverer's work on a fan-out.
  function send(req: SendRequest): Promise<SendResult> {
    const started = performance.now();
    let statusCode: number | null = null;
    let responseHeaders: Record<string, string> = {};
    let retryAfter: string | null = null;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let truncated = false;

    const excerpt = (): string => {
      // Without end() a multi-byte character cut at the cap is dropped rather than mangled.
      const decoder = new StringDecoder('utf8');
      const text = kept.map((b) => decoder.write(b)).join('') + (truncated ? '' : decoder.end());
      return truncated ? text + TRUNCATED_MARKER : text;
    };
    const finish = (errorClass: ErrorClass | null, error: string | null): SendResult => ({
      ok: errorClass === null && statusCode !== null && statusCode >= 200 && statusCode < 300,
      statusCode,
      errorClass,
      error,
      responseHeaders,
      responseExcerpt: excerpt(),
      durationMs: Math.round(performance.now() - started),
      retryAfter,
    });

    const target = targetOf(req.url);
    if ('errorClass' in target) return Promise.resolve(finish(target.errorClass, target.error));
    const external = req.signal;
    if (external?.aborted) return Promise.resolve(finish('aborted', describe('aborted')));

    const timeoutMs = Math.max(1, Math.floor(req.timeoutMs));
    return new Promise<SendResult>((resolve) => {
      // Set once the request is on a connection; until then a cancellation is kept and applied there.
      let controller: Dispatcher.DispatchController | null = null;
      let cancelled: Error | null = null;
      let done = false;
      const cancel = (reason: Error) => {
        cancelled ??= reason;
        controller?.abort(reason);
      };
      const end = (errorClass: ErrorClass | null, error: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        external?.removeEventListener('abort', onAbort);
        resolve(finish(errorClass, error));
      };
      // The whole attempt is bounded, a request still waiting for a free connection included.
      const timer = setTimeout(() => {
        end('timeout', `${describe('timeout')} after ${timeoutMs} ms`);
        cancel(new AttemptTimeout());
      }, timeoutMs);
      const onAbort = () => {
        end('aborted', describe('aborted'));
        cancel(new AttemptAborted());
      };
      external?.addEventListener('abort', onAbort, { once: true });

      agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: requestHeaders(req.headers),
          body: req.body,
          // undici's own timers as a second line; the timer above bounds the whole attempt.
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        {
          onRequestStart(c) {
            controller = c;
            if (cancelled) c.abort(cancelled);
          },
          onResponseStart(_c, status, headers) {
            statusCode = status;
            responseHeaders = cutHeaders(headers);
            const ra = responseHeaders['retry-after'];
            retryAfter = ra === undefined ? null : ra;
          },
          onResponseData(c, chunk) {
            if (done) return;
            const room = maxBytes - keptBytes;
            if (chunk.length > room) {
              if (room > 0) kept.push(chunk.subarray(0, room));
              keptBytes = maxBytes;
              truncated = true;
              // Enough kept: the rest is never read (the connection is closed, not drained).
              end(null, null);
              c.abort(new ExcerptComplete());
              return;
            }
            kept.push(chunk);
            keptBytes += chunk.length;
          },
          onResponseEnd() {
            end(null, null);
          },
          onResponseError(_c, err) {
            const c = classifyError(err);
            end(c.errorClass, c.error);
          },
        },
      );
    });
  }

  return {
    send,
    close: () => agent.close(),
  };
}
