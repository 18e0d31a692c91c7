// Test harness: a real nats-server per test file, the real topology and config watch, the API built
// in-process and driven with inject().
import type { Test } from 'tap';
import {
  connectBroker,
  createPublisher,
  ensureTopology,
  openConsoleSessionKv,
  openPortalSessionKv,
  openSignInFailureKv,
  type Broker,
} from '@hookstream/broker';
import { loadKeyring, openCatalog, type Catalog } from '@hookstream/catalog';
import { type Settings, testSettings } from '@hookstream/config';
import { createLogger } from '@hookstream/observability';
import { startNats, streamMessages } from '@hookstream/testkit';
import { buildApi, type ApiApp, type ApiDeps } from '../src/build.ts';

export interface Harness {
  app: ApiApp;
  broker: Broker;
  catalog: Catalog;
  natsUrl: string;
  settings: Readonly<Settings>;
}

export async function apiOn(
  t: Test,
  natsUrl: string,
  overrides: Partial<Settings> = {},
  extra: Partial<ApiDeps> = {},
): Promise<Harness> {
  const settings = testSettings({ allowPrivateDestinations: true, logLevel: 'silent', ...overrides });
  const broker = await connectBroker({ servers: natsUrl, name: 'api-test' });
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 86_400 });
  const catalog = await openCatalog(broker, { keyring: (await loadKeyring(settings)).keyring });
  const consoleSessions = await openConsoleSessionKv(broker, { replicas: 1, idleMs: settings.consoleSessionIdleMs });
  const portalSessions = await openPortalSessionKv(broker, { replicas: 1, maxAgeMs: 7 * 86_400_000 });
  const signInFailures = await openSignInFailureKv(broker, { replicas: 1, windowMs: settings.signInLockoutMs });
  const app = await buildApi({
    settings,
    catalog,
    publisher: createPublisher(broker),
    log: createLogger('silent'),
    consoleSessions,
    portalSessions,
    signInFailures,
    ...extra,
  });
  t.teardown(async () => {
    await app.close();
    catalog.close();
    await broker.close();
  });
  return { app, broker, catalog, natsUrl, settings };
}

export async function startApi(
  t: Test,
  overrides: Partial<Settings> = {},
  extra: Partial<ApiDeps> = {},
): Promise<Harness> {
  const nats = await startNats(t);
  return apiOn(t, nats.url, overrides, extra);
}

export interface Tenant {
  accountId: string;
  key: string;
  auth: { authorization: string };
}

export async function signup(app: ApiApp, name = 'acme'): Promise<Tenant> {
  const res = await app.inject({ method: 'POST', url: '/v1/accounts', payload: { name } });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  const data = res.json().data;
  return { accountId: data.account.id, key: data.api_key, auth: { authorization: `Bearer ${data.api_key}` } };
}

export async function create(
  app: ApiApp,
  tenant: Tenant,
  path: string,
  payload: unknown,
): Promise<Record<string, unknown> & { id: string }> {
  const res = await app.inject({ method: 'POST', url: path, headers: tenant.auth, payload: payload as object });
  if (res.statusCode !== 201) throw new Error(`POST ${path} failed: ${res.statusCode} ${res.body}`);
  return res.json().data;
}

/** Every message currently in the events stream, oldest first. */
export async function storedEvents(
  broker: Broker,
): Promise<Array<{ headers: Record<string, string>; data: Buffer; seq: number }>> {
  return (await streamMessages(broker, 'HS_EVENTS')).map((m) => ({
    headers: m.headers,
    data: Buffer.from(m.data),
    seq: m.seq,
  }));
}

export function metaOf(msg: { headers: Record<string, string> }): Record<string, unknown> {
  return JSON.parse(msg.headers['Hs-Meta'] as string);
}
