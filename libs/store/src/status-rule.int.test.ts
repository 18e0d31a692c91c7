// The projection's SQL against the domain's status rule: every pair of delivery facts, stored one
// after the other through the table writers in real Postgres, must leave the status the pure rule
// gives, in either order.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  TERMINAL_RANK,
  deliveryRank,
  mergeDeliveryStatus,
} from '@hookstream/domain';
import { createTestDatabase } from '@hookstream/testkit';
import type { DeliveryPatch } from './merge.ts';
import { migrate } from './migrate.ts';
import { type PoolClient, createPool, withTransaction } from './pool.ts';
import { upsertAttemptPatches, upsertDeadLetterPatches } from './writers.ts';

const pool = createPool(await createTestDatabase(t), { max: 2 });
t.teardown(() => pool.end());
await migrate(pool);

const ACCOUNT = randomUUID();
const EVENT = randomUUID();
const DESTINATION = randomUUID();
const ATTEMPTS = [0, 1, 2, 7];

interface Fact {
  status: DeliveryStatus;
  attempt: number;
}

const facts: Fact[] = DELIVERY_STATUSES.flatMap((status) => ATTEMPTS.map((attempt) => ({ status, attempt })));
const pairs = facts.flatMap((first) => facts.map((second) => ({ first, second })));

const patch = (id: string, f: Fact): DeliveryPatch => ({
  id,
  event_id: EVENT,
  account_id: ACCOUNT,
  destination_id: DESTINATION,
  status: f.status,
  status_rank: deliveryRank(f.status, f.attempt),
  attempts: f.attempt,
  last_status_code: null,
  last_error: null,
  next_attempt_at: f.status === 'retry_scheduled' ? '2026-01-01T00:00:00Z' : null,
  created_at: '2026-01-01T00:00:00Z',
});

type Writer = (c: PoolClient, patches: readonly DeliveryPatch[]) => Promise<void>;

/** Stores `first` then `second` for every pair, each pair on its own delivery; returns the stored rows by id. */
async function storePairs(write: (f: Fact) => Writer, list: readonly { id: string; first: Fact; second: Fact }[]) {
  await withTransaction(pool, async (c) => {
    // One statement may touch a row once: the first facts together, then the second ones, per writer.
    for (const step of ['first', 'second'] as const) {
      for (const w of new Set(list.map((p) => write(p[step])))) {
        const batch = list.filter((p) => write(p[step]) === w).map((p) => patch(p.id, p[step]));
        if (batch.length > 0) await w(c, batch);
      }
    }
  });
  const { rows } = await pool.query<{ id: string; status: string; status_rank: number; next_attempt_at: Date | null }>(
    'SELECT id, status, status_rank, next_attempt_at FROM deliveries WHERE id = ANY($1::uuid[])',
    [list.map((p) => p.id)],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

// Attempt facts come through one writer, dead letters through the other: both must apply the rule.
const byOutcome = (f: Fact): Writer => (f.status === 'dead_letter' ? upsertDeadLetterPatches : upsertAttemptPatches);
const attemptsOnly = (): Writer => upsertAttemptPatches;

for (const [name, write] of [
  ['attempt and dead-letter writers', byOutcome],
  ['the attempt writer alone', attemptsOnly],
] as const) {
  t.test(`every pair of statuses through ${name} gives the domain's merge`, async (t) => {
    const list = pairs.map((p) => ({ ...p, id: randomUUID() }));
    const stored = await storePairs(write, list);
    let agree = 0;
    const disagree: string[] = [];
    for (const { id, first, second } of list) {
      const expected = mergeDeliveryStatus(first.status, second.status, first.attempt, second.attempt);
      const row = stored.get(id);
      if (
        row?.status === expected &&
        row.status_rank ===
          Math.max(deliveryRank(first.status, first.attempt), deliveryRank(second.status, second.attempt))
      )
        agree++;
      else
        disagree.push(
          `${first.status}@${first.attempt} then ${second.status}@${second.attempt}: SQL ${row?.status}, rule ${expected}`,
        );
      if (row && row.status_rank >= TERMINAL_RANK && row.next_attempt_at !== null)
        disagree.push(`${id}: a terminal delivery keeps a next attempt`);
    }
    t.same(disagree, [], 'no pair disagrees');
    t.equal(agree, pairs.length, `${pairs.length} pairs agree`);
  });
}

t.test('the SQL gives the same status whichever fact of a pair is stored first', async (t) => {
  const forward = pairs.map((p) => ({ ...p, id: randomUUID() }));
  const backward = forward.map((p) => ({ id: randomUUID(), first: p.second, second: p.first }));
  const a = await storePairs(byOutcome, forward);
  const b = await storePairs(byOutcome, backward);
  const differ = forward.filter((p, i) => a.get(p.id)?.status !== b.get((backward[i] as { id: string }).id)?.status);
  t.equal(differ.length, 0, 'no pair depends on its order');
  t.equal(a.size, pairs.length);
});
