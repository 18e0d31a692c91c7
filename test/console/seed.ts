// An account as a user would set it up: one source, a healthy and a failing destination, routes.
import type { Receiver } from '@hookstream/testkit';
import { type Api, api } from './browser.ts';

export interface Seeded {
  key: string;
  accountId: string;
  call: Api;
  source: { id: string; path_token: string; ingest_url: string };
  orders: { id: string };
  billing: { id: string };
  /** Whether the billing endpoint answers 500 (true) or 200. */
  failing: { billing: boolean };
}

export async function seedAccount(baseUrl: string, receiver: Receiver, name: string): Promise<Seeded> {
  const anon = api(baseUrl);
  const acct = await anon('POST', '/v1/accounts', { name });
  if (acct.status !== 201) throw new Error(`account: ${acct.status} ${JSON.stringify(acct.json)}`);
  const key = acct.json.data.api_key as string;
  const call = api(baseUrl, key);
  const failing = { billing: true };
  receiver.respond((req) =>
    req.url.startsWith('/billing') && failing.billing
      ? { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"billing ledger unavailable"}' }
      : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
  );
  const must = async (method: string, path: string, body: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.data;
  };
  const source = await must('POST', '/v1/sources', { name: 'shop' });
  const orders = await must('POST', '/v1/destinations', { name: 'orders-service', url: `${receiver.url}/orders` });
  const billing = await must('POST', '/v1/destinations', {
    name: 'billing-ledger',
    url: `${receiver.url}/billing`,
    retry_policy: { max_attempts: 1 },
  });
  await must('POST', '/v1/routes', { source_id: source.id, destination_id: orders.id, event_type_pattern: 'order.*' });
  await must('POST', '/v1/routes', {
    source_id: source.id,
    destination_id: billing.id,
    event_type_pattern: 'invoice.*',
  });
  return { key, accountId: acct.json.data.account.id, call, source, orders, billing, failing };
}

/** Sends one webhook to the source as a provider would; the event id. */
export async function sendWebhook(baseUrl: string, s: Seeded, type: string, body: object): Promise<string> {
  const res = await fetch(`${baseUrl}/ingest/${s.source.path_token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-event-type': type },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data: { id: string } };
  if (res.status !== 202) throw new Error(`ingest: ${res.status} ${JSON.stringify(json)}`);
  return json.data.id;
}
