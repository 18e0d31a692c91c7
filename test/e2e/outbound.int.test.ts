// Outbound mode: a SaaS publishes events; subscribed endpoints receive them signed.
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { verify as githubVerify } from '@octokit/webhooks-methods';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

t.test('subscriptions by type pattern, labels and payload filter receive exactly their events', async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const dest = async (name: string) =>
    (await api.call('POST', '/v1/destinations', { name, url: `${rx.url}/${name}` })).json.data;
  const [invoices, acme, big] = [await dest('invoices'), await dest('acme'), await dest('big')];
  t.equal(
    (await api.call('POST', '/v1/routes', { destination_id: invoices.id, event_type_pattern: 'invoice.*' })).status,
    201,
  );
  t.equal(
    (await api.call('POST', '/v1/routes', { destination_id: acme.id, labels: { tenant: 'acme', env: 'prod' } })).status,
    201,
  );
  t.equal(
    (
      await api.call('POST', '/v1/routes', {
        destination_id: big.id,
        event_type_pattern: 'invoice.**',
        payload_filter: { amount: { $gte: 1000 }, $or: [{ currency: 'eur' }, { currency: { $in: ['usd'] } }] },
      })
    ).status,
    201,
  );
  const publish = (body: unknown) => api.call('POST', '/v1/outbound-events', body);
  const cases = [
    {
      body: {
        event_type: 'invoice.paid',
        payload: { amount: 5000, currency: 'eur' },
        labels: { tenant: 'acme', env: 'prod' },
      },
      to: ['invoices', 'acme', 'big'],
    },
    {
      body: {
        event_type: 'invoice.paid',
        payload: { amount: 10, currency: 'eur' },
        labels: { tenant: 'acme', env: 'dev' },
      },
      to: ['invoices'],
    },
    { body: { event_type: 'invoice.line.added', payload: { amount: 2000, currency: 'usd' } }, to: ['big'] },
    {
      body: {
        event_type: 'customer.created',
        payload: { amount: 9999, currency: 'eur' },
        labels: { tenant: 'acme', env: 'prod' },
      },
      to: ['acme'],
    },
    { body: { event_type: 'customer.deleted', payload_text: 'not json', labels: { tenant: 'other' } }, to: [] },
  ];
  const ids: string[] = [];
  for (const c of cases) {
    const r = await publish(c.body);
    t.equal(r.status, 202);
    t.equal(r.json.data.status, 'queued');
    ids.push(r.json.data.id);
  }
  const expected = cases.reduce((n, c) => n + c.to.length, 0);
  await rx.waitForCount(expected, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(rx.requests.length, expected, 'no extra deliveries');
  cases.forEach((c, i) => {
    const got = rx.requests
      .filter((r) => r.headers['x-hookstream-event-id'] === ids[i])
      .map((r) => r.url.slice(1))
      .sort();
    t.same(got, [...c.to].sort(), `${c.body.event_type} went exactly to ${c.to.join(', ') || 'nowhere'}`);
  });
  const unrouted = await waitFor(async () => {
    const r = await api.call('GET', `/v1/outbound-events/${ids[4]}`);
    return r.status === 200 && r.json.data.status === 'unrouted' ? r.json.data : null;
  });
  t.equal(unrouted.direction, 'outbound');
  t.equal(unrouted.body, 'not json');
});

t.test('signatures verify with each provider’s own code, also during a rotation', async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const mk = async (name: string, scheme: string, signing_secret?: string) => {
    const d = (
      await api.call('POST', '/v1/destinations', {
        name,
        url: `${rx.url}/${name}`,
        signature_scheme: scheme,
        ...(signing_secret ? { signing_secret } : {}),
      })
    ).json.data;
    await api.call('POST', '/v1/routes', { destination_id: d.id, event_type_pattern: `${name}.*` });
    return d;
  };
  const sw = await mk('sw', 'standard_webhooks');
  await mk('st', 'stripe', 'whsec_stripe_test_secret_1234567890');
  await mk('gh', 'github', 'github-secret-123');
  t.match(sw.signing_secret, /^whsec_/, 'a Standard Webhooks secret was generated and shown once');

  await api.call('POST', '/v1/outbound-events', { event_type: 'sw.a', payload: { n: 1 } });
  await api.call('POST', '/v1/outbound-events', { event_type: 'st.a', payload: { n: 2 } });
  await api.call('POST', '/v1/outbound-events', { event_type: 'gh.a', payload: { n: 3 } });
  await rx.waitForCount(3, 15_000);
  const byPath = (p: string) => rx.requests.filter((r) => r.url === p);
  const swReq = byPath('/sw')[0]!;
  const headers = (r: typeof swReq) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
  t.doesNotThrow(
    () => new Webhook(sw.signing_secret).verify(swReq.body.toString(), headers(swReq)),
    'standardwebhooks verifies',
  );
  const stReq = byPath('/st')[0]!;
  t.doesNotThrow(
    () =>
      new Stripe('sk_test_x').webhooks.constructEvent(
        stReq.body.toString(),
        String(stReq.headers['stripe-signature']),
        'whsec_stripe_test_secret_1234567890',
      ),
    'stripe verifies',
  );
  const ghReq = byPath('/gh')[0]!;
  t.ok(
    await githubVerify('github-secret-123', ghReq.body.toString(), String(ghReq.headers['x-hub-signature-256'])),
    'octokit verifies',
  );

  const rot = await api.call('POST', `/v1/destinations/${sw.id}/rotate-secret`, { overlap_s: 3600 });
  t.equal(rot.status, 200);
  const fresh = rot.json.data.signing_secret;
  await api.call('POST', '/v1/outbound-events', { event_type: 'sw.b', payload: { n: 4 } });
  await rx.waitForCount(4, 15_000);
  const rotated = byPath('/sw')[1]!;
  t.doesNotThrow(
    () => new Webhook(sw.signing_secret).verify(rotated.body.toString(), headers(rotated)),
    'the old secret still verifies during the overlap',
  );
  t.doesNotThrow(() => new Webhook(fresh).verify(rotated.body.toString(), headers(rotated)), 'the new secret verifies');
});

t.test('idempotent publish, schema validation, replay with a fresh delivery id', async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const d = (await api.call('POST', '/v1/destinations', { name: 'd', url: rx.url })).json.data;
  await api.call('POST', '/v1/routes', { destination_id: d.id });
  const et = await api.call('POST', '/v1/event-types', {
    name: 'order.paid',
    description: 'An order was paid',
    schema: {
      type: 'object',
      required: ['order_id', 'amount'],
      properties: { order_id: { type: 'string' }, amount: { type: 'integer', minimum: 0 } },
    },
  });
  t.equal(et.status, 201);
  t.equal(
    (await api.call('POST', '/v1/event-types', { name: 'order.paid' })).status,
    409,
    'names are unique per account',
  );
  const bad = await api.call('POST', '/v1/outbound-events', { event_type: 'order.paid', payload: { amount: -5 } });
  t.equal(bad.status, 400);
  t.match(bad.json.error, /order_id/);
  t.match(bad.json.error, /amount/);

  const first = await api.call('POST', '/v1/outbound-events', {
    event_type: 'order.paid',
    event_id: 'evt_1',
    payload: { order_id: 'o1', amount: 5 },
  });
  const again = await api.call('POST', '/v1/outbound-events', {
    event_type: 'order.paid',
    event_id: 'evt_1',
    payload: { order_id: 'o1', amount: 5 },
  });
  t.equal(first.status, 202);
  t.equal(again.status, 202);
  t.equal(again.json.data.id, first.json.data.id, 'the repeat returns the original event');
  t.equal(again.json.data.note, 'duplicate');
  const [req] = await rx.waitForCount(1, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(rx.requests.length, 1, 'the repeat queued nothing');

  await waitFor(
    async () => (await api.call('GET', `/v1/outbound-events/${first.json.data.id}`)).json?.data?.status === 'delivered',
  );
  const replay = await api.call('POST', `/v1/outbound-events/${first.json.data.id}/replay`, {});
  t.equal(replay.status, 202);
  const [, again2] = await rx.waitForCount(2, 15_000);
  t.equal(again2!.headers['x-hookstream-event-id'], first.json.data.id, 'same event id');
  t.not(again2!.headers['x-hookstream-delivery-id'], req!.headers['x-hookstream-delivery-id'], 'a fresh delivery id');
  t.equal(again2!.headers['x-hookstream-delivery-id'], replay.json.data.deliveries[0].id);
  const ev = await waitFor(async () => {
    const r = await api.call('GET', `/v1/outbound-events/${first.json.data.id}`);
    return r.json.data.deliveries.length === 2 &&
      r.json.data.deliveries.every((x: { status: string }) => x.status === 'delivered')
      ? r.json.data
      : null;
  });
  t.equal(ev.deliveries.filter((x: { replay_id: string | null }) => x.replay_id !== null).length, 1);
  const inbound = await api.call('GET', `/v1/events/${first.json.data.id}`);
  t.equal(inbound.status, 200, 'GET /v1/events shows outbound events too');
  const wrongTwin = await api.call('GET', '/v1/outbound-events?direction=inbound');
  t.equal(wrongTwin.status, 400);
});
