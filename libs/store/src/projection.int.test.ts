import { randomUUID } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import type { AttemptFact, DeadLetter, EventMeta, RoutedFact } from '@hookstream/contracts';
import { createTestDatabase } from '@hookstream/testkit';
import type { EventInput } from './merge.ts';
import { migrate } from './migrate.ts';
import { type PoolClient, createPool, withTransaction } from './pool.ts';
import { type ProjectionBatch, applyBatch, applyBatchIn } from './projection.ts';
import { WRITER_SLOTS, lockWriters, writerSlot } from './locks.ts';
import { readCheckpoints } from './checkpoints.ts';
import { truncateReadModels } from './rebuild.ts';
import { snapshotReadModels } from '../test/read-models.ts';
import { getEvent } from './queries.ts';

const pool = createPool(await createTestDatabase(t), { max: 6 });
t.teardown(() => pool.end());
await migrate(pool);

const acc = randomUUID();
const ev = randomUUID();
const dstX = randomUUID();
const dstY = randomUUID();
const d1 = randomUUID();
const d2 = randomUUID();
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

const meta: EventMeta = {
  v: 1,
  event_id: ev,
  account_id: acc,
  direction: 'inbound',
  source_id: randomUUID(),
  event_type: 'order.created',
  received_at: at(0),
  content_type: 'application/json',
  headers: { 'content-type': 'application/json', 'x-nul': 'a\u0000b' },
  labels: { env: 'prod' },
  idempotency_key: 'idem-1',
};
const event: EventInput = { meta, body: Buffer.from('{"id":1}'), seq: 1 };
const routed: RoutedFact = {
  v: 1,
  kind: 'routed',
  account_id: acc,
  event_id: ev,
  event_seq: 1,
  replay_id: null,
  deliveries: [
    { delivery_id: d1, destination_id: dstX, route_id: 'r-x' },
    { delivery_id: d2, destination_id: dstY, route_id: 'r-y' },
  ],
  at: at(1),
};
function attempt(
  delivery_id: string,
  destination_id: string,
  n: number,
  outcome: AttemptFact['outcome'],
  code: number,
): AttemptFact {
  return {
    v: 1,
    kind: 'attempt',
    account_id: acc,
    event_id: ev,
    delivery_id,
    destination_id,
    attempt: n,
    started_at: at(10 * n),
    duration_ms: 5 + n,
    outcome,
    status_code: code,
    error_class: code >= 500 ? 'http_5xx' : null,
    error: code >= 500 ? `HTTP ${code}` : null,
    response_headers: { 'content-type': 'text/plain' },
    response_excerpt: code >= 500 ? 'down\u0000' : 'ok',
    next_attempt_at: outcome === 'retry_scheduled' ? at(10 * n + 5) : null,
  };
}
const attempts = [
  attempt(d1, dstX, 1, 'retry_scheduled', 500),
  attempt(d1, dstX, 2, 'retry_scheduled', 500),
  attempt(d1, dstX, 3, 'delivered', 200),
  attempt(d2, dstY, 1, 'retry_scheduled', 503),
  attempt(d2, dstY, 2, 'dead_letter', 503),
];
const dead: DeadLetter = {
  v: 1,
  account_id: acc,
  event_id: ev,
  event_seq: 1,
  delivery_id: d2,
  destination_id: dstY,
  attempts: 2,
  reason: 'exhausted',
  last_status_code: 503,
  last_error: 'gave up',
  dead_at: at(30),
};

// The dead-letter watch's letter for the same delivery, later: the deliverer's one stands.
const lateDead: DeadLetter = { ...dead, reason: 'max_deliveries_advisory', last_error: 'interrupted', dead_at: at(70) };

type Msg =
  | { stream: 'E'; seq: number; item: EventInput }
  | { stream: 'F'; seq: number; item: RoutedFact | AttemptFact }
  | { stream: 'D'; seq: number; item: DeadLetter };
const messages: Msg[] = [
  { stream: 'E', seq: 1, item: event },
  ...[routed, ...attempts].map((item, i) => ({ stream: 'F' as const, seq: i + 1, item })),
  { stream: 'D', seq: 1, item: dead },
  { stream: 'D', seq: 2, item: lateDead },
];

const eventOf = (m: Msg): string => (m.stream === 'E' ? m.item.meta.event_id : m.item.event_id);

function batchOf(msgs: Msg[]): ProjectionBatch {
  const checkpoints: Record<string, number> = {};
  for (const m of msgs) checkpoints[m.stream] = Math.max(checkpoints[m.stream] ?? 0, m.seq);
  const b: Required<ProjectionBatch> & {
    events: EventInput[];
    routed: RoutedFact[];
    attempts: AttemptFact[];
    deadLetters: DeadLetter[];
  } = {
    checkpoints,
    events: [],
    routed: [],
    attempts: [],
    deadLetters: [],
  };
  for (const m of msgs) {
    if (m.stream === 'E') b.events.push({ ...m.item, seq: m.seq });
    else if (m.stream === 'D') b.deadLetters.push(m.item);
    else if (m.item.kind === 'routed') b.routed.push(m.item);
    else b.attempts.push(m.item);
  }
  return b;
}

await truncateReadModels(pool);
for (const s of ['E', 'F', 'D'] as const) await applyBatch(pool, batchOf(messages.filter((m) => m.stream === s)));
const canonical = await snapshotReadModels(pool);

t.test('in order: the rows say what happened', async (t) => {
  const e = await getEvent(pool, acc, ev);
  t.ok(e);
  t.equal(e?.status, 'dead_letter', 'one destination delivered, one dead-lettered');
  t.equal(e?.delivery_count, 2);
  t.same(e?.headers, { 'content-type': 'application/json', 'x-nul': 'a\uFFFDb' });
  t.equal(e?.body, '{"id":1}');
  const x = e?.deliveries.find((d) => d.id === d1);
  t.match(x, {
    status: 'delivered',
    attempt_count: 3,
    last_status_code: 200,
    route_id: 'r-x',
    next_attempt_at: null,
    created_at: at(1),
  });
  t.same(
    x?.attempts.map((a) => a.status_code),
    [500, 500, 200],
  );
  const y = e?.deliveries.find((d) => d.id === d2);
  t.match(y, {
    status: 'dead_letter',
    attempt_count: 2,
    last_status_code: 503,
    last_error: 'HTTP 503',
    next_attempt_at: null,
  });
  t.equal(y?.attempts[1]?.response_excerpt, 'down\uFFFD');
  const cps = await readCheckpoints(pool);
  t.same(Object.fromEntries(Object.values(cps).map((c) => [c.stream, c.last_seq])), { E: 1, F: 6, D: 2 });
});

t.test('the rollups count each event, attempt and dead letter once', async (t) => {
  const minute = (s: number) => ({
    minute: new Date(Date.UTC(2025, 0, 1, 0, Math.floor(s / 60))).toISOString().replace('.000Z', ''),
  });
  const snap = await snapshotReadModels(pool);
  t.same(
    snap.event_rollups,
    [{ account_id: acc, ...minute(0), direction: 'inbound', received: 1 }].map((r) => ({
      ...r,
      minute: `${r.minute}+00:00`,
    })),
  );
  const rows = (
    snap.delivery_rollups as Array<{
      destination_id: string;
      outcome: string;
      class: string;
      n: number;
      minute: string;
      duration_ms_sum: number;
    }>
  ).map(({ destination_id, outcome, class: c, n, minute: m, duration_ms_sum }) => [
    destination_id === dstX ? 'x' : 'y',
    m.slice(11, 16),
    outcome,
    c,
    n,
    duration_ms_sum,
  ]);
  t.same(
    rows.sort(),
    [
      // Attempts at 10 s, 20 s, 30 s (minute 00:00), durations 6, 7, 8 ms.
      ['x', '00:00', 'delivered', '2xx', 1, 8],
      ['x', '00:00', 'retry_scheduled', '5xx', 2, 13],
      ['y', '00:00', 'dead_letter', '5xx', 1, 7],
      // The deliverer's letter (00:00:30) stands; the watch's later one (00:01:10) counts nowhere.
      ['y', '00:00', 'dead_lettered', 'exhausted', 1, 0],
      ['y', '00:00', 'retry_scheduled', '5xx', 1, 6],
    ].sort(),
  );
  const hourly = snap.delivery_rollups_hourly as Array<{ hour: string; n: number }>;
  t.same(
    [hourly.reduce((a, r) => a + r.n, 0), [...new Set(hourly.map((r) => r.hour))].length],
    [6, 1],
    'by hour: the same counts, in one hour',
  );
  t.same(snap.event_rollups_hourly.length, 1);
  t.same(
    (snap.dead_letters as Array<{ reason: string; last_error: string }>).map((d) => [d.reason, d.last_error]),
    [['exhausted', 'gave up']],
  );
  const health = snap.destination_health as Array<{
    destination_id: string;
    last_status_code: number | null;
    last_success_at: string | null;
  }>;
  t.match(
    health.find((h) => h.destination_id === dstX),
    { last_status_code: 500, last_success_at: /^2025-01-01T00:00:30/ },
  );
  t.match(
    health.find((h) => h.destination_id === dstY),
    { last_status_code: 503, last_error: 'HTTP 503', last_success_at: null },
  );
});

t.test('replaying every message changes nothing', async (t) => {
  for (const s of ['E', 'F', 'D'] as const) await applyBatch(pool, batchOf(messages.filter((m) => m.stream === s)));
  t.same(await snapshotReadModels(pool), canonical);
});

t.test(
  'facts before their event, in any order, duplicated, cut anywhere, three streams at once: same rows',
  async (t) => {
    const plan = fc.record({
      // 'stream': a writer per stream and slot of the writers' lock, each taking the messages of its
      // slot's events (a rebuild); 'mixed': batches that mix the streams, written by two projector
      // copies at once (the live projector).
      split: fc.constantFrom('stream', 'mixed'),
      dups: fc.array(fc.nat(messages.length - 1), { maxLength: 6 }),
      order: fc.array(fc.nat(1000), { minLength: messages.length + 6, maxLength: messages.length + 6 }),
      cuts: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 20, maxLength: 20 }),
      // Some batches as a rebuild writes them (exclusive: the slot of their events), others as a live
      // projector.
      exclusive: fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ split, dups, order, cuts, exclusive }) => {
        await truncateReadModels(pool);
        // A duplicate is a re-publication: same content, a later sequence.
        const all = [...messages, ...dups.map((i, k) => ({ ...(messages[i] as Msg), seq: 100 + k }))];
        const shuffled = all
          .map((m, i) => ({ m, k: order[i] ?? 0 }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.m);
        let cut = 0;
        const slots = [...Array(WRITER_SLOTS).keys()];
        const lanes =
          split === 'stream'
            ? (['E', 'F', 'D'] as const).flatMap((s) =>
                slots.map((slot) => ({
                  slot,
                  mine: shuffled.filter((m) => m.stream === s && writerSlot(eventOf(m)) === slot),
                })),
              )
            : [0, 1].map((k) => ({ slot: undefined, mine: shuffled.filter((_, i) => i % 2 === k) }));
        await Promise.all(
          lanes.map(async ({ slot, mine }) => {
            while (mine.length > 0) {
              const n = cut++ % cuts.length;
              const rebuilding = exclusive[n] ?? false;
              await applyBatch(
                pool,
                batchOf(mine.splice(0, cuts[n] ?? 1)),
                rebuilding ? { exclusive: true, slot } : {},
              );
            }
          }),
        );
        t.same(await snapshotReadModels(pool), canonical);
        return true;
      }),
      { numRuns: 30 },
    );
  },
);

t.test("the writers' lock: a slot leaves the other slots free, and holds off every other writer", async (t) => {
  await truncateReadModels(pool);
  const evOnly = batchOf(messages.filter((m) => m.stream === 'E'));
  const facts = batchOf(messages.filter((m) => m.stream === 'F'));
  const mine = writerSlot(ev);
  const other = (mine + 1) % WRITER_SLOTS;
  // A slot held by an open transaction; each other writer tries within a short lock_timeout.
  const holder = await pool.connect();
  t.teardown(() => holder.release());
  const attempt = (batch: ProjectionBatch, opts: Parameters<typeof applyBatchIn>[2]) =>
    withTransaction(pool, async (c) => {
      await c.query(`SET LOCAL lock_timeout = '300ms'`);
      await applyBatchIn(c, batch, opts);
      return 'written';
    }).catch((err: Error & { code?: string }) => (err.code === '55P03' ? 'waited' : Promise.reject(err)));

  await holder.query('BEGIN');
  await lockWriters(holder, other);
  t.equal(
    await attempt(facts, { exclusive: true, slot: mine }),
    'written',
    "another slot goes ahead with its events' facts",
  );
  t.equal(await attempt(evOnly, { exclusive: true, slot: mine }), 'written', 'and with its events');
  t.equal(await attempt(facts, { exclusive: true }), 'waited', 'a writer of every slot waits');
  t.equal(await attempt(facts, {}), 'waited', 'a live projection waits');
  await holder.query('COMMIT');

  await holder.query('BEGIN');
  await lockWriters(holder, mine);
  t.equal(await attempt(evOnly, { exclusive: true, slot: mine }), 'waited', 'the same slot waits');
  await holder.query('COMMIT');
  t.equal(await attempt(facts, {}), 'written', 'and every writer goes ahead once the slot is free');

  await t.rejects(
    applyBatch(pool, facts, { exclusive: true, slot: other }),
    /touches event .* of slot/,
    "another slot's facts are refused",
  );
  await t.rejects(
    applyBatch(pool, evOnly, { exclusive: true, slot: other }),
    /touches event .* of slot/,
    'and so are its events',
  );
  await t.rejects(
    applyBatch(pool, evOnly, { exclusive: true, slot: WRITER_SLOTS }),
    RangeError,
    'a slot out of range is refused',
  );
});

t.test('an event projected with its routing and attempts: every row written once, never updated', async (t) => {
  await truncateReadModels(pool);
  // The backend's pending table counters, read before and after within the transaction.
  const counters = async (c: PoolClient) => {
    const r = await c.query<{ relname: string; n_tup_ins: string; n_tup_upd: string }>(
      `SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname IN ('events', 'deliveries', 'attempts')`,
    );
    return new Map(r.rows.map((x) => [x.relname, [Number(x.n_tup_ins), Number(x.n_tup_upd)]]));
  };
  const written = await withTransaction(pool, async (c) => {
    const before = await counters(c);
    await applyBatchIn(c, batchOf(messages.filter((m) => m.stream !== 'D')));
    const after = await counters(c);
    return Object.fromEntries(
      ['attempts', 'deliveries', 'events'].map((k) => [
        k,
        (after.get(k) ?? [0, 0]).map((n, i) => n - (before.get(k)?.[i] ?? 0)),
      ]),
    );
  });
  t.same(written, { attempts: [5, 0], deliveries: [2, 0], events: [1, 0] }, '[inserted, updated] per table');
  const e = await getEvent(pool, acc, ev);
  t.equal(e?.status, 'dead_letter', 'inserted with the status its facts give');
  t.same(
    await readCheckpoints(pool).then((cps) =>
      Object.fromEntries(Object.values(cps).map((c) => [c.stream, c.last_seq])),
    ),
    { E: 1, F: 6 },
  );
});

t.test('a routed fact after a terminal attempt does not regress the delivery', async (t) => {
  await truncateReadModels(pool);
  await applyBatch(pool, { checkpoints: { F: 4 }, attempts: [attempts[2] as AttemptFact] });
  await applyBatch(pool, { checkpoints: { F: 1 }, routed: [routed] });
  await applyBatch(pool, { checkpoints: { E: 1 }, events: [event] });
  const e = await getEvent(pool, acc, ev);
  t.equal(e?.deliveries.find((d) => d.id === d1)?.status, 'delivered');
  t.equal(e?.deliveries.find((d) => d.id === d2)?.status, 'queued');
  t.equal(e?.status, 'queued', 'the other destination is still to go');
  const cps = await readCheckpoints(pool);
  t.equal(cps.F?.last_seq, 4, 'the checkpoint never moves backwards');
});

t.test('received before routing, unrouted after an empty routing', async (t) => {
  await truncateReadModels(pool);
  await applyBatch(pool, { checkpoints: { E: 1 }, events: [event] });
  t.equal((await getEvent(pool, acc, ev))?.status, 'received');
  await applyBatch(pool, { checkpoints: { F: 1 }, routed: [{ ...routed, deliveries: [] }] });
  t.equal((await getEvent(pool, acc, ev))?.status, 'unrouted');
});

t.test('bad data fails the transaction and leaves nothing half-written', async (t) => {
  await truncateReadModels(pool);
  const bad = { ...event, meta: { ...meta, event_id: randomUUID(), received_at: 'not a time' } };
  await t.rejects(applyBatch(pool, { checkpoints: { E: 2 }, events: [event, bad] }), { code: '22007' });
  t.same(await snapshotReadModels(pool), {
    events: [],
    deliveries: [],
    attempts: [],
    event_routings: [],
    dead_letters: [],
    event_rollups: [],
    delivery_rollups: [],
    event_rollups_hourly: [],
    delivery_rollups_hourly: [],
    destination_health: [],
  });
  t.same(await readCheckpoints(pool), {});
});

t.test('a checkpoint that is not a stream name and a sequence is refused before anything is written', async (t) => {
  await truncateReadModels(pool);
  await t.rejects(
    applyBatch(pool, { checkpoints: { "E'); DROP TABLE events; --": 2 }, events: [event] }),
    /unexpected stream name/,
  );
  await t.rejects(applyBatch(pool, { checkpoints: { E: 1.5 }, events: [event] }), /not a sequence/);
  t.same(await snapshotReadModels(pool), {
    events: [],
    deliveries: [],
    attempts: [],
    event_routings: [],
    dead_letters: [],
    event_rollups: [],
    delivery_rollups: [],
    event_rollups_hourly: [],
    delivery_rollups_hourly: [],
    destination_health: [],
  });
  t.same(await readCheckpoints(pool), {});
});

t.test('without statistics, a batch still finds deliveries by their index, not by reading the table', async (t) => {
  // A database of its own, with one connection: its table counters are this test's alone.
  const one = createPool(await createTestDatabase(t), { max: 1 });
  t.teardown(() => one.end());
  await migrate(one);
  // Nothing has analyzed the table yet, and nothing will during the test.
  await one.query('ALTER TABLE deliveries SET (autovacuum_enabled = false)');
  await one.query(
    `INSERT INTO deliveries (id, event_id, account_id, destination_id, routed, status, status_rank, created_at)
     SELECT gen_random_uuid(), gen_random_uuid(), $1, $2, true, 'queued', 0, now() FROM generate_series(1, 20000)`,
    [randomUUID(), dstX],
  );
  const ids = Array.from({ length: 300 }, () => randomUUID());
  await applyBatch(one, {
    checkpoints: { F: 300 },
    routed: ids.map((id, i) => ({
      ...routed,
      event_id: id,
      event_seq: i + 1,
      deliveries: [{ delivery_id: randomUUID(), destination_id: dstX, route_id: 'r' }],
    })),
  });
  const lookup = `SELECT id FROM deliveries WHERE event_id = ANY('{${ids.join(',')}}'::uuid[])`;
  const plan = (await one.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${lookup}`)).rows
    .map((r) => r['QUERY PLAN'])
    .join('\n');
  t.match(plan, /Seq Scan on deliveries/, 'the premise: left to itself, the planner reads the whole table');

  const scans = async () => {
    await one.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await one.query<{ seq: string; idx: string }>(
      "SELECT seq_scan AS seq, idx_scan AS idx FROM pg_stat_user_tables WHERE relname = 'deliveries'",
    );
    return { seq: Number(rows[0]?.seq), idx: Number(rows[0]?.idx) };
  };
  const before = await scans();
  await applyBatch(one, {
    checkpoints: { E: 300 },
    events: ids.map((id, i) => ({
      meta: { ...meta, event_id: id, idempotency_key: null },
      body: Buffer.from('{}'),
      seq: i + 1,
    })),
  });
  const after = await scans();
  t.equal(after.seq - before.seq, 0, 'no sequential scan of deliveries');
  t.ok(after.idx > before.idx, 'deliveries read through an index');
  const { rows } = await one.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE status = 'queued'");
  t.equal(Number(rows[0]?.n), 300, 'each event took the status of its stored delivery');
});
