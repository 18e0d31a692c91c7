// The audit log through the whole system: changes made over /v1 are recorded in HS_AUDIT with who,
// what and which ids — and never a secret — projected for GET /v1/audit-log, its filters and pages,
// its downloads, and a rebuild; a change whose record cannot be stored is not answered 2xx.
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { ensureTopology } from '@hookstream/broker';
import { STREAMS } from '@hookstream/contracts';
import { createLogger } from '@hookstream/observability';
import { snapshotAuditLog } from '@hookstream/store';
import { rebuild } from '@hookstream/app-projector';
import { deleteStream, startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

const gw = await startSystem(t);
const pool = gw.pool;
if (!pool) throw new Error('the test system has a database');
const receiver = await startReceiver(t);
const anon = client(gw.url as string);
const acct = await anon.call('POST', '/v1/accounts', { name: 'audited' });
const bootstrapKey: string = acct.json.data.api_key;
const accountId: string = acct.json.data.account.id;
const api = client(gw.url as string, bootstrapKey);
const bootstrapId = (await api.call('GET', '/v1/api-keys')).json.data[0].id as string;

/** Every message of HS_AUDIT as text: what the stream itself holds. */
async function streamText(): Promise<string> {
  const info = await gw.broker.streams.info(STREAMS.audit);
  const out: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await gw.broker.streams.get(STREAMS.audit, seq);
    if (m) out.push(new TextDecoder().decode(m.data));
  }
  return out.join('\n');
}

async function tableText(): Promise<string> {
  const { rows } = await (pool as NonNullable<typeof pool>).query<{ r: string }>(
    'SELECT to_jsonb(t)::text AS r FROM audit_log t',
  );
  return rows.map((r) => r.r).join('\n');
}

/** The entries of the account that match `query`, once at least `n` are projected. */
async function entries(n: number, query = '', c = api): Promise<any[]> {
  return waitFor(
    async () => {
      const r = await c.call('GET', `/v1/audit-log?limit=500${query}`);
      return r.status === 200 && r.json.data.length >= n ? r.json.data : null;
    },
    { timeoutMs: 15_000, message: `${n} audit entries for ${query}` },
  );
}

const AUTH_TOKEN = 'destination-bearer-token-never-logged-1234';
const SOURCE_SECRET = 'source-hmac-secret-never-logged-5678';

t.test('a config change is recorded with its actor, action, ids and field names, never the values', async (t) => {
  const dst = await api.call(
    'POST',
    '/v1/destinations',
    { name: 'orders', url: `${receiver.url}/orders` },
    { 'user-agent': 'audit-test/1' },
  );
  t.equal(dst.status, 201);
  const dstId = dst.json.data.id as string;
  const generated = dst.json.data.signing_secret as string;
  const patched = await api.call('PATCH', `/v1/destinations/${dstId}`, { auth_token: AUTH_TOKEN, timeout_ms: 5000 });
  t.equal(patched.status, 200);
  const src = await api.call('POST', '/v1/sources', {
    name: 'shop',
    verification_config: { provider: 'hmac', secret: SOURCE_SECRET, header: 'x-sig' },
  });
  t.equal(src.status, 201);

  const list = await entries(1, `&action=destination.update`);
  t.equal(list.length, 1);
  const e = list[0];
  t.match(e, {
    action: 'destination.update',
    resource_type: 'destination',
    resource_id: dstId,
    ids: { destination_id: dstId },
    actor: { type: 'api_key', id: bootstrapId, name: 'bootstrap' },
    method: 'PATCH',
    route: '/v1/destinations/:id',
    status: 200,
    outcome: 'succeeded',
    ip: '127.0.0.1',
  });
  t.same([...e.fields].sort(), ['auth_token', 'timeout_ms'], 'the names of the fields set');
  const created = await entries(1, `&action=destination.create`);
  t.equal(created[0].user_agent, 'audit-test/1');
  t.equal(created[0].resource_id, dstId);
  const source = await entries(1, `&action=source.create`);
  t.same(source[0].fields.sort(), ['name', 'verification_config']);

  const stored = `${await streamText()}\n${await tableText()}`;
  for (const secret of [AUTH_TOKEN, SOURCE_SECRET, generated])
    t.notOk(stored.includes(secret), 'no secret value in the stream or the table');
});

t.test('a secret rotation and an API key creation are recorded without the secrets they answered', async (t) => {
  const dst = await api.call('POST', '/v1/destinations', { name: 'rotating', url: `${receiver.url}/r` });
  const rotated = await api.call('POST', `/v1/destinations/${dst.json.data.id}/rotate-secret`, {});
  t.equal(rotated.status, 200);
  const key = await api.call('POST', '/v1/api-keys', { name: 'ci' });
  t.equal(key.status, 201);
  const revoked = await api.call('DELETE', `/v1/api-keys/${key.json.data.id}`);
  t.equal(revoked.status, 204);

  const rot = await entries(1, `&action=destination.rotate_secret`);
  t.match(rot[0], { resource_id: dst.json.data.id, actor: { id: bootstrapId }, outcome: 'succeeded' });
  const made = await entries(1, `&action=api_key.create`);
  t.match(made[0], {
    resource_type: 'api_key',
    resource_id: key.json.data.id,
    ids: { api_key_id: key.json.data.id },
    fields: ['name'],
  });
  const gone = await entries(1, `&action=api_key.revoke`);
  t.equal(gone[0].resource_id, key.json.data.id);
  t.equal(gone[0].status, 204);

  const stored = `${await streamText()}\n${await tableText()}`;
  t.notOk(stored.includes(rotated.json.data.signing_secret), 'the rotated secret is nowhere in the log');
  t.notOk(stored.includes(key.json.data.key), 'the new key is nowhere in the log');
  t.notOk(stored.includes(bootstrapKey), 'the acting key is nowhere in the log');
});

t.test('a replay is recorded with the event, the replay and its deliveries', async (t) => {
  const src = await api.call('POST', '/v1/sources', { name: 'replayed' });
  const dst = await api.call('POST', '/v1/destinations', { name: 'replay-target', url: `${receiver.url}/replay` });
  await api.call('POST', '/v1/routes', { source_id: src.json.data.id, destination_id: dst.json.data.id });
  const accepted = await anon.ingest(src.json.data.path_token, '{"n":1}', { 'content-type': 'application/json' });
  const eventId = accepted.json.data.id as string;
  await waitFor(async () => (await api.call('GET', `/v1/events/${eventId}`)).json?.data?.status === 'delivered', {
    timeoutMs: 15_000,
  });
  const replay = await api.call('POST', `/v1/events/${eventId}/replay`, {});
  t.equal(replay.status, 202);

  const [e] = await entries(1, `&action=event.replay`);
  t.match(e, {
    resource_type: 'event',
    resource_id: eventId,
    ids: {
      event_id: eventId,
      replay_id: replay.json.data.replay_id,
      delivery_ids: replay.json.data.deliveries.map((d: { id: string }) => d.id),
    },
    status: 202,
  });
  const byEvent = await entries(1, `&resource_id=${eventId}`);
  t.same(
    byEvent.map((x) => x.action),
    ['event.replay'],
    'the resource_id filter finds the entry by any of its ids',
  );
});

t.test('a bulk replay, an export and its download are recorded', async (t) => {
  const until = new Date(Date.now() + 60_000).toISOString();
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const bulk = await api.call('POST', '/v1/replays', { since, until, status: 'delivered' });
  t.equal(bulk.status, 202, JSON.stringify(bulk.json));
  const exp = await api.call('POST', '/v1/exports', { kind: 'events', format: 'csv' });
  t.equal(exp.status, 202);
  await waitFor(
    async () => (await api.call('GET', `/v1/exports/${exp.json.data.id}`)).json.data.status === 'completed',
    { timeoutMs: 30_000 },
  );
  const file = await fetch(`${gw.url}/v1/exports/${exp.json.data.id}/download`, {
    headers: { authorization: `Bearer ${bootstrapKey}` },
  });
  t.equal(file.status, 200);
  await file.text();

  const [r] = await entries(1, '&action=replay.create');
  t.match(r, { resource_id: bulk.json.data.id, ids: { replay_id: bulk.json.data.id }, status: 202 });
  t.same([...r.fields].sort(), ['since', 'status', 'until']);
  const exports = await entries(2, '&action=export.*');
  t.same(
    exports.map((x) => x.action),
    ['export.download', 'export.create'],
  );
  t.ok(exports.every((x) => x.resource_id === exp.json.data.id));
  t.equal(exports[0].method, 'GET');
});

t.test("a customer portal's changes are recorded under its session; its link and cookie nowhere", async (t) => {
  const dst = await api.call('POST', '/v1/destinations', {
    name: 'customer endpoint',
    url: `${receiver.url}/cus`,
    customer_id: 'cus_audit',
  });
  t.equal(dst.status, 201);
  const link = await api.call('POST', '/v1/portal-sessions', { customer_id: 'cus_audit', scope: 'manage' });
  t.equal(link.status, 201);
  const token = new URLSearchParams(new URL(link.json.data.url).hash.slice(1)).get('token') as string;
  const signedIn = await fetch(`${gw.url}/portal/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  t.equal(signedIn.status, 200);
  const cookie = /^(hs_portal=[^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const portal = client(gw.url as string);
  const asCustomer = { cookie, 'x-hookstream-console': '1' };
  const changed = await portal.call(
    'PATCH',
    `/v1/destinations/${dst.json.data.id}`,
    { url: `${receiver.url}/cus2` },
    asCustomer,
  );
  t.equal(changed.status, 200, JSON.stringify(changed.json));
  const revealed = await portal.call('GET', `/v1/destinations/${dst.json.data.id}/secret`, undefined, asCustomer);
  t.equal(revealed.status, 200);

  const [created] = await entries(1, '&action=portal_session.create');
  t.match(created, { actor: { type: 'api_key', id: bootstrapId }, fields: ['customer_id', 'scope'] });
  const byCustomer = await entries(2, '&actor_type=portal');
  t.same(
    byCustomer.map((x) => x.action),
    ['destination.reveal_secret', 'destination.update'],
  );
  t.ok(
    byCustomer.every((x) => x.actor.name === 'cus_audit' && x.resource_id === dst.json.data.id),
    'under the customer, on its endpoint',
  );
  t.equal(byCustomer[0].actor.id, byCustomer[1].actor.id, 'one session');
  const stored = `${await streamText()}\n${await tableText()}`;
  t.notOk(stored.includes(token), 'the portal link token is nowhere in the log');
  t.notOk(stored.includes(cookie.slice('hs_portal='.length)), 'nor the session cookie');
  t.notOk(stored.includes(revealed.json.data.signing_secret), 'nor the secret it read');
});

t.test('filters and cursor pages', async (t) => {
  for (let i = 0; i < 5; i++) await api.call('POST', '/v1/event-types', { name: `paged.type${i}` });
  const all = await entries(5, '&action=event_type.*');
  t.equal(all.length, 5);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await api.call(
      'GET',
      `/v1/audit-log?action=event_type.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
    );
    t.equal(r.status, 200);
    seen.push(...r.json.data.map((x: { id: string }) => x.id));
    cursor = r.json.next_cursor;
    pages++;
  } while (cursor);
  t.equal(pages, 3);
  t.same(
    seen,
    all.map((x) => x.id),
    'pages give every entry once, newest first',
  );
  t.ok(all.every((x, i) => i === 0 || x.at <= all[i - 1].at));

  const mid = all[2].at as string;
  const since = await api.call('GET', `/v1/audit-log?action=event_type.create&since=${encodeURIComponent(mid)}`);
  t.same(
    since.json.data.map((x: { id: string }) => x.id),
    all.filter((x) => x.at >= mid).map((x) => x.id),
  );
  const until = await api.call('GET', `/v1/audit-log?action=event_type.create&until=${encodeURIComponent(mid)}`);
  t.same(
    until.json.data.map((x: { id: string }) => x.id),
    all.filter((x) => x.at < mid).map((x) => x.id),
  );

  const key = await api.call('POST', '/v1/api-keys', { name: 'second' });
  const other = client(gw.url as string, key.json.data.key);
  await other.call('POST', '/v1/event-types', { name: 'by.second' });
  const mine = await entries(1, `&actor=${key.json.data.id}`);
  t.same(
    mine.map((x) => [x.action, x.actor.name]),
    [['event_type.create', 'second']],
  );
  const none = await api.call('GET', `/v1/audit-log?actor=${key.json.data.id}&action=destination.*`);
  t.same(none.json.data, []);

  const b = await anon.call('POST', '/v1/accounts', { name: 'other tenant' });
  const theirs = client(gw.url as string, b.json.data.api_key);
  const own = await entries(1, '', theirs);
  t.ok(
    own.every((x) => x.action === 'account.create'),
    'another account sees only its own entries',
  );
  t.equal(own[0].ids.account_id, b.json.data.account.id);
  t.equal(own[0].actor.type, 'signup');
});

t.test('bad filters are 400 in the envelope', async (t) => {
  for (const q of [
    'since=yesterday',
    'until=2026-13-45T00:00:00Z',
    'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    'cursor=not-a-cursor',
    'action=Destination.Update!',
    'actor_type=robot',
    'outcome=maybe',
    'limit=0',
    'limit=501',
    'colour=red',
    'format=xml',
  ]) {
    const r = await api.call('GET', `/v1/audit-log?${q}`);
    t.equal(r.status, 400, q);
    t.type(r.json.error, 'string', q);
  }
  const r = await anon.call('GET', '/v1/audit-log');
  t.equal(r.status, 401, 'no key, no log');
});

t.test('a refused change is recorded as denied; a refused input is not recorded', async (t) => {
  const refused = await api.call('PATCH', '/v1/account', { plan: 'enterprise' });
  t.equal(refused.status, 403);
  const [e] = await entries(1, '&outcome=denied');
  t.match(e, {
    action: 'account.update',
    outcome: 'denied',
    status: 403,
    fields: ['plan'],
    actor: { id: bootstrapId },
  });
  const invalid = await api.call('POST', '/v1/destinations', { name: 'bad', url: 'not a url' });
  t.equal(invalid.status, 400);
  const creates = (await api.call('GET', '/v1/audit-log?action=destination.create&limit=500')).json.data;
  t.notOk(
    creates.some((x: { status: number }) => x.status === 400),
    'a 400 changed nothing and is not in the log',
  );
  const published = await api.call('POST', '/v1/outbound-events', { event_type: 'traffic.only', payload: {} });
  t.equal(published.status, 202);
  const dry = await api.call('POST', '/v1/payload-filters/test', { payload_filter: { a: 1 }, payload: { a: 1 } });
  t.equal(dry.status, 200);
  await api.call('POST', '/v1/event-types', { name: 'after.traffic' });
  await entries(
    1,
    '&action=event_type.create&resource_id=' +
      (await api.call('GET', '/v1/event-types?limit=500')).json.data.find(
        (x: { name: string }) => x.name === 'after.traffic',
      ).id,
  );
  const all = (await api.call('GET', '/v1/audit-log?limit=500')).json.data as Array<{ action: string }>;
  t.notOk(
    all.some((x) => x.action.startsWith('outbound_event') || x.action.startsWith('payload_filter')),
    'traffic and dry runs are not changes',
  );
});

t.test('downloads: CSV with formulas neutralised, NDJSON', async (t) => {
  const key = await api.call('POST', '/v1/api-keys', { name: '=HYPERLINK("http://evil")' });
  const evil = client(gw.url as string, key.json.data.key);
  await evil.call('POST', '/v1/event-types', { name: 'by.evil' });
  await entries(1, `&actor=${key.json.data.id}`);
  const res = await fetch(`${gw.url}/v1/audit-log?format=csv&actor=${key.json.data.id}`, {
    headers: { authorization: `Bearer ${bootstrapKey}` },
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/csv/);
  t.match(res.headers.get('content-disposition'), /attachment; filename="audit-log-.*\.csv"/);
  const rows: Array<Record<string, string>> = parse(await res.text(), { columns: true });
  t.equal(rows.length, 1);
  t.equal(rows[0]?.actor_name, `'=HYPERLINK("http://evil")`, 'a formula is shown as text');
  t.equal(rows[0]?.action, 'event_type.create');

  const nd = await fetch(`${gw.url}/v1/audit-log?format=ndjson&action=event_type.*`, {
    headers: { authorization: `Bearer ${bootstrapKey}` },
  });
  const lines = (await nd.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.ok(lines.length >= 7);
  t.ok(lines.every((l) => l.action === 'event_type.create' && l.actor_id));
});

t.test('the address: the connection, or the client a trusted proxy names', async (t) => {
  const spoofed = await api.call(
    'POST',
    '/v1/event-types',
    { name: 'spoofed.address' },
    { 'x-forwarded-for': '198.51.100.7' },
  );
  const [e] = await entries(1, `&resource_id=${spoofed.json.data.id}`);
  t.equal(e.ip, '127.0.0.1', 'X-Forwarded-For is ignored unless TRUST_PROXY is on');

  const proxied = await startSystem(t, { trustProxy: true });
  const signup = await client(proxied.url as string).call('POST', '/v1/accounts', { name: 'behind a proxy' });
  const viaProxy = client(proxied.url as string, signup.json.data.api_key);
  const proxiedType = await viaProxy.call(
    'POST',
    '/v1/event-types',
    { name: 'proxied.address' },
    { 'x-forwarded-for': '198.51.100.7' },
  );
  const [p] = await entries(1, `&resource_id=${proxiedType.json.data.id}`, viaProxy);
  t.equal(p.ip, '198.51.100.7', 'the client address the trusted proxy forwarded');
});

t.test('a rebuild reproduces the audit log', async (t) => {
  const before = await snapshotAuditLog(pool);
  t.ok(before.length >= 15);
  await rebuild({ broker: gw.broker, pool, log: createLogger('silent'), timeoutMs: 60_000 });
  t.same(await snapshotAuditLog(pool), before);
});

t.test('a change whose record cannot be stored is not answered 2xx', async (t) => {
  const exp = await api.call('POST', '/v1/exports', { kind: 'events', format: 'ndjson' });
  await waitFor(
    async () => (await api.call('GET', `/v1/exports/${exp.json.data.id}`)).json.data.status === 'completed',
    { timeoutMs: 30_000 },
  );
  await deleteStream(gw.broker, STREAMS.audit);
  t.teardown(() => ensureTopology(gw.broker, { replicas: 1, duplicateWindowS: 120 }));
  const r = await api.call('POST', '/v1/event-types', { name: 'unrecorded' });
  t.equal(r.status, 503);
  t.equal(r.json.code, 'audit_unavailable');
  const file = await fetch(`${gw.url}/v1/exports/${exp.json.data.id}/download`, {
    headers: { authorization: `Bearer ${bootstrapKey}`, 'accept-encoding': 'gzip' },
  });
  t.equal(file.status, 503, 'a download unrecorded is not sent');
  t.equal(file.headers.get('content-encoding'), null);
  t.equal(((await file.json()) as { code: string }).code, 'audit_unavailable');
  t.ok(accountId);
});
