// A small client for the gateway's API over several api processes: calls go round-robin and are
// retried elsewhere while a process is down (the fault injector kills them).
import { sleep } from './services.ts';

export interface ApiReply {
  status: number;
  json: any;
}

export class ApiClient {
  private readonly bases: () => string[];
  private readonly key: string | undefined;
  private turn = 0;

  constructor(bases: () => string[], key?: string) {
    this.bases = bases;
    this.key = key;
  }

  withKey(key: string): ApiClient {
    return new ApiClient(this.bases, key);
  }

  /** One request to the next api process; throws on network errors. */
  async once(
    method: string,
    path: string,
    body?: string | object,
    headers: Record<string, string> = {},
  ): Promise<ApiReply> {
    const bases = this.bases();
    const base = bases[this.turn++ % bases.length] as string;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
        ...(typeof body === 'object' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json };
  }

  /** Retries network errors and 5xx (with backoff) until `timeoutMs`; 2xx–4xx are answers. */
  async call(
    method: string,
    path: string,
    body?: string | object,
    opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<ApiReply> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let wait = 100;
    let last = '';
    for (;;) {
      try {
        const r = await this.once(method, path, body, opts.headers);
        if (r.status < 500) return r;
        last = `${r.status} ${JSON.stringify(r.json)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`${method} ${path} kept failing: ${last}`);
      await sleep(wait);
      wait = Math.min(wait * 2, 2_000);
    }
  }
}
