// The router against a real nats-server, with the real deliverer for the HTTP leg and real
// receivers: fan-out by pattern, byte-exact bodies, unrouted events, restrictions, re-reads.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { type Broker, connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import { ephemeralKeyring, openCatalog } from '@hookstream/catalog';
import {
  CONSUMERS,
  DELIVERY_HEADERS,
  type DestinationRecord,
  type EventMeta,
  type RouteRecord,
  type RoutedFact,
  type RoutedFacts,
  STREAMS,
  decodeDeliveryMeta,
} from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/domain';
import { createLogger } from '@hookstream/observability';
import { publishRaw, startNats, startReceiver, streamMessages, waitFor } from '@hookstream/testkit';
import { buildDeliverer } from '@hookstream/app-deliverer';
import { buildRouter } from '../src/build.ts';

const nats = await startNats(t);
const broker = await connectBroker({ servers: nats.url, name: 'router-test' });
await ensureTopology(broker, { replicas: 1, duplicateWindowS: 3600 });
const catalog = await openCatalog(broker, { keyring: ephemeralKeyring() });
const publisher = createPublisher(broker);
const log = createLogger('silent');
const router = buildRouter({ broker, view: catalog.view, publisher, log });
const deliverer = buildDeliverer({
  broker,
  view: catalog.view,
  publisher,
  log,
  allowPrivate: true,
  maxInFlight: 64,
  pullExpiresMs: 2_000,
});
t.teardown(async () => {
  await router.stop();
  await deliverer.stop();
  catalog.close();
  await broker.close();
});
await router.start();
await deliverer.start();

const stamp = () => new Date().toISOString();
// Each test has an account of its own, so routes of one test never match events of another.
let account = randomUUID();

async function destination(url: string, over: Partial<DestinationRecord> = {}): Promise<DestinationRecord> {
  const d: DestinationRecord = {
    id: randomUUID(),
    account_id: account,
    name: 'd',
    url,
    auth_token: null,
    headers: {},
    signing_secrets: [],
    signature_scheme: 'standard_webhooks',
    timeout_ms: 2_000,
    retry_policy: { max_attempts: 3, delays_ms: [50], jitter: 0 },
    rate_limit_per_s: null,
    max_in_flight: 8,
    active: true,
    created_at: stamp(),
    updated_at: stamp(),
    ...over,
  };
  await catalog.put('destination', d.id, d);
  return d;
}

async function route(
  destinationId: string,
  pattern: string | null,
  over: Partial<RouteRecord> = {},
): Promise<RouteRecord> {
  const r: RouteRecord = {
    id: randomUUID(),
    account_id: account,
    source_id: null,
    destination_id: destinationId,
    event_type_pattern: pattern,
    labels: null,
    payload_filter: null,
    active: true,
    created_at: stamp(),
    updated_at: stamp(),
    ...over,
  };
  await catalog.put('route', r.id, r);
  return r;
}

async function publish(eventType: string | null, body: Buffer, over: Partial<EventMeta> = {}): Promise<EventMeta> {
  const meta: EventMeta = {
    v: 1,
    event_id: randomUUID(),
    account_id: account,
    direction: 'outbound',
    source_id: null,
    event_type: eventType,
    received_at: stamp(),
    content_type: 'application/octet-stream',
    headers: {},
    labels: null,
    idempotency_key: null,
    ...over,
  };
  await publisher.publishEvent(meta, body, `evt:${meta.event_id}`);
  return meta;
}

/** The facts stream's routing messages: a routed fact alone, or the routings of one turn together. */
async function routingMessages(b: Broker): Promise<Array<RoutedFact | RoutedFacts>> {
  const out: Array<RoutedFact | RoutedFacts> = [];
  for (const m of await streamMessages(b, STREAMS.facts)) {
    const f = JSON.parse(Buffer.from(m.data).toString()) as RoutedFact | RoutedFacts;
    if (f?.kind === 'routed' || f?.kind === 'routings') out.push(f);
  }
  return out;
}

async function routedFacts(b: Broker): Promise<RoutedFact[]> {
  return (await routingMessages(b)).flatMap((m) => (m.kind === 'routings' ? m.routings : [m]));
}

async function deliveriesFor(destinationId: string) {
  const out: Array<ReturnType<typeof decodeDeliveryMeta> & { seq: number }> = [];
  for (const m of await streamMessages(broker, STREAMS.deliveries)) {
    if (m.subject === `hs.deliveries.${destinationId}`) out.push({ ...decodeDeliveryMeta(m.headers), seq: m.seq });
  }
  return out;
}

t.test('three destinations with different patterns each get exactly their events, byte for byte', async (t) => {
  const [rxA, rxB, rxC] = await Promise.all([startReceiver(t), startReceiver(t), startReceiver(t)]);
  const a = await destination(rxA.url);
  const b = await destination(rxB.url);
  const c = await destination(rxC.url);
  const ra = await route(a.id, 'order.*');
  const rb = await route(b.id, 'invoice.paid');
  const rc = await route(c.id, '**');

  // Bodies that are not UTF-8 text: any re-encoding on the way would show.
  const bytes = (i: number) => Buffer.from([0x00, 0xff, 0xfe, 0x80, i, 0x0a, 0x7b]);
  const orderCreated = await publish('order.created', bytes(1));
  const invoicePaid = await publish('invoice.paid', bytes(2));
  const deep = await publish('order.refund.created', bytes(3));
  const untyped = await publish(null, bytes(4));
  const expected = new Map([
    [rxA, [[orderCreated, ra]]],
    [rxB, [[invoicePaid, rb]]],
    [
      rxC,
      [
        [orderCreated, rc],
        [invoicePaid, rc],
        [deep, rc],
      ],
    ],
  ] as const);
  const bodies = new Map([orderCreated, invoicePaid, deep, untyped].map((e, i) => [e.event_id, bytes(i + 1)]));

  // The unrouted event's fact is the last one the router writes; then every delivery exists.
  const unrouted = await waitFor(async () => (await routedFacts(broker)).find((f) => f.event_id === untyped.event_id));
  t.same(unrouted.deliveries, [], 'an event that matches nothing is recorded with no deliveries');

  for (const [rx, list] of expected) {
    const reqs = await rx.waitForCount(list.length);
    t.equal(reqs.length, list.length, 'exactly the matching events');
    for (const [event, r] of list) {
      const req = reqs.find((q) => q.headers[DELIVERY_HEADERS.eventId] === event.event_id);
      t.ok(req, `${event.event_type} arrived`);
      t.ok(req!.body.equals(bodies.get(event.event_id)!), 'byte for byte');
      t.equal(
        req!.headers[DELIVERY_HEADERS.deliveryId],
        deliveryIdFor(event.event_id, r.id),
        'delivery id derived from event and route',
      );
      t.equal(req!.headers[DELIVERY_HEADERS.eventType], event.event_type);
      t.equal(req!.headers[DELIVERY_HEADERS.attempt], '1');
      t.equal(req!.headers['content-type'], 'application/octet-stream');
    }
  }
  const facts = await routedFacts(broker);
  const fact = facts.find((f) => f.event_id === orderCreated.event_id);
  t.same(
    fact?.deliveries.map((d) => d.destination_id).sort(),
    [a.id, c.id].sort(),
    'the routed fact lists both deliveries',
  );
  const stored = await deliveriesFor(c.id);
  const forOrder = stored.find((d) => d.event.event_id === orderCreated.event_id);
  t.equal(forOrder?.delivery.event_seq, fact?.event_seq, 'the delivery points at the event in the events stream');
});

t.test('outbound destination_ids, inactive and foreign destinations restrict the fan-out', async (t) => {
  account = randomUUID();
  const rx = await startReceiver(t);
  const a = await destination(rx.url);
  const b = await destination(rx.url);
  const off = await destination(rx.url, { active: false });
  const foreign = await destination(rx.url, { account_id: randomUUID() });
  for (const d of [a, b, off, foreign]) await route(d.id, 'ping');
  const only = await publish('ping', Buffer.from('{}'), { destination_ids: [b.id, foreign.id] });
  const fact = await waitFor(async () => (await routedFacts(broker)).find((f) => f.event_id === only.event_id));
  t.same(
    fact.deliveries.map((d) => d.destination_id),
    [b.id],
    'only the named destination of this account',
  );
  const all = await publish('ping', Buffer.from('{}'));
  const fact2 = await waitFor(async () => (await routedFacts(broker)).find((f) => f.event_id === all.event_id));
  t.same(
    fact2.deliveries.map((d) => d.destination_id).sort(),
    [a.id, b.id].sort(),
    'inactive and other-account destinations get nothing',
  );
});

t.test("a customer's event goes to its destinations only, and the routed fact names their customer", async (t) => {
  account = randomUUID();
  const rx = await startReceiver(t);
  const a = await destination(rx.url, { customer_id: 'cus_a' });
  const b = await destination(rx.url, { customer_id: 'cus_b' });
  const all = await destination(rx.url);
  for (const d of [a, b, all]) await route(d.id, 'invoice.*', { customer_id: d.customer_id ?? null });
  const forA = await publish('invoice.paid', Buffer.from('{}'), { customer_id: 'cus_a' });
  const forAll = await publish('invoice.paid', Buffer.from('{}'));
  const inbound = await publish('invoice.paid', Buffer.from('{}'), { direction: 'inbound', source_id: randomUUID() });
  const factOf = (id: string) => waitFor(async () => (await routedFacts(broker)).find((f) => f.event_id === id));
  const customers = (f: RoutedFact) =>
    Object.fromEntries(f.deliveries.map((d) => [d.destination_id, d.customer_id ?? null]));
  t.same(customers(await factOf(forA.event_id)), { [a.id]: 'cus_a' }, "customer A's event: A's destination alone");
  t.same(
    customers(await factOf(forAll.event_id)),
    { [a.id]: 'cus_a', [b.id]: 'cus_b', [all.id]: null },
    'an event for all: every destination',
  );
  t.same(customers(await factOf(inbound.event_id)), { [all.id]: null }, "an inbound event: no customer's destination");
  await rx.waitForCount(5);
});

t.test('a malformed event is terminated and routing goes on', async (t) => {
  account = randomUUID();
  const rx = await startReceiver(t);
  const d = await destination(rx.url);
  await route(d.id, 'after.bad');
  await publishRaw(broker, `hs.events.${account}.out._`, 'x', { headers: { 'Hs-Meta': '{"v":1,"nonsense":true}' } });
  await publishRaw(broker, `hs.events.${account}.out._`, 'no headers at all');
  const good = await publish('after.bad', Buffer.from('{"ok":true}'));
  const [req] = await rx.waitForCount(1);
  t.equal(req?.headers[DELIVERY_HEADERS.eventId], good.event_id, 'the next event is routed');
  const info = await waitFor(async () => {
    const i = await broker.consumers.info(STREAMS.events, CONSUMERS.router);
    return i.num_ack_pending === 0 && i.num_pending === 0 && i;
  });
  t.equal(info.num_redelivered, 0, 'the malformed ones are not offered again');
});

t.test('a router that re-reads the whole stream creates no delivery twice', async (t) => {
  const before = (await broker.streams.info(STREAMS.deliveries)).state.messages;
  /** Each event's routing, as the deliveries it names: a routing stored again must name the same ones. */
  const routings = async () => {
    const byEvent = new Map<string, string[]>();
    for (const f of await routedFacts(broker)) {
      const ids = f.deliveries.map((d) => d.delivery_id).sort();
      const known = byEvent.get(f.event_id);
      if (known) t.same(ids, known, `event ${f.event_id} routed the same way again`);
      else byEvent.set(f.event_id, ids);
    }
    return byEvent;
  };
  const routedBefore = await routings();
  t.ok(before > 0);
  await router.stop();
  // A fresh `router` consumer starts from the first event again, as after a lost consumer state.
  await broker.consumers.delete(STREAMS.events, CONSUMERS.router);
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 3600 });
  await router.start();
  await waitFor(async () => {
    const i = await broker.consumers.info(STREAMS.events, CONSUMERS.router);
    return i.num_pending === 0 && i.num_ack_pending === 0 && i.delivered.stream_seq > 0;
  });
  t.equal(
    (await broker.streams.info(STREAMS.deliveries)).state.messages,
    before,
    'every republished delivery was a duplicate',
  );
  // Routed facts stored alone have ids of their own and were dropped as repeats too; those stored
  // with others in one message are stored again, naming the same deliveries (projected to the same rows).
  t.same(await routings(), routedBefore, 'every event is routed to the same deliveries as before');
});

t.test('the routings of events routed in one turn share one message per account', async (t) => {
  await router.stop();
  const accounts = [randomUUID(), randomUUID()];
  const rx = await startReceiver(t);
  for (const a of accounts) {
    account = a;
    await route((await destination(rx.url)).id, '**');
  }
  const messagesBefore = (await routingMessages(broker)).length;
  // Waiting before the router starts: it takes them in one pull and routes many in one turn.
  const events: EventMeta[] = [];
  for (let i = 0; i < 60; i++) {
    account = accounts[i % 2] as typeof account;
    events.push(await publish('batch.test', Buffer.from(`{"i":${i}}`)));
  }
  await router.start();
  const ids = new Set(events.map((e) => e.event_id));
  const mine = async () => (await routingMessages(broker)).slice(messagesBefore);
  await waitFor(async () => (await routedFacts(broker)).filter((f) => ids.has(f.event_id)).length >= events.length, {
    timeoutMs: 20_000,
    message: 'every event routed',
  });
  const stored = await mine();
  const facts = stored.flatMap((m) => (m.kind === 'routings' ? m.routings : [m]));
  t.equal(facts.length, events.length, 'one routing per event');
  t.same(new Set(facts.map((f) => f.event_id)), ids);
  t.ok(stored.length < events.length, `${events.length} routings in ${stored.length} messages`);
  t.ok(
    stored.every((m) => m.kind === 'routed' || m.routings.every((f) => f.account_id === m.account_id)),
    'a message holds routings of its own account only',
  );
  t.ok(
    facts.every((f) => f.deliveries.length === 1),
    'each routing names its delivery',
  );
});
