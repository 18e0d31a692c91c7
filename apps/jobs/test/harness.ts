// Test support for the jobs role's integration tests (never imported by the role itself): the whole
// system on a nats-server and a database of the test's own, tenants made through the API, and a
// second jobs instance (ports only, no workers) for calling the jobs' functions directly.
import type { Test } from 'tap';
import { createPublisher } from '@hookstream/broker';
import { createLogger } from '@hookstream/observability';
import type { Pool } from '@hookstream/store';
import { waitFor } from '@hookstream/testkit';
import { type Client, TEST_OPERATOR_TOKEN, client, startSystem } from '../../../test/e2e/harness.ts';
import { type Jobs, buildJobs } from '../src/build.ts';

export type Gateway = Awaited<ReturnType<typeof startSystem>>;
export { startSystem, client, type Client };

export interface Tenant {
  accountId: string;
  key: string;
  api: Client;
}

/** An account made through sign-up; `extra` (plan terms) goes with the operator token. */
export async function tenant(gw: Gateway, name: string, extra: Record<string, unknown> = {}): Promise<Tenant> {
  const operator: Record<string, string> =
    Object.keys(extra).length > 0 ? { 'x-operator-token': TEST_OPERATOR_TOKEN } : {};
  const r = await client(gw.url as string).call('POST', '/v1/accounts', { name, ...extra }, operator);
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.json)}`);
  return {
    accountId: r.json.data.account.id,
    key: r.json.data.api_key,
    api: client(gw.url as string, r.json.data.api_key),
  };
}

export async function created(api: Client, path: string, body: unknown): Promise<Record<string, any>> {
  const r = await api.call('POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.data;
}

/** A jobs instance on the gateway's connections with no workers: its functions, called by the test. */
export async function directJobs(t: Test, gw: Gateway): Promise<Jobs> {
  const jobs = buildJobs({
    broker: gw.broker,
    pool: gw.pool as Pool,
    catalog: gw.catalog,
    publisher: createPublisher(gw.broker),
    log: createLogger('silent'),
    settings: gw.settings,
    work: false,
  });
  await jobs.start();
  t.teardown(() => jobs.stop());
  return jobs;
}

/** Polls GET path until `done` holds for its data, and returns that data. */
export async function until(
  api: Client,
  path: string,
  done: (data: any) => boolean,
  message: string,
  timeoutMs = 30_000,
): Promise<any> {
  return waitFor(
    async () => {
      const r = await api.call('GET', path);
      return r.status === 200 && done(r.json.data) ? r.json.data : null;
    },
    { timeoutMs, intervalMs: 100, message },
  );
}

/** Resolves once every message stored so far was acknowledged by the router and the events projector. */
export async function streamsSettled(gw: Gateway): Promise<void> {
  const last = await gw.broker.streams.lastSeq('HS_EVENTS');
  await waitFor(
    async () => {
      const floors = await Promise.all(
        ['router', 'projector_events'].map((c) => gw.broker.consumers.info('HS_EVENTS', c)),
      );
      return floors.every((f) => f.ack_floor.stream_seq >= last);
    },
    { timeoutMs: 20_000, message: 'router and projector caught up with HS_EVENTS' },
  );
}
