// Guarantee 7: dropping the read models and projecting the streams again gives the same rows.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { STREAMS } from '@hookstream/contracts';
import { WRITER_SLOTS, readCheckpoints, writerSlot } from '@hookstream/store';
import { snapshotReadModels } from '../../../libs/store/test/read-models.ts';
import { createTestDatabase, startNats } from '@hookstream/testkit';
import { RebuildTimeout, buildProjector, projectionLag, rebuild } from '../src/build.ts';
import {
  type Message,
  type Target,
  attemptFact,
  connectTest,
  deadLetter,
  eventMeta,
  migratedPool,
  projected,
  publish,
  routedFact,
  silent,
  target,
} from './fixtures.ts';

const nats = await startNats(t);
const broker = await connectTest(nats.url);
const pool = await migratedPool(await createTestDatabase(t));
const live = buildProjector({ broker, pool, log: silent, flushMs: 5, batchSize: 25 });
await live.start();
t.teardown(async () => {
  await live.stop();
  await broker.close();
  await pool.end();
});

const accounts = [randomUUID(), randomUUID()];

/** Every shape of history: delivered after retries, dead-lettered, unrouted, replayed, fanned out, facts first. */
function history(i: number): Message[] {
  const account = accounts[i % 2] as string;
  const customer = i % 10 === 0 ? { customer_id: `cus_${i % 3}` } : {};
  const meta = eventMeta(
    account,
    i % 5 === 0 ? { direction: 'outbound', source_id: null, labels: { tier: 'gold' }, ...customer } : {},
  );
  const event: Message = {
    kind: 'event',
    meta,
    body: Buffer.from(i % 7 === 0 ? [0xff, 0x00, i] : Buffer.from(`{"i":${i}}`)),
  };
  // Some deliveries go to a customer's destination, also when their attempts come first (i % 6 = 3).
  const x: Target = i % 4 === 1 ? { ...target(), customer_id: `cus_${i % 3}` } : target();
  const y = target();
  switch (i % 6) {
    case 0:
      return [event, { kind: 'routed', fact: routedFact(meta, []) }];
    case 1:
      return [
        event,
        { kind: 'routed', fact: routedFact(meta, [x, y]) },
        { kind: 'attempt', fact: attemptFact(meta, x, 1, 'delivered', 200) },
        { kind: 'attempt', fact: attemptFact(meta, y, 1, 'retry_scheduled', null) },
      ];
    case 2: {
      const replay = target(x.destination_id);
      return [
        event,
        { kind: 'routed', fact: routedFact(meta, [x]) },
        { kind: 'attempt', fact: attemptFact(meta, x, 1, 'dead_letter', 410) },
        { kind: 'dead', letter: deadLetter(meta, x, 1, 410) },
        { kind: 'routed', fact: routedFact(meta, [replay], randomUUID()) },
        { kind: 'attempt', fact: attemptFact(meta, replay, 1, 'delivered', 200) },
      ];
    }
    case 3:
      // The deliverer ran ahead of the projection of the event and of the routing.
      return [
        { kind: 'attempt', fact: attemptFact(meta, x, 2, 'delivered', 202) },
        { kind: 'attempt', fact: attemptFact(meta, x, 1, 'retry_scheduled', 502) },
        { kind: 'routed', fact: routedFact(meta, [x]) },
        event,
      ];
    case 4:
      return [
        event,
        { kind: 'routed', fact: routedFact(meta, [x]) },
        { kind: 'dead', letter: deadLetter(meta, x, 5, null) },
      ];
    default:
      return [event];
  }
}

let before: Awaited<ReturnType<typeof snapshotReadModels>> | undefined;

/**
 * Events routed in one turn of a router and whose first attempts ended in one turn of a deliverer:
 * one message per account holds their routings, another their attempts, each across both slots of
 * the writers' lock, which a rebuild's writers split between them.
 */
function turn(n: number): Message[] {
  const account = accounts[0] as string;
  const metas = Array.from({ length: n }, () => eventMeta(account));
  const targets = metas.map(() => target());
  return [
    ...metas.map((meta, i): Message => ({ kind: 'event', meta, body: Buffer.from(`{"turn":${i}}`) })),
    { kind: 'routings', facts: metas.map((meta, i) => routedFact(meta, [targets[i] as Target])) },
    {
      kind: 'attempts',
      facts: metas.map((meta, i) =>
        attemptFact(meta, targets[i] as Target, 1, i % 3 === 0 ? 'retry_scheduled' : 'delivered', 200),
      ),
    },
  ];
}

t.test('a rebuild reproduces the live read models row for row', async (t) => {
  for (let i = 0; i < 240; i++) await publish(broker, history(i));
  const batched = turn(40);
  const slots = new Set(batched.flatMap((m) => (m.kind === 'event' ? [writerSlot(m.meta.event_id)] : [])));
  t.equal(slots.size, WRITER_SLOTS, 'the batched routings and attempts span every slot');
  await publish(broker, batched);
  await projected(live);
  before = await snapshotReadModels(pool);
  t.equal(before.events.length, 280);
  t.same([before.deliveries.length, before.attempts.length], [280, 280], 'every delivery and attempt of the history');
  const statuses = new Set((before.events as Array<{ status: string }>).map((e) => e.status));
  t.same([...statuses].sort(), ['dead_letter', 'delivered', 'received', 'retry_scheduled', 'unrouted']);
  const customerOf = (rows: unknown[]) =>
    (rows as Array<{ customer_id: string | null }>).filter((r) => r.customer_id !== null).length;
  t.equal(customerOf(before.events), 24, 'the customer of every event published for one');
  t.equal(customerOf(before.deliveries), 40, "the customer of every delivery to a customer's destination");
  // The console's read models are compared too: they hold every event and attempt of the history.
  const sum = (rows: unknown[], k: string) =>
    (rows as Array<Record<string, number>>).reduce((n, r) => n + (r[k] as number), 0);
  t.equal(sum(before.event_rollups, 'received'), 280, 'every event counted once by minute');
  t.equal(sum(before.event_rollups_hourly, 'received'), 280, 'and by hour');
  const attemptRows = (before.delivery_rollups as Array<{ outcome: string; n: number }>).filter(
    (r) => r.outcome !== 'dead_lettered',
  );
  t.equal(sum(attemptRows, 'n'), 280, 'every attempt counted once');
  t.ok(before.dead_letters.length > 0 && before.destination_health.length > 0, 'dead letters and destination health');

  // The live projector keeps running: it loses its consumers, re-attaches, and helps.
  const result = await rebuild({ broker, pool, log: silent, timeoutMs: 60_000 });
  t.match(result, { events: 280, deliveries: before.deliveries.length, attempts: before.attempts.length });
  await projected(live);
  const after = await snapshotReadModels(pool);
  t.same(after, before);

  const lag = await projectionLag({ broker, pool });
  for (const stream of [STREAMS.events, STREAMS.facts, STREAMS.deadLetters]) {
    t.equal(lag[stream]?.lag, 0, `${stream} fully projected`);
  }
  const cps = await readCheckpoints(pool);
  t.equal(cps[STREAMS.events]?.last_seq, lag[STREAMS.events]?.stream_last_seq);
});

t.test('a rebuild cut short is repaired by the next one', async (t) => {
  // No projector running: nothing finishes the interrupted rebuild but the second one.
  await live.stop();
  // Stopped at its first look at the consumers: read models truncated, facts begun, events not yet.
  let eventsPhases = 0;
  const onEventsPhase = () => void eventsPhases++;
  await t.rejects(
    rebuild({ broker, pool, log: silent, batchSize: 20, flushMs: 5, timeoutMs: 0, onEventsPhase }),
    RebuildTimeout,
  );
  t.equal((await snapshotReadModels(pool)).events.length, 0, 'left half done');
  t.equal(eventsPhases, 0, 'its events phase never began');

  const result = await rebuild({ broker, pool, log: silent, timeoutMs: 60_000, onEventsPhase });
  t.equal(result.events, 280);
  t.equal(eventsPhases, 1, 'the second went through its events phase once');
  t.same(await snapshotReadModels(pool), before);
  await live.start();
});
