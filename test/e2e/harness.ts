// Whole-system harness: the real `hookstream` composition (every role in one process) on a
// nats-server and a Postgres database of the test's own.
import type { Test } from 'tap';
import { type Settings, testSettings } from '@hookstream/config';
import { createLogger } from '@hookstream/observability';
import { createPool, migrate } from '@hookstream/store';
import { createTestDatabase, startNats } from '@hookstream/testkit';
import { type Gateway, startGateway } from '../../apps/hookstream/src/gateway.ts';

export async function migrated(url: string): Promise<void> {
  const pool = createPool(url, {});
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

/** The OPERATOR_TOKEN of every test system: tests that need an account on a plan send it. */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789';

export async function startSystem(
  t: Test,
  overrides: Partial<Settings> = {},
  services?: { natsUrl?: string; databaseUrl?: string },
): Promise<Gateway> {
  const natsUrl = services?.natsUrl ?? (await startNats(t)).url;
  const databaseUrl = services?.databaseUrl ?? (await createTestDatabase(t));
  await migrated(databaseUrl);
  const settings = testSettings({
    natsUrl,
    databaseUrl,
    port: 0,
    host: '127.0.0.1',
    allowPrivateDestinations: true,
    logLevel: 'silent',
    operatorToken: TEST_OPERATOR_TOKEN,
    ...overrides,
  });
  const gw = await startGateway(settings, { log: createLogger(process.env.E2E_LOG_LEVEL ?? 'silent') });
  t.teardown(() => gw.stop());
  return gw;
}

export interface Client {
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any }>;
  ingest(
    token: string,
    body: string | Buffer,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any }>;
}

export function client(baseUrl: string, key?: string): Client {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const ingest = async (token: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}/ingest/${token}`, { method: 'POST', headers, body });
    return { status: res.status, json: await res.json() };
  };
  return { call, ingest };
}
