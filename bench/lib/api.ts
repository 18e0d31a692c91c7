// The management calls the bench needs, over HTTP like any client.
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import { BENCH_OPERATOR_TOKEN, type System } from './system.ts';
import { sleep } from './stats.ts';

export interface Source {
  id: string;
  path_token: string;
}

export interface DestinationInput {
  name: string;
  url: string;
  max_in_flight?: number;
  timeout_ms?: number;
  retry_policy?: { max_attempts: number; delays_ms?: number[] };
}

export class Api {
  readonly baseUrl: string;
  key = '';
  accountId = '';

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (JSON.parse(text) as { data: T }).data;
  }

  async signup(name: string): Promise<void> {
    const r = await this.call<{ account: { id: string }; api_key: string }>(
      'POST',
      '/v1/accounts',
      { name, plan: 'enterprise' },
      { 'x-operator-token': BENCH_OPERATOR_TOKEN },
    );
    this.key = r.api_key;
    this.accountId = r.account.id;
  }

  source(name: string): Promise<Source> {
    return this.call<Source>('POST', '/v1/sources', { name });
  }

  async destination(d: DestinationInput): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/v1/destinations', d)).id;
  }

  async route(sourceId: string, destinationId: string): Promise<void> {
    await this.call('POST', '/v1/routes', { source_id: sourceId, destination_id: destinationId });
  }

  ingestUrl(s: Source): string {
    return `${this.baseUrl}/ingest/${s.path_token}`;
  }
}

/** The deliverer makes a destination's consumer once the config watch told it: wait for that. */
export async function waitForConsumers(
  system: System,
  destinationIds: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const t0 = Date.now();
  for (const id of destinationIds) {
    for (;;) {
      const ok = await system.broker.consumers.info(STREAMS.deliveries, CONSUMERS.destination(id)).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() - t0 > timeoutMs) throw new Error(`no consumer for destination ${id} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}
