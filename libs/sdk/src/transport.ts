// One HTTP exchange with the API: auth header, JSON in and out, the envelope unwrapped, errors typed.
import { ConnectionError, errorFromResponse } from './errors.ts';
import type { Page } from './types.ts';

export const SDK_VERSION = '0.1.0';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** e.g. http://localhost:8080 (no /v1); '' for the page's own origin in session mode. */
  baseUrl: string;
  /**
   * Browser mode for the console: authenticate with the session cookie set by `console.signIn`
   * instead of an API key. Sends no Authorization header, fetches with `credentials: 'same-origin'`,
   * and adds the `x-hookstream-console: 1` header the server requires of cookie requests.
   */
  session?: boolean | undefined;
  /** `hk_…`; needed for everything except accounts.create, ingest and health. */
  apiKey?: string | undefined;
  /** A fetch implementation; default the global one. */
  fetch?: FetchLike | undefined;
  /** Time to the response headers, per request; default 30 s. Downloads may stream for longer. */
  timeoutMs?: number | undefined;
  /** Sent on every request (e.g. X-Signup-Token). */
  headers?: Record<string, string> | undefined;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query | object | undefined;
  body?: unknown;
  /** Raw bytes or text sent as they are (ingest); `body` is JSON-encoded instead. */
  raw?: string | Uint8Array | undefined;
  headers?: Record<string, string> | undefined;
  /** false: no Authorization header (sign-up, ingest, health). */
  auth?: boolean;
}

/** The header a cross-site form cannot send; the server requires it of mutating cookie requests. */
export const CONSOLE_HEADER = 'x-hookstream-console';

export class Transport {
  readonly baseUrl: string;
  readonly session: boolean;
  #apiKey: string | undefined;
  #fetch: FetchLike;
  #timeoutMs: number;
  #headers: Record<string, string>;

  constructor(o: TransportOptions) {
    this.session = o.session === true;
    if (!o.baseUrl && !this.session) throw new TypeError('Hookstream: baseUrl is required');
    this.baseUrl = (o.baseUrl ?? '').replace(/\/+$/, '');
    this.#apiKey = o.apiKey;
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = o.timeoutMs ?? 30_000;
    this.#headers = o.headers ?? {};
  }

  url(path: string, query?: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) params.set(k, String(v));
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** The response when it is a success (its body not yet read); a typed exception otherwise. */
  async send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = this.session
      ? { accept: 'application/json', [CONSOLE_HEADER]: '1', ...this.#headers }
      : { 'user-agent': `hookstream-sdk/${SDK_VERSION}`, accept: 'application/json', ...this.#headers };
    if (o.auth !== false && !this.session) {
      if (!this.#apiKey)
        throw new ConnectionError({ status: 0, code: 'no_api_key', message: 'Hookstream: this call needs an apiKey' });
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    let body: string | Uint8Array | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, o.headers);
    // The timeout covers the wait for the answer's headers only, so a long download is not cut off.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    let res: Response;
    try {
      const init: RequestInit = { method, headers, body: body as RequestInit['body'], signal: ctl.signal };
      if (this.session) init.credentials = 'same-origin';
      res = await this.#fetch(this.url(path, o.query), init);
    } catch (err) {
      const reason = ctl.signal.aborted
        ? String((ctl.signal.reason as Error)?.message ?? 'timeout')
        : (err as Error).message;
      throw new ConnectionError({
        status: 0,
        code: ctl.signal.aborted ? 'timeout' : 'connection_error',
        message: `${method} ${path}: ${reason}`,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    throw errorFromResponse(res.status, parsed, res.headers.get('retry-after'));
  }

  /** The `data` of the envelope; undefined for 204. */
  async data<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, o);
    if (res.status === 204) return undefined as T;
    return ((await res.json()) as { data: T }).data;
  }

  async page<T>(path: string, query?: RequestOptions['query']): Promise<Page<T>> {
    const res = await this.send('GET', path, { query });
    const env = (await res.json()) as Page<T>;
    return { data: env.data, next_cursor: env.next_cursor ?? null };
  }
}

/** Every item of every page, fetched one page at a time as the loop asks for more. */
export async function* paginate<T>(
  first: Query | object | undefined,
  fetchPage: (q: Query) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let query = { ...(first ?? {}) } as Query;
  for (;;) {
    const page = await fetchPage(query);
    yield* page.data;
    if (!page.next_cursor || page.data.length === 0) return;
    query = { ...query, cursor: page.next_cursor };
  }
}

export const enc = encodeURIComponent;
