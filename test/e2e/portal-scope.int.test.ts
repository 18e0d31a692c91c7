// The portal's customer scope on the event log and replays, through the whole system: a portal
// session of customer X sees X's messages and broadcasts that reached X (with X's deliveries only),
// never Y's; replays, one or bulk, never reach Y's endpoints.
import t from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

const TIMEOUT = 20_000;

t.test("a portal session's messages and replays stay within its customer", async (t) => {
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  receiver.respond((req) => (req.url.startsWith('/y') ? { status: 500, body: 'down' } : { status: 200, body: 'ok' }));
  const signup = await client(base).call('POST', '/v1/accounts', { name: 'acme' });
  const saas = client(base, signup.json.data.api_key);
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await saas.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json?.data;
  };
  const x = await must('POST', '/v1/destinations', { name: 'x', url: `${receiver.url}/x`, customer_id: 'cus_x' });
  const y = await must('POST', '/v1/destinations', {
    name: 'y',
    url: `${receiver.url}/y`,
    customer_id: 'cus_y',
    retry_policy: { max_attempts: 1 },
  });
  for (const d of [x, y])
    await must('POST', '/v1/routes', { destination_id: d.id, event_type_pattern: 'invoice.paid' });
  const since = new Date(Date.now() - 60_000).toISOString();
  const forX = await must('POST', '/v1/outbound-events', {
    event_type: 'invoice.paid',
    payload: { n: 'x' },
    customer_id: 'cus_x',
  });
  const forY = await must('POST', '/v1/outbound-events', {
    event_type: 'invoice.paid',
    payload: { n: 'y' },
    customer_id: 'cus_y',
  });
  const forAll = await must('POST', '/v1/outbound-events', { event_type: 'invoice.paid', payload: { n: 'all' } });
  const settled = async (id: string) =>
    waitFor(
      async () => {
        const e = (await saas.call('GET', `/v1/outbound-events/${id}`)).json?.data;
        return e &&
          e.deliveries.length > 0 &&
          e.deliveries.every((d: { status: string }) => d.status === 'delivered' || d.status === 'dead_letter')
          ? e
          : null;
      },
      { timeoutMs: TIMEOUT },
    );
  for (const e of [forX, forY, forAll]) await settled(e.id);

  /** The headers a portal page of the customer sends: its cookie and the same-site header. */
  const session = async (customer: string): Promise<Record<string, string>> => {
    const link = await must('POST', '/v1/portal-sessions', { customer_id: customer, scope: 'manage' });
    const token = new URLSearchParams(new URL(link.url).hash.slice(1)).get('token');
    const res = await fetch(`${base}/portal/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    t.equal(res.status, 200);
    const cookie = /^(hs_portal=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
    return { cookie, 'x-hookstream-console': '1' };
  };
  const xHeaders = await session('cus_x');
  const yHeaders = await session('cus_y');
  const asX = (method: string, path: string, body?: unknown) => client(base).call(method, path, body, xHeaders);
  const asY = (method: string, path: string, body?: unknown) => client(base).call(method, path, body, yHeaders);

  for (const q of ['', '?customer_id=cus_y', `?destination_id=${x.id}`]) {
    const list = await asX('GET', `/v1/outbound-events${q}`);
    t.same(
      list.json.data.map((e: { id: string }) => e.id).sort(),
      [forX.id, forAll.id].sort(),
      `X lists its messages and the broadcast (${q || 'no filter'})`,
    );
  }
  t.equal(
    (await asX('GET', `/v1/outbound-events?destination_id=${y.id}`)).status,
    404,
    "filtering by Y's endpoint is a 404",
  );

  const broadcast = await asX('GET', `/v1/outbound-events/${forAll.id}`);
  t.equal(broadcast.status, 200);
  t.same(
    broadcast.json.data.deliveries.map((d: { destination_id: string }) => d.destination_id),
    [x.id],
    "the broadcast shows X's delivery only",
  );
  t.equal(
    (await saas.call('GET', `/v1/outbound-events/${forAll.id}`)).json.data.status,
    'dead_letter',
    "to the account, Y's failure counts",
  );
  t.equal(broadcast.json.data.status, 'delivered', 'to X, its status is that of its own delivery');
  const listed = (await asX('GET', '/v1/outbound-events')).json.data.find((e: { id: string }) => e.id === forAll.id);
  t.equal(listed.status, 'delivered', 'in its list too');
  t.equal((await asX('GET', `/v1/outbound-events/${forY.id}`)).status, 404, "Y's message is a 404 in X's session");
  t.equal((await asX('POST', `/v1/outbound-events/${forY.id}/replay`, { destination_id: x.id })).status, 404);
  t.equal(
    (await asX('POST', `/v1/outbound-events/${forAll.id}/replay`, {})).status,
    400,
    'a portal replay names its endpoint',
  );
  t.equal(
    (await asX('POST', `/v1/outbound-events/${forAll.id}/replay`, { destination_id: y.id })).status,
    404,
    "and never Y's",
  );
  const toY = receiver.requests.filter((r) => r.url === '/y').length;
  const one = await asX('POST', `/v1/outbound-events/${forAll.id}/replay`, { destination_id: x.id });
  t.equal(one.status, 202, JSON.stringify(one.json));
  t.same(
    one.json.data.deliveries.map((d: { destination_id: string }) => d.destination_id),
    [x.id],
  );

  // "Recover failed since": Y's failed messages and Y's failed delivery of the broadcast are not X's.
  const bulk = await asX('POST', '/v1/replays', { since, until: new Date().toISOString() });
  t.equal(bulk.status, 202, JSON.stringify(bulk.json));
  t.equal(bulk.json.data.filter.customer_id, 'cus_x', 'the replay is scoped to the customer');
  const done = await waitFor(
    async () => {
      const r = (await asX('GET', `/v1/replays/${bulk.json.data.id}`)).json?.data;
      return r && r.status === 'completed' ? r : null;
    },
    { timeoutMs: TIMEOUT },
  );
  t.equal(done.matched, 2, "X's message and the broadcast");
  await waitFor(() => receiver.requests.filter((r) => r.url === '/x').length >= 5, { timeoutMs: TIMEOUT });
  t.equal(receiver.requests.filter((r) => r.url === '/y').length, toY, "nothing was sent again to Y's endpoint");
  t.equal((await asY('GET', `/v1/replays/${bulk.json.data.id}`)).status, 404, "X's replay is a 404 to Y");
  const accountReplay = await must('POST', '/v1/replays', {
    since,
    until: new Date().toISOString(),
    destination_id: x.id,
  });
  t.equal(
    (await asX('GET', `/v1/replays/${accountReplay.id}`)).status,
    404,
    "the account's own replays are not the customer's",
  );
  t.equal(
    (await asX('POST', '/v1/replays', { since, until: new Date().toISOString(), destination_id: y.id })).status,
    404,
  );
});
