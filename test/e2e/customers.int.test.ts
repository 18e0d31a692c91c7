// Customers in outbound mode: an event published for a customer reaches that customer's endpoints
// only; without one it reaches every matching endpoint, as before; lists filter by customer.
import t from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

t.test('each event reaches only its customer, and lists filter by customer', async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const dest = async (name: string, customer_id?: string) => {
    const r = await api.call('POST', '/v1/destinations', {
      name,
      url: `${rx.url}/${name}`,
      ...(customer_id ? { customer_id } : {}),
    });
    t.equal(r.status, 201, `destination ${name} created`);
    t.equal(r.json.data.customer_id, customer_id ?? null);
    return r.json.data;
  };
  const a1 = await dest('a1', 'cus_a');
  const a2 = await dest('a2', 'cus_a');
  const b1 = await dest('b1', 'cus_b');
  const shared = await dest('shared');
  for (const d of [a1, a2, b1, shared]) {
    const r = await api.call('POST', '/v1/routes', { destination_id: d.id, event_type_pattern: 'invoice.*' });
    t.equal(r.status, 201);
    t.equal(r.json.data.customer_id, d.customer_id, "a route takes its destination's customer");
  }

  const publish = async (body: Record<string, unknown>) => {
    const r = await api.call('POST', '/v1/outbound-events', { event_type: 'invoice.paid', payload: { n: 1 }, ...body });
    t.equal(r.status, 202);
    return r.json.data.id as string;
  };
  const forA = await publish({ customer_id: 'cus_a' });
  const forB = await publish({ customer_id: 'cus_b' });
  const forAll = await publish({});
  const forNobody = await publish({ customer_id: 'cus_without_endpoints' });

  // 2 (A) + 1 (B) + 4 (all): the customer's endpoints only, never the shared one.
  await rx.waitForCount(7, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(rx.requests.length, 7, 'no extra deliveries');
  const to = (id: string) =>
    rx.requests
      .filter((r) => r.headers['x-hookstream-event-id'] === id)
      .map((r) => r.url.slice(1))
      .sort();
  t.same(to(forA), ['a1', 'a2'], "customer A's event went to A's endpoints only");
  t.same(to(forB), ['b1'], "customer B's event went to B's endpoint only");
  t.same(to(forAll), ['a1', 'a2', 'b1', 'shared'], 'an event without a customer went to every matching endpoint');
  t.same(to(forNobody), [], 'a customer without endpoints gets nothing, and nobody else gets its event');

  // Destination and route lists.
  const ids = (r: { json: any }) => (r.json.data as Array<{ id: string }>).map((x) => x.id).sort();
  t.same(ids(await api.call('GET', '/v1/destinations?customer_id=cus_a')), [a1.id, a2.id].sort());
  t.same(ids(await api.call('GET', '/v1/destinations?customer_id=cus_b')), [b1.id]);
  t.equal((await api.call('GET', '/v1/destinations')).json.data.length, 4, 'no filter: every destination');
  const routesOfA = (await api.call('GET', '/v1/routes?customer_id=cus_a')).json.data as Array<{
    destination_id: string;
    customer_id: string;
  }>;
  t.same(routesOfA.map((r) => r.destination_id).sort(), [a1.id, a2.id].sort());
  t.ok(routesOfA.every((r) => r.customer_id === 'cus_a'));

  // The event log: the events published for A, and those delivered to A's endpoints.
  const listed = await waitFor(async () => {
    const r = await api.call('GET', '/v1/events?customer_id=cus_a');
    const got = (r.json.data as Array<{ id: string; status: string }>).filter((e) => e.status === 'delivered');
    return got.length === 2 ? r.json.data : null;
  });
  t.same(
    listed.map((e: { id: string }) => e.id).sort(),
    [forA, forAll].sort(),
    "A's list: its own event and the event for all",
  );
  t.equal(listed.find((e: { id: string }) => e.id === forA).customer_id, 'cus_a');
  t.equal(listed.find((e: { id: string }) => e.id === forAll).customer_id, null);
  const ofB = (await api.call('GET', '/v1/outbound-events?customer_id=cus_b')).json.data
    .map((e: { id: string }) => e.id)
    .sort();
  t.same(ofB, [forB, forAll].sort());
  const none = (await api.call('GET', '/v1/events?customer_id=cus_without_endpoints')).json.data.map(
    (e: { id: string }) => e.id,
  );
  t.same(none, [forNobody], 'an unrouted event of a customer is listed as its own');

  // The deliveries of an event carry their destination's customer.
  const all = (await api.call('GET', `/v1/events/${forAll}`)).json.data;
  const customers = Object.fromEntries(
    all.deliveries.map((d: { destination_id: string; customer_id: string | null }) => [
      d.destination_id,
      d.customer_id,
    ]),
  );
  t.same(customers, { [a1.id]: 'cus_a', [a2.id]: 'cus_a', [b1.id]: 'cus_b', [shared.id]: null });

  // A replay of A's event to B's endpoint is refused; to A's own it goes.
  const cross = await api.call('POST', `/v1/events/${forA}/replay`, { destination_id: b1.id });
  t.equal(cross.status, 400);
  const own = await api.call('POST', `/v1/events/${forA}/replay`, { destination_id: a1.id });
  t.equal(own.status, 202);
  await rx.waitForCount(8, 15_000);
  t.equal(rx.requests[7]?.url, '/a1');
});

t.test("inbound webhooks never reach a customer's endpoint", async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const src = (await api.call('POST', '/v1/sources', { name: 'stripe' })).json.data;
  const mine = (await api.call('POST', '/v1/destinations', { name: 'mine', url: `${rx.url}/mine` })).json.data;
  const theirs = (
    await api.call('POST', '/v1/destinations', { name: 'theirs', url: `${rx.url}/theirs`, customer_id: 'cus_a' })
  ).json.data;
  // Catch-all routes carry inbound events too, but not to a customer's endpoint.
  t.equal((await api.call('POST', '/v1/routes', { destination_id: mine.id })).status, 201);
  t.equal((await api.call('POST', '/v1/routes', { destination_id: theirs.id })).status, 201);
  t.equal((await api.ingest(src.path_token, '{"a":1}', { 'content-type': 'application/json' })).status, 202);
  await api.call('POST', '/v1/outbound-events', { event_type: 'x.y', payload: {} });
  await rx.waitForCount(3, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.same(rx.requests.map((r) => r.url).sort(), ['/mine', '/mine', '/theirs']);
});

t.test('bad customer ids and mismatched customers are refused and change nothing', async (t) => {
  const gw = await startSystem(t);
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const url = 'http://127.0.0.1:9/hook';
  const a = (await api.call('POST', '/v1/destinations', { name: 'a', url, customer_id: 'cus_a' })).json.data;
  const plain = (await api.call('POST', '/v1/destinations', { name: 'plain', url })).json.data;
  const src = (await api.call('POST', '/v1/sources', { name: 'in' })).json.data;

  const bad: Array<[string, string, unknown]> = [
    ['POST', '/v1/destinations', { name: 'x', url, customer_id: '' }],
    ['POST', '/v1/destinations', { name: 'x', url, customer_id: 'x'.repeat(129) }],
    ['POST', '/v1/destinations', { name: 'x', url, customer_id: 'a\nb' }],
    ['POST', '/v1/destinations', { name: 'x', url, customer_id: 42 }],
    ['PATCH', `/v1/destinations/${a.id}`, { customer_id: 'tab\there' }],
    ['POST', '/v1/outbound-events', { event_type: 'x', payload: {}, customer_id: '' }],
    ['POST', '/v1/outbound-events', { event_type: 'x', payload: {}, customer_id: 'bell\u0007' }],
    // destination_ids of another customer than the event's
    ['POST', '/v1/outbound-events', { event_type: 'x', payload: {}, customer_id: 'cus_b', destination_ids: [a.id] }],
    // a route's customer is its destination's
    ['POST', '/v1/routes', { destination_id: a.id, customer_id: 'cus_b' }],
    ['POST', '/v1/routes', { destination_id: plain.id, customer_id: 'cus_a' }],
    ['POST', '/v1/routes', { destination_id: a.id, customer_id: null }],
    // a customer's destination takes outbound events only
    ['POST', '/v1/routes', { destination_id: a.id, source_id: src.id }],
    // sources are inbound: they have no customer
    ['POST', '/v1/sources', { name: 'y', customer_id: 'cus_a' }],
    ['GET', '/v1/events?customer_id=', undefined],
    ['GET', `/v1/destinations?customer_id=${'x'.repeat(129)}`, undefined],
    ['GET', '/v1/routes?customer_id=%0A', undefined],
  ];
  for (const [method, path, body] of bad) {
    const r = await api.call(method, path, body);
    t.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)} → 400`);
    t.type(r.json.error, 'string');
  }
  t.equal((await api.call('GET', '/v1/destinations')).json.data.length, 2, 'no destination was created');
  t.equal((await api.call('GET', '/v1/routes')).json.data.length, 0, 'no route was created');
  t.equal(
    (await api.call('GET', `/v1/destinations/${a.id}`)).json.data.customer_id,
    'cus_a',
    'the patch changed nothing',
  );

  // Unicode that is not a control character is a customer id like any other.
  const r = await api.call('POST', '/v1/destinations', { name: 'u', url, customer_id: 'Kunde Ø 7' });
  t.equal(r.status, 201);
  t.equal(r.json.data.customer_id, 'Kunde Ø 7');

  // An inbound route blocks moving its destination to a customer; routes follow their destination.
  const inRoute = (await api.call('POST', '/v1/routes', { destination_id: plain.id, source_id: src.id })).json.data;
  t.equal((await api.call('PATCH', `/v1/destinations/${plain.id}`, { customer_id: 'cus_c' })).status, 409);
  await api.call('DELETE', `/v1/routes/${inRoute.id}`);
  const outRoute = (await api.call('POST', '/v1/routes', { destination_id: plain.id })).json.data;
  t.equal(outRoute.customer_id, null);
  const moved = await api.call('PATCH', `/v1/destinations/${plain.id}`, { customer_id: 'cus_c' });
  t.equal(moved.status, 200);
  t.equal(moved.json.data.customer_id, 'cus_c');
  await waitFor(async () =>
    (await api.call('GET', `/v1/routes/${outRoute.id}`)).json.data.customer_id === 'cus_c' ? true : null,
  );
  t.same(
    (await api.call('GET', '/v1/routes?customer_id=cus_c')).json.data.map((x: { id: string }) => x.id),
    [outRoute.id],
  );

  // A route moved to another destination takes that destination's customer; naming another is a 400.
  t.equal(
    (await api.call('PATCH', `/v1/routes/${outRoute.id}`, { destination_id: a.id, customer_id: 'cus_c' })).status,
    400,
  );
  const repointed = await api.call('PATCH', `/v1/routes/${outRoute.id}`, { destination_id: a.id });
  t.equal(repointed.status, 200);
  t.equal(repointed.json.data.customer_id, 'cus_a');
  // Taken away from its customer, a destination's routes follow it.
  const freed = await api.call('PATCH', `/v1/destinations/${a.id}`, { customer_id: null });
  t.equal(freed.json.data.customer_id, null);
  await waitFor(async () =>
    (await api.call('GET', `/v1/routes/${outRoute.id}`)).json.data.customer_id === null ? true : null,
  );
});

t.test('dead letters filter by the customer of their destination', async (t) => {
  const gw = await startSystem(t);
  const rx = await startReceiver(t);
  rx.respond(() => ({ status: 500, body: 'down' }));
  const acct = (await client(gw.url as string).call('POST', '/v1/accounts', { name: 'saas' })).json.data;
  const api = client(gw.url as string, acct.api_key);
  const mk = async (name: string, customer_id?: string) => {
    const d = (
      await api.call('POST', '/v1/destinations', {
        name,
        url: `${rx.url}/${name}`,
        retry_policy: { max_attempts: 1 },
        ...(customer_id ? { customer_id } : {}),
      })
    ).json.data;
    await api.call('POST', '/v1/routes', { destination_id: d.id });
    return d;
  };
  const a = await mk('a', 'cus_a');
  const b = await mk('b', 'cus_b');
  const plain = await mk('plain');
  await api.call('POST', '/v1/outbound-events', { event_type: 'x.y', payload: {} });
  const dead = await waitFor(
    async () => {
      const r = await api.call('GET', '/v1/dead-letters');
      return r.json.data.length === 3 ? r.json.data : null;
    },
    { timeoutMs: 15_000, message: 'three dead letters' },
  );
  t.same(dead.map((d: { destination_id: string }) => d.destination_id).sort(), [a.id, b.id, plain.id].sort());
  const of = async (c: string) =>
    (await api.call('GET', `/v1/dead-letters?customer_id=${c}`)).json.data.map(
      (d: { destination_id: string }) => d.destination_id,
    );
  t.same(await of('cus_a'), [a.id]);
  t.same(await of('cus_b'), [b.id]);
  t.same(await of('cus_nobody'), []);
  t.equal((await api.call('GET', '/v1/dead-letters?customer_id=%0A')).status, 400);
});
