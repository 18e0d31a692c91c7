// Batch planning: what one projection transaction writes, folded from the batch's messages, with
// the locks it takes and the checkpoints it moves. Pure: no query runs here.
import type { AttemptFact, DeadLetter, RoutedFact } from '@hookstream/contracts';
import {
  type DeliveryPatch,
  type EventInput,
  type RoutedDelivery,
  type Routing,
  foldAttemptRows,
  foldAttempts,
  foldDeadLetters,
  foldEvents,
  foldRouted,
} from './merge.ts';
import { checkSlot, lockEventsSql, lockWritersSql, writerSlot } from './locks.ts';
import { checkpointsSql } from './checkpoints.ts';

export interface ProjectionBatch {
  /**
   * Per stream of the batch, its highest sequence here, including messages skipped as unreadable:
   * the stream's checkpoint moves there (never backwards).
   */
  checkpoints: Readonly<Record<string, number>>;
  events?: readonly EventInput[];
  routed?: readonly RoutedFact[];
  attempts?: readonly AttemptFact[];
  deadLetters?: readonly DeadLetter[];
}

export interface ApplyOptions {
  /**
   * Serialize against every other projection transaction with one lock instead of one per event
   * (a rebuild: its batches are large, and thousands of event locks would fill Postgres' lock table).
   */
  exclusive?: boolean;
  /**
   * With `exclusive`, hold only this slot of the writers' lock (0 to WRITER_SLOTS - 1): batches on
   * other slots run at the same time. Only for batches whose every event, and the event of every
   * fact, has this slot (`writerSlot`): batches on different slots then share no event, and so no
   * row but the checkpoints, which only ever move up.
   */
  slot?: number;
}

export interface BatchPlan {
  events: EventInput[];
  routedDeliveries: RoutedDelivery[];
  routings: Routing[];
  attemptPatches: DeliveryPatch[];
  deadPatches: DeliveryPatch[];
  attemptRows: AttemptFact[];
  deadLetters: readonly DeadLetter[];
  /** Events the batch's facts touch: their status is recomputed. */
  factIds: string[];
  /** The locks of the batch (none when it touches no event). */
  lock: string | null;
  /** Moves the checkpoints of the batch's streams (none when it has none). */
  checkpoints: string | null;
}

export function planBatch(batch: ProjectionBatch, opts: ApplyOptions): BatchPlan {
  const events = foldEvents(batch.events ?? []);
  const { deliveries: routedDeliveries, routings } = foldRouted(batch.routed ?? []);
  const attemptPatches = foldAttempts(batch.attempts ?? []);
  const deadPatches = foldDeadLetters(batch.deadLetters ?? []);
  const attemptRows = foldAttemptRows(batch.attempts ?? []);

  const touchedByFacts = new Set<string>();
  for (const r of routings) touchedByFacts.add(r.event_id);
  for (const p of attemptPatches) touchedByFacts.add(p.event_id);
  for (const p of deadPatches) touchedByFacts.add(p.event_id);
  const factIds = [...touchedByFacts];
  const ids = [...new Set([...factIds, ...events.map((e) => e.meta.event_id)])];

  if (opts.slot !== undefined) {
    checkSlot(opts.slot);
    const stray = ids.find((id) => writerSlot(id) !== opts.slot);
    if (stray !== undefined)
      throw new Error(`a batch on writer slot ${opts.slot} touches event ${stray} of slot ${writerSlot(stray)}`);
  }
  let lock: string | null = null;
  if (ids.length > 0) lock = opts.exclusive ? lockWritersSql(opts.slot) : lockEventsSql(ids);
  return {
    events,
    routedDeliveries,
    routings,
    attemptPatches,
    deadPatches,
    attemptRows,
    deadLetters: batch.deadLetters ?? [],
    factIds,
    lock,
    checkpoints: checkpointsSql(batch.checkpoints),
  };
}
