import t from 'tap';
import fc from 'fast-check';
import type { AttemptFact } from '@hookstream/contracts';
import { TERMINAL_RANK } from '@hookstream/domain';
import { foldAttempts, foldDeadLetters, foldEvents, foldRouted, pgJson, pgText, routedWithAttempts } from './merge.ts';
import { InvalidQueryError, bodyView, decodeCursor, encodeCursor } from './queries.ts';

const EV = '6f0c7a52-4b1e-4b8a-9a55-0a1d2c3e4f50';
const ACC = '0b7e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const DST = '1c8f3a5b-2d4e-4f60-9bac-1d2e3f4a5b6c';
const DLV = '2d904b6c-3e5f-4071-8cbd-2e3f4a5b6c7d';

function attempt(n: number, outcome: AttemptFact['outcome'], code: number | null): AttemptFact {
  return {
    v: 1,
    kind: 'attempt',
    account_id: ACC,
    event_id: EV,
    delivery_id: DLV,
    destination_id: DST,
    attempt: n,
    started_at: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    duration_ms: 12,
    outcome,
    status_code: code,
    error_class: null,
    error: code === null ? 'timeout' : null,
    response_headers: {},
    response_excerpt: '',
    next_attempt_at: outcome === 'retry_scheduled' ? new Date(Date.UTC(2025, 0, 1, 0, 1, n)).toISOString() : null,
  };
}

t.test('folding attempts does not depend on order or duplicates', async (t) => {
  const facts = [attempt(1, 'retry_scheduled', 500), attempt(2, 'retry_scheduled', null), attempt(3, 'delivered', 200)];
  const expected = foldAttempts(facts);
  t.equal(expected[0]?.status, 'delivered');
  t.equal(expected[0]?.attempts, 3);
  t.equal(expected[0]?.last_status_code, 200);
  t.equal(expected[0]?.created_at, facts[0]?.started_at, 'created_at stands in as the earliest start');
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...facts), { minLength: 3, maxLength: 9 }).filter((a) => new Set(a).size === 3),
      (shuffled) => {
        t.same(foldAttempts(shuffled), expected);
        return true;
      },
    ),
    { numRuns: 50 },
  );
});

t.test(
  'a routed delivery merged with its attempts takes the routed columns and the outcome of the attempts',
  async (t) => {
    const routed = {
      id: DLV,
      event_id: EV,
      account_id: ACC,
      destination_id: DST,
      route_id: 'r',
      replay_id: null,
      customer_id: 'cus_a',
      created_at: '2025-01-01T00:00:00.000Z',
    };
    const [retrying] = foldAttempts([attempt(1, 'retry_scheduled', 500)]);
    const [done] = foldAttempts([attempt(1, 'retry_scheduled', 500), attempt(2, 'delivered', 200)]);
    if (!retrying || !done) throw new Error('no patch');
    t.match(routedWithAttempts(routed, retrying), {
      ...routed,
      status: 'retry_scheduled',
      attempts: 1,
      last_status_code: 500,
      next_attempt_at: retrying.next_attempt_at,
    });
    const row = routedWithAttempts(routed, done);
    t.match(row, {
      status: 'delivered',
      attempts: 2,
      last_status_code: 200,
      next_attempt_at: null,
      created_at: routed.created_at,
    });
    t.ok(row.status_rank > TERMINAL_RANK);
  },
);

t.test('dead letters keep the latest attempt count and fill missing last values', async (t) => {
  const base = {
    v: 1 as const,
    account_id: ACC,
    event_id: EV,
    event_seq: 1,
    delivery_id: DLV,
    destination_id: DST,
    reason: 'exhausted' as const,
  };
  const a = { ...base, attempts: 5, last_status_code: null, last_error: null, dead_at: '2025-01-01T00:00:05Z' };
  const b = { ...base, attempts: 5, last_status_code: 503, last_error: 'HTTP 503', dead_at: '2025-01-01T00:00:06Z' };
  for (const order of [
    [a, b],
    [b, a],
  ]) {
    const [p] = foldDeadLetters(order);
    t.equal(p?.status, 'dead_letter');
    t.equal(p?.last_status_code, 503);
    t.equal(p?.created_at, '2025-01-01T00:00:05Z');
  }
});

t.test('events keep their lowest sequence; routed facts keep their earliest time', async (t) => {
  const meta = { event_id: EV } as never;
  const [e] = foldEvents([
    { meta, body: new Uint8Array([1]), seq: 9 },
    { meta, body: new Uint8Array([2]), seq: 4 },
  ]);
  t.equal(e?.seq, 4);
  const fact = (at: string) => ({
    v: 1 as const,
    kind: 'routed' as const,
    account_id: ACC,
    event_id: EV,
    event_seq: 1,
    replay_id: null,
    deliveries: [{ delivery_id: DLV, destination_id: DST, route_id: 'r1' }],
    at,
  });
  const folded = foldRouted([fact('2025-01-01T00:00:02Z'), fact('2025-01-01T00:00:01Z')]);
  t.equal(folded.deliveries.length, 1);
  t.equal(folded.deliveries[0]?.created_at, '2025-01-01T00:00:01Z');
  t.equal(folded.routings[0]?.routed_at, '2025-01-01T00:00:01Z');
});

t.test('NUL never reaches Postgres text or jsonb', async (t) => {
  t.equal(pgText('a\u0000b'), 'a\uFFFDb');
  t.equal(pgText(null), null);
  t.equal(pgJson({ 'k\u0000': ['v\u0000', 1] }), JSON.stringify({ 'k\uFFFD': ['v\uFFFD', 1] }));
  t.equal(pgJson(null), null);
  t.equal(
    pgJson({ text: 'a \\u0000 b', n: 1 }),
    JSON.stringify({ text: 'a \\u0000 b', n: 1 }),
    'the six characters \\u0000 are not a NUL',
  );
  const plain = { a: { b: ['c', 2, null] } };
  t.equal(pgJson(plain), JSON.stringify(plain));
});

t.test('body view: text when textual and UTF-8, base64 otherwise', async (t) => {
  t.same(bodyView(Buffer.from('{"a":"é"}'), 'application/json; charset=utf-8'), { body: '{"a":"é"}' });
  t.same(bodyView(Buffer.from('x=1'), 'application/x-www-form-urlencoded'), { body: 'x=1' });
  t.same(bodyView(Buffer.from([0xff, 0xfe]), 'text/plain'), { body_base64: '//4=' });
  t.same(bodyView(Buffer.from('hello'), 'application/octet-stream'), { body_base64: 'aGVsbG8=' });
  t.same(bodyView(Buffer.from('hello'), null), { body: 'hello' });
});

t.test('cursors round-trip and reject garbage', async (t) => {
  const c = encodeCursor('1735689600123456', EV);
  t.same(decodeCursor(c), { us: '1735689600123456', id: EV });
  t.throws(() => decodeCursor('nope'), InvalidQueryError);
  t.throws(() => decodeCursor(Buffer.from(`1|x' OR 1=1`).toString('base64url')), InvalidQueryError);
});
