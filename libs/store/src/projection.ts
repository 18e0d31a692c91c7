// Writes one batch of stream messages into the read models in ONE transaction, together with the
// checkpoints of the streams they came from. A batch may mix the three streams: an event, its routing
// and its first attempt projected together are written once each, where one transaction per stream
// would insert the event and then update it per fact (docs/adr/0002-projections.md). The parts:
// plan.ts folds the batch and picks its locks (locks.ts) and checkpoints (checkpoints.ts),
// writers.ts writes the tables, event-status.ts recomputes the events' statuses.
import { type DeliveryRow, routedWithAttempts } from './merge.ts';
import { type ApplyOptions, type BatchPlan, type ProjectionBatch, planBatch } from './plan.ts';
import { currentStatuses, refreshEventStatus } from './event-status.ts';
import { type Pool, type PoolClient, withTransaction } from './pool.ts';
import { addAttemptRollups, addEventRollups, writeDeadLetters } from './rollups.ts';
import {
  insertAttempts,
  insertEvents,
  insertNewDeliveries,
  upsertAttemptPatches,
  upsertDeadLetterPatches,
  upsertRoutedDeliveries,
  upsertRoutings,
} from './writers.ts';

export type { ApplyOptions, ProjectionBatch } from './plan.ts';

export interface BatchResult {
  events: number;
  deliveries: number;
  attempts: number;
  statusChanges: number;
}

/**
 * Every read of a projection transaction looks up the keys of its batch. Without statistics for
 * `deliveries.event_id` (a new database, or read models a rebuild has just emptied, until
 * autovacuum's first ANALYZE) the planner takes `event_id = ANY(…)` for most of the table and reads
 * all of it, on every batch, for longer as the table grows. Sequential scans are therefore off in
 * these transactions (docs/performance-history.md has the measurement).
 */
const PROJECTION_SETTINGS = 'SET LOCAL enable_seqscan = off';

export async function applyBatch(pool: Pool, batch: ProjectionBatch, opts: ApplyOptions = {}): Promise<BatchResult> {
  // Three round trips fewer per batch: the locks go with BEGIN, the checkpoints with COMMIT.
  const plan = planBatch(batch, opts);
  const begin = plan.lock ? `${PROJECTION_SETTINGS}; ${plan.lock}` : PROJECTION_SETTINGS;
  return withTransaction(pool, (c) => writeBatch(c, plan), {
    begin,
    ...(plan.checkpoints ? { end: plan.checkpoints } : {}),
  });
}

/** applyBatch inside a transaction of the caller's. */
export async function applyBatchIn(
  c: PoolClient,
  batch: ProjectionBatch,
  opts: ApplyOptions = {},
): Promise<BatchResult> {
  const plan = planBatch(batch, opts);
  if (plan.lock) await c.query(plan.lock);
  const result = await writeBatch(c, plan);
  if (plan.checkpoints) await c.query(plan.checkpoints);
  return result;
}

async function writeBatch(c: PoolClient, plan: BatchPlan): Promise<BatchResult> {
  const { events, routedDeliveries, routings, attemptPatches, deadPatches, attemptRows, factIds } = plan;
  if (routings.length > 0) await upsertRoutings(c, routings);
  // A delivery routed and attempted within the batch is inserted whole, instead of inserted by its
  // routed fact and updated by its attempts; one already stored takes the two upserts below.
  let routedOnly = routedDeliveries;
  let patches = attemptPatches;
  if (routedDeliveries.length > 0 && attemptPatches.length > 0) {
    const byId = new Map(attemptPatches.map((p) => [p.id, p]));
    const whole: DeliveryRow[] = [];
    for (const d of routedDeliveries) {
      const p = byId.get(d.id);
      if (p && p.account_id === d.account_id) whole.push(routedWithAttempts(d, p));
    }
    if (whole.length > 0) {
      const inserted = new Set(await insertNewDeliveries(c, whole));
      routedOnly = routedDeliveries.filter((d) => !inserted.has(d.id));
      patches = attemptPatches.filter((p) => !inserted.has(p.id));
    }
  }
  if (routedOnly.length > 0) await upsertRoutedDeliveries(c, routedOnly);
  if (patches.length > 0) await upsertAttemptPatches(c, patches);
  if (deadPatches.length > 0) await upsertDeadLetterPatches(c, deadPatches);
  if (attemptRows.length > 0) await addAttemptRollups(c, await insertAttempts(c, attemptRows));
  await writeDeadLetters(c, plan.deadLetters);
  // The facts are stored first, so a new event row is written once, with the status they give it
  // (read under the locks above), instead of inserted as 'received' and updated. Rows that already
  // existed keep theirs, which every transaction that touched them kept current; those that this
  // batch's facts touch are recomputed below.
  let statusChanges = 0;
  const fresh = new Set<string>();
  if (events.length > 0) {
    const statuses = await currentStatuses(
      c,
      events.map((e) => e.meta.event_id),
    );
    for (const id of await insertEvents(c, events, statuses)) {
      fresh.add(id);
      const s = statuses.get(id);
      if (s && (s.status !== 'received' || s.n !== 0)) statusChanges++;
    }
    await addEventRollups(c, events, fresh);
  }
  const stale = factIds.filter((id) => !fresh.has(id));
  if (stale.length > 0) statusChanges += await refreshEventStatus(c, stale);
  return {
    events: events.length,
    deliveries: new Set([...routedDeliveries, ...attemptPatches, ...deadPatches].map((d) => d.id)).size,
    attempts: attemptRows.length,
    statusChanges,
  };
}
