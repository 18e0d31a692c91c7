import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createPublisher } from '@hookstream/broker';
import { type EventMeta, STREAMS } from '@hookstream/contracts';
import { WRITER_SLOTS, countReadModels, getEvent, listEvents, readCheckpoints, writerSlot } from '@hookstream/store';
import { createTestDatabase, publishRaw, startNats, waitFor } from '@hookstream/testkit';
import { buildProjector } from '../src/build.ts';
import {
  type Message,
  type Target,
  attemptFact,
  connectTest,
  deadLetter,
  eventMeta,
  migratedPool,
  normalized,
  projected,
  publish,
  routedFact,
  silent,
  target,
} from './fixtures.ts';

const nats = await startNats(t);
const broker = await connectTest(nats.url);
const pool = await migratedPool(await createTestDatabase(t));
const projector = buildProjector({ broker, pool, log: silent, flushMs: 10 });
await projector.start();
t.teardown(async () => {
  await projector.stop();
  await broker.close();
  await pool.end();
});

const account = randomUUID();

/** An event delivered on its third attempt (500, 500, 200). */
function deliveredOnThird(): { messages: Message[]; ids: Record<string, string> } {
  const meta = eventMeta(account);
  const x = target();
  const routed = routedFact(meta, [x]);
  return {
    messages: [
      { kind: 'event', meta, body: Buffer.from(JSON.stringify({ order: 42, note: 'é' })) },
      { kind: 'routed', fact: routed },
      { kind: 'attempt', fact: attemptFact(meta, x, 1, 'retry_scheduled', 500) },
      { kind: 'attempt', fact: attemptFact(meta, x, 2, 'retry_scheduled', 500) },
      { kind: 'attempt', fact: attemptFact(meta, x, 3, 'delivered', 200) },
    ],
    ids: {
      event: meta.event_id,
      delivery: x.delivery_id,
      destination: x.destination_id,
      source: meta.source_id as string,
      route: routed.deliveries[0]?.route_id as string,
    },
  };
}

t.test('event, routing and three attempts (500, 500, 200): delivered, with every attempt', async (t) => {
  const s = deliveredOnThird();
  await publish(broker, s.messages);
  await projected(projector);
  const e = await getEvent(pool, account, s.ids.event as string);
  t.equal(e?.status, 'delivered');
  t.equal(e?.body, '{"order":42,"note":"é"}');
  t.equal(e?.headers['content-type'], 'application/json');
  t.equal(e?.deliveries.length, 1);
  const d = e?.deliveries[0];
  t.match(d, {
    id: s.ids.delivery,
    destination_id: s.ids.destination,
    status: 'delivered',
    attempt_count: 3,
    last_status_code: 200,
  });
  t.same(
    d?.attempts.map((a) => [a.n, a.status_code, a.outcome]),
    [
      [1, 500, 'retry_scheduled'],
      [2, 500, 'retry_scheduled'],
      [3, 200, 'delivered'],
    ],
  );
  const cps = await readCheckpoints(pool);
  t.ok((cps[STREAMS.facts]?.last_seq ?? 0) >= 4, 'the facts checkpoint moved with the rows');
});

t.test('facts before their event, shuffled and duplicated: the same rows as in order', async (t) => {
  const inOrder = deliveredOnThird();
  await publish(broker, inOrder.messages);
  // The same story under other ids, told backwards, with every message twice.
  const other = deliveredOnThird();
  const [event, routed, a1, a2, a3] = other.messages;
  const scrambled = [a3, a1, routed, a2, event] as Message[];
  await publish(broker, scrambled.slice(0, 4));
  await publish(broker, scrambled.slice(0, 4), true);
  await projected(projector);
  const early = await getEvent(pool, account, other.ids.event as string);
  t.equal(early, null, 'no event row yet');
  const orphans = await pool.query('SELECT status, attempts FROM deliveries WHERE id = $1', [other.ids.delivery]);
  t.same(orphans.rows, [{ status: 'delivered', attempts: 3 }], 'facts for a missing event are kept');
  await publish(broker, scrambled.slice(4));
  await publish(broker, scrambled, true);
  await publish(broker, inOrder.messages, true);
  await projected(projector);

  const roles = (ids: Record<string, string>) =>
    Object.fromEntries(Object.entries(ids).map(([role, id]) => [id, role]));
  const a = normalized(await getEvent(pool, account, inOrder.ids.event as string), roles(inOrder.ids));
  const b = normalized(await getEvent(pool, account, other.ids.event as string), roles(other.ids));
  t.match(a, { status: 'delivered', deliveries: [{ status: 'delivered', attempt_count: 3 }] });
  const strip = (v: unknown) => {
    // Times come from each story's own clock ticks; compare everything else.
    return JSON.parse(JSON.stringify(v, (k, x) => (/(_at|^at)$/.test(k) ? undefined : x)));
  };
  t.same(strip(b), strip(a));
  const counts = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM attempts WHERE delivery_id = ANY($1::uuid[])',
    [[inOrder.ids.delivery, other.ids.delivery]],
  );
  t.equal(counts.rows[0]?.n, 6, 'duplicates add no rows');
});

t.test('an event that matched no route shows unrouted; one not yet routed shows received', async (t) => {
  const unrouted = eventMeta(account);
  const pending = eventMeta(account);
  await publish(broker, [
    { kind: 'event', meta: unrouted, body: Buffer.from('x') },
    { kind: 'routed', fact: routedFact(unrouted, []) },
    { kind: 'event', meta: pending, body: Buffer.from('y') },
  ]);
  await projected(projector);
  t.match(await getEvent(pool, account, unrouted.event_id), { status: 'unrouted', deliveries: [] });
  t.match(await getEvent(pool, account, pending.event_id), { status: 'received', deliveries: [] });
  const listed = await listEvents(pool, account, { status: 'unrouted', limit: 50 });
  t.ok(listed.items.some((e) => e.id === unrouted.event_id));
});

t.test('a dead letter makes the delivery and the event dead_letter', async (t) => {
  const meta = eventMeta(account, { direction: 'outbound', source_id: null });
  const x = target();
  await publish(broker, [
    { kind: 'event', meta, body: new Uint8Array([0, 1, 2, 255]) },
    { kind: 'routed', fact: routedFact(meta, [x]) },
    { kind: 'attempt', fact: attemptFact(meta, x, 1, 'retry_scheduled', 503) },
    { kind: 'dead', letter: deadLetter(meta, x, 1, 503) },
  ]);
  await projected(projector);
  const e = await getEvent(pool, account, meta.event_id);
  t.equal(e?.status, 'dead_letter');
  t.equal(e?.body_base64, 'AAEC/w==');
  t.match(e?.deliveries[0], { status: 'dead_letter', attempt_count: 1, last_status_code: 503, next_attempt_at: null });
  t.equal(e?.deliveries[0]?.attempts.length, 1);
});

t.test('attempts stored together in one message are projected like attempts stored one by one', async (t) => {
  const s = deliveredOnThird();
  const [event, routed, ...attempts] = s.messages;
  const facts = attempts.map((m) => (m as Extract<Message, { kind: 'attempt' }>).fact);
  await publish(broker, [event as Message, routed as Message]);
  const pub = createPublisher(broker);
  await pub.publishAttempts({ v: 1, kind: 'attempts', account_id: account, attempts: facts }, randomUUID());
  await projected(projector);
  const d = (await getEvent(pool, account, s.ids.event as string))?.deliveries[0];
  t.match(d, { status: 'delivered', attempt_count: 3, last_status_code: 200 });
  t.same(
    d?.attempts.map((a) => [a.n, a.status_code, a.outcome]),
    [
      [1, 500, 'retry_scheduled'],
      [2, 500, 'retry_scheduled'],
      [3, 200, 'delivered'],
    ],
  );
});

t.test('a batch of attempts with one of another account is skipped whole', async (t) => {
  const before = await countReadModels(pool);
  const skippedBefore = projector.stats().skipped;
  const meta = eventMeta(account);
  const x = target();
  const mine = attemptFact(meta, x, 1, 'delivered', 200);
  const theirs = { ...attemptFact(meta, x, 2, 'delivered', 200), account_id: randomUUID() };
  await createPublisher(broker).publishAttempts(
    { v: 1, kind: 'attempts', account_id: account, attempts: [mine, theirs] },
    randomUUID(),
  );
  await projected(projector);
  t.equal((await countReadModels(pool)).attempts, before.attempts, 'no attempt of it was written');
  t.equal(projector.stats().skipped, skippedBefore + 1);
});

t.test('routings stored together in one message are projected like routed facts stored one by one', async (t) => {
  const metas = [eventMeta(account), eventMeta(account), eventMeta(account)];
  const targets = metas.map(() => [target(), target()]);
  const facts = metas.map((m, i) => routedFact(m, targets[i] as Target[]));
  await publish(broker, [
    ...metas.map((meta): Message => ({ kind: 'event', meta, body: Buffer.from('{}') })),
    { kind: 'routings', facts },
    // The same routings again, as after a router that died before acking its events: same rows.
    { kind: 'routings', facts },
    ...(targets[0] as Target[]).map((x): Message => ({
      kind: 'attempt',
      fact: attemptFact(metas[0] as EventMeta, x, 1, 'delivered', 200),
    })),
  ]);
  await projected(projector);
  const events = await Promise.all(metas.map((m) => getEvent(pool, account, m.event_id)));
  t.same(
    events.map((e) => e?.status),
    ['delivered', 'queued', 'queued'],
  );
  t.same(
    events.map((e) => e?.deliveries.map((d) => d.destination_id).sort()),
    targets.map((ts) => ts.map((x) => x.destination_id).sort()),
    'each event has the deliveries of its own routing, once',
  );
  t.same(
    events[0]?.deliveries.map((d) => [d.status, d.attempt_count]),
    [
      ['delivered', 1],
      ['delivered', 1],
    ],
  );
});

t.test('a batch of routings with one of another account is skipped whole', async (t) => {
  const before = await countReadModels(pool);
  const skippedBefore = projector.stats().skipped;
  const mine = routedFact(eventMeta(account), [target()]);
  const theirs = { ...routedFact(eventMeta(account), [target()]), account_id: randomUUID() };
  await createPublisher(broker).publishRoutings({
    v: 1,
    kind: 'routings',
    account_id: account,
    routings: [mine, theirs],
  });
  await projected(projector);
  t.equal((await countReadModels(pool)).deliveries, before.deliveries, 'no delivery of it was written');
  t.equal(projector.stats().skipped, skippedBefore + 1);
});

t.test(
  'messages of routings and attempts of many events, of both writer slots, are projected and acked once',
  async (t) => {
    const ofSlot = (slot: number): string => {
      for (;;) {
        const id = randomUUID();
        if (writerSlot(id) === slot) return id;
      }
    };
    const metas = Array.from({ length: 12 }, (_, i) => eventMeta(account, { event_id: ofSlot(i % WRITER_SLOTS) }));
    const targets = metas.map(() => target());
    await publish(broker, [
      ...metas.map((meta): Message => ({ kind: 'event', meta, body: Buffer.from('{}') })),
      { kind: 'routings', facts: metas.map((m, i) => routedFact(m, [targets[i] as Target])) },
      { kind: 'attempts', facts: metas.map((m, i) => attemptFact(m, targets[i] as Target, 1, 'delivered', 200)) },
    ]);
    await projected(projector);
    const events = await Promise.all(metas.map((m) => getEvent(pool, account, m.event_id)));
    t.same(
      events.map((e) => e?.status),
      metas.map(() => 'delivered'),
    );
    const facts = await waitFor(async () => {
      const i = await broker.consumers.info(STREAMS.facts, 'projector_facts');
      return i.num_ack_pending === 0 && i;
    });
    t.equal(facts.num_redelivered, 0, 'nothing handed back');
  },
);

t.test('unreadable messages are skipped; the projection goes on', async (t) => {
  const before = await countReadModels(pool);
  const skippedBefore = projector.stats().skipped;
  await publishRaw(broker, `hs.facts.attempt.${account}`, '{not json');
  await publishRaw(broker, `hs.facts.routed.${account}`, JSON.stringify({ v: 2, kind: 'routed' }));
  await publishRaw(broker, `hs.events.${account}.in._`, 'no meta header');
  const good = eventMeta(account);
  await publish(broker, [{ kind: 'event', meta: good, body: Buffer.from('ok') }]);
  await projected(projector);
  const after = await countReadModels(pool);
  t.equal(after.events, before.events + 1, 'only the readable event was added');
  t.equal(after.attempts, before.attempts);
  t.ok(await getEvent(pool, account, good.event_id));
  t.equal(projector.stats().skipped - skippedBefore, 3, 'skips are counted');
  // Terminated after the commit, so never left to redeliver.
  const settled = await waitFor(
    async () => (await broker.consumers.info(STREAMS.facts, 'projector_facts')).num_ack_pending === 0,
  );
  t.ok(settled, 'skipped messages are terminated');
});
