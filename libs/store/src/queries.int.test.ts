import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { AttemptFact, DeadLetter, EventMeta, RoutedFact } from '@hookstream/contracts';
import { createTestDatabase } from '@hookstream/testkit';
import type { EventInput } from './merge.ts';
import { migrate } from './migrate.ts';
import { createPool } from './pool.ts';
import { applyBatch } from './projection.ts';
import { type EventFilter, InvalidQueryError, getEvent, listEvents } from './queries.ts';

const pool = createPool(await createTestDatabase(t));
t.teardown(() => pool.end());
await migrate(pool);

const A = randomUUID();
const B = randomUUID();
const S1 = randomUUID();
const S2 = randomUUID();
const X = randomUUID();
const Y = randomUUID();
type Outcome = 'unrouted' | 'queued' | 'retry_scheduled' | 'delivered' | 'dead_letter';
const OUTCOMES: Outcome[] = ['unrouted', 'queued', 'retry_scheduled', 'delivered', 'dead_letter'];

interface Fixture {
  id: string;
  account: string;
  source: string | null;
  type: string | null;
  /** ISO time with microseconds, comparable as a string. */
  at: string;
  dests: string[];
  status: Outcome;
}

// Times repeat on purpose (the id breaks ties) and differ by a microsecond (a JS Date cannot tell).
const base = Date.UTC(2025, 2, 1);
const timeOf = (i: number) =>
  `${new Date(base + Math.floor(i / 3) * 1000).toISOString().slice(0, 19)}.${String(100000 + (i % 2)).padStart(6, '0')}Z`;
const fixtures: Fixture[] = [];
for (let i = 0; i < 90; i++) {
  const account = i % 4 === 3 ? B : A;
  const source = [S1, S2, null][i % 3] as string | null;
  const status = OUTCOMES[i % 5] as Outcome;
  const dests = status === 'unrouted' ? [] : ([[X], [Y], [X, Y]][i % 3] as string[]);
  fixtures.push({
    id: randomUUID(),
    account,
    source,
    type: ['a.created', 'b.deleted', null][(i >> 1) % 3] as string | null,
    at: timeOf(i),
    dests,
    status,
  });
}

const events: EventInput[] = [];
const routed: RoutedFact[] = [];
const attempts: AttemptFact[] = [];
const dead: DeadLetter[] = [];
fixtures.forEach((f, i) => {
  const meta: EventMeta = {
    v: 1,
    event_id: f.id,
    account_id: f.account,
    direction: f.source ? 'inbound' : 'outbound',
    source_id: f.source,
    event_type: f.type,
    received_at: f.at,
    content_type: 'application/octet-stream',
    headers: {},
    labels: null,
    idempotency_key: null,
  };
  events.push({ meta, body: Buffer.from([i, 0xff]), seq: i + 1 });
  const deliveries = f.dests.map((d) => ({ delivery_id: randomUUID(), destination_id: d, route_id: null }));
  routed.push({
    v: 1,
    kind: 'routed',
    account_id: f.account,
    event_id: f.id,
    event_seq: i + 1,
    replay_id: null,
    deliveries,
    at: f.at,
  });
  for (const d of deliveries) {
    const fact = (outcome: AttemptFact['outcome'], code: number): AttemptFact => ({
      v: 1,
      kind: 'attempt',
      account_id: f.account,
      event_id: f.id,
      delivery_id: d.delivery_id,
      destination_id: d.destination_id,
      attempt: 1,
      started_at: f.at,
      duration_ms: 1,
      outcome,
      status_code: code,
      error_class: null,
      error: null,
      response_headers: {},
      response_excerpt: '',
      next_attempt_at: null,
    });
    if (f.status === 'retry_scheduled') attempts.push(fact('retry_scheduled', 500));
    if (f.status === 'delivered') attempts.push(fact('delivered', 200));
    if (f.status === 'dead_letter') {
      dead.push({
        ...d,
        v: 1,
        account_id: f.account,
        event_id: f.id,
        event_seq: i + 1,
        attempts: 0,
        reason: 'not_retryable',
        last_status_code: null,
        last_error: 'gone',
        dead_at: f.at,
      });
    }
  }
});
await applyBatch(pool, { checkpoints: { HS_FACTS: 1 }, routed, attempts });
await applyBatch(pool, { checkpoints: { HS_DEADLETTERS: 1 }, deadLetters: dead });
await applyBatch(pool, { checkpoints: { HS_EVENTS: events.length }, events });

const newestFirst = (a: Fixture, b: Fixture) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1);

async function allPages(
  account: string,
  filter: Omit<EventFilter, 'limit' | 'cursor'>,
  limit: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listEvents(pool, account, { ...filter, limit, ...(cursor ? { cursor } : {}) });
    pages++;
    if (page.items.length > limit) throw new Error('page over its limit');
    ids.push(...page.items.map((e) => e.id));
    cursor = page.next_cursor ?? undefined;
    if (pages > 100) throw new Error('pagination does not end');
  } while (cursor);
  return { ids, pages };
}

const since = timeOf(30);
const until = timeOf(60);
const cases: Array<[string, Omit<EventFilter, 'limit' | 'cursor'>, (f: Fixture) => boolean]> = [
  ['no filter', {}, () => true],
  ['source', { source_id: S1 }, (f) => f.source === S1],
  ['destination', { destination_id: X }, (f) => f.dests.includes(X)],
  ['status delivered', { status: 'delivered' }, (f) => f.status === 'delivered'],
  ['status unrouted', { status: 'unrouted' }, (f) => f.status === 'unrouted'],
  ['status dead_letter', { status: 'dead_letter' }, (f) => f.status === 'dead_letter'],
  ['event type', { event_type: 'a.created' }, (f) => f.type === 'a.created'],
  ['direction', { direction: 'outbound' }, (f) => f.source === null],
  ['time range', { since, until }, (f) => f.at >= since && f.at < until],
  [
    'combined',
    { source_id: S2, destination_id: Y, status: 'retry_scheduled' },
    (f) => f.source === S2 && f.dests.includes(Y) && f.status === 'retry_scheduled',
  ],
];

for (const [name, filter, match] of cases) {
  t.test(`listEvents: ${name}`, async (t) => {
    const expected = fixtures
      .filter((f) => f.account === A && match(f))
      .sort(newestFirst)
      .map((f) => f.id);
    t.ok(expected.length > 0, 'the fixture covers this filter');
    const paged = await allPages(A, filter, 7);
    t.same(paged.ids, expected, 'exactly the matching events, newest first, across pages');
    t.equal(paged.pages, Math.max(1, Math.ceil(expected.length / 7)), 'no empty trailing page');
    const one = await listEvents(pool, A, { ...filter, limit: 500 });
    t.same(
      one.items.map((e) => e.id),
      expected,
    );
    t.equal(one.next_cursor, null);
  });
}

t.test('tenancy: another account sees none of these events', async (t) => {
  const bIds = new Set(fixtures.filter((f) => f.account === B).map((f) => f.id));
  const b = await allPages(B, {}, 50);
  t.equal(b.ids.length, bIds.size);
  t.ok(b.ids.every((id) => bIds.has(id)));
  const aEvent = fixtures.find((f) => f.account === A) as Fixture;
  t.equal(await getEvent(pool, B, aEvent.id), null);
  t.ok(await getEvent(pool, A, aEvent.id));
  const firstA = await listEvents(pool, A, { limit: 3 });
  const crossed = await listEvents(pool, B, { limit: 50, cursor: firstA.next_cursor as string });
  t.ok(
    crossed.items.every((e) => bIds.has(e.id)),
    "a cursor from another account's page reveals nothing",
  );
});

t.test('statuses and bodies as stored', async (t) => {
  const f = fixtures.find((x) => x.account === A && x.status === 'dead_letter' && x.dests.length === 2) as Fixture;
  const e = await getEvent(pool, A, f.id);
  t.equal(e?.status, 'dead_letter');
  t.equal(e?.deliveries.length, 2);
  t.ok(e?.deliveries.every((d) => d.status === 'dead_letter' && d.last_error === 'gone' && d.attempts.length === 0));
  t.equal(e?.body, undefined);
  t.equal(e?.body_base64, Buffer.from([fixtures.indexOf(f), 0xff]).toString('base64'));
  t.equal(e?.received_at, new Date(f.at).toISOString());
});

t.test('bad input: clear errors or nothing, never a database error', async (t) => {
  await t.rejects(listEvents(pool, A, { limit: 5, cursor: 'garbage' }), InvalidQueryError);
  await t.rejects(listEvents(pool, A, { limit: 5, since: 'yesterday-ish' }), { code: 'invalid_time' });
  t.same(await listEvents(pool, A, { limit: 5, source_id: 'not-a-uuid' }), { items: [], next_cursor: null });
  t.same(await listEvents(pool, 'acc_1', { limit: 5 }), { items: [], next_cursor: null });
  t.equal(await getEvent(pool, A, "1' OR '1'='1"), null);
});
