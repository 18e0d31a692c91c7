// The retention cleaner: per account, the plan's window applied to the read models and to the
// streams, never touching an event that may still be routed or delivered. Expired exports go too.
//
// A message is purged from HS_EVENTS only below a sequence that every reader is past: the first
// event of the account that must stay (received after the cutoff, or in flight whatever its age),
// the events projector's ack floor (not yet projected = status unknown) and the router's (not yet
// routed). Ack floors, not the projection checkpoints: with several projector copies a checkpoint
// may run ahead of a batch still in flight. Facts and dead letters of the account go by stream time, below the
// oldest of the cutoff and the oldest in-flight event, so that a rebuild finds no orphan facts.
import type { Broker, ConsumerAdmin, ObjectBucket } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import { CONSUMERS, type Plan, STREAMS, accountEventsFilter } from '@hookstream/contracts';
import type { Logger } from '@hookstream/observability';
import {
  type Pool,
  deleteExpiredEvents,
  deleteExpiredRollups,
  deleteExpiredExportRecords,
  expiredExports,
  markExportExpired,
  streamBounds,
} from '@hookstream/store';

const DAY_MS = 86_400_000;
/** Plans' windows for accounts whose record carries none. */
export const PLAN_RETENTION_DAYS: Record<Plan, number> = { free: 1, pro: 30, enterprise: 90 };
/** Facts may be stored a little after their event's received_at (clock skew, retries). */
const FACT_MARGIN_MS = 3_600_000;
/** Expired export records are kept this long so that GET answers 'expired' rather than 404. */
const EXPIRED_EXPORT_RECORD_MS = 7 * DAY_MS;

export interface RetentionDeps {
  /** The readers' positions, and trimming of the streams. */
  broker: Pick<Broker, 'consumers' | 'streams'>;
  pool: Pool;
  catalog: Catalog;
  bucket: ObjectBucket;
  log: Logger;
}

export interface AccountRetention {
  account_id: string;
  cutoff: string;
  events: number;
  deliveries: number;
  attempts: number;
  /** Messages removed from HS_EVENTS. */
  purged: number;
  /** Messages removed from HS_FACTS and HS_DEADLETTERS. */
  purged_facts: number;
}

export interface RetentionReport {
  accounts: AccountRetention[];
  exports_expired: number;
}

export function retentionDays(account: { plan: Plan; retention_days?: number }): number {
  const d = account.retention_days;
  return typeof d === 'number' && Number.isFinite(d) && d >= 1 ? d : (PLAN_RETENTION_DAYS[account.plan] ?? 1);
}

const minOf = (...xs: Array<number | null | undefined>): number =>
  Math.min(...xs.map((x) => (typeof x === 'number' ? x : Number.POSITIVE_INFINITY)));

/** Every message of the stream up to this sequence was processed by the consumer; null when it is unknown. */
async function ackFloor(consumers: ConsumerAdmin, stream: string, consumer: string): Promise<number | null> {
  try {
    const info = await consumers.info(stream, consumer);
    return info.ack_floor.stream_seq;
  } catch {
    return null;
  }
}

/** One pass over every account of the catalog; `now` is injectable for tests. */
export async function runRetention(deps: RetentionDeps, now: number = Date.now()): Promise<RetentionReport> {
  const report: RetentionReport = { accounts: [], exports_expired: 0 };
  const routed = await ackFloor(deps.broker.consumers, STREAMS.events, CONSUMERS.router);
  const projected = await ackFloor(deps.broker.consumers, STREAMS.events, CONSUMERS.projectEvents);
  const factFloors = [
    [STREAMS.facts, CONSUMERS.projectFacts, (a: string) => `hs.facts.*.${a}`],
    [STREAMS.deadLetters, CONSUMERS.projectDeadLetters, (a: string) => `hs.dlq.${a}`],
  ] as const;
  const factsProjected = await Promise.all(
    factFloors.map(([stream, consumer]) => ackFloor(deps.broker.consumers, stream, consumer)),
  );
  for (const account of [...deps.catalog.view.accounts.values()]) {
    const cutoff = new Date(now - retentionDays(account) * DAY_MS);
    const deleted = await deleteExpiredEvents(deps.pool, account.id, cutoff);
    await deleteExpiredRollups(deps.pool, account.id, cutoff);
    const bounds = await streamBounds(deps.pool, account.id, cutoff);
    let purged = 0;
    // Without the router's and the projector's positions nothing is known to be safe: keep everything.
    if (routed !== null && projected !== null) {
      const keepFrom = minOf(bounds.firstKept, bounds.firstInFlight, projected + 1, routed + 1);
      purged = await deps.broker.streams.purgeSubjectBefore(STREAMS.events, accountEventsFilter(account.id), keepFrom);
    }
    let purgedFacts = 0;
    if (deleted.events > 0 || purged > 0) {
      const before =
        Math.min(cutoff.getTime(), bounds.oldestInFlight?.getTime() ?? Number.POSITIVE_INFINITY) - FACT_MARGIN_MS;
      for (const [i, [stream, , subjectOf]] of factFloors.entries()) {
        const floor = factsProjected[i];
        if (floor === null || floor === undefined) continue;
        const subject = subjectOf(account.id);
        const first = await deps.broker.streams.firstSeqAtOrAfter(stream, subject, before);
        purgedFacts += await deps.broker.streams.purgeSubjectBefore(stream, subject, minOf(first, floor + 1));
      }
    }
    if (deleted.events > 0 || purged > 0 || purgedFacts > 0) {
      report.accounts.push({
        account_id: account.id,
        cutoff: cutoff.toISOString(),
        events: deleted.events,
        deliveries: deleted.deliveries,
        attempts: deleted.attempts,
        purged,
        purged_facts: purgedFacts,
      });
    }
  }
  report.exports_expired = await expireExports(deps, now);
  if (report.accounts.length > 0 || report.exports_expired > 0) {
    deps.log.info(
      {
        accounts: report.accounts.length,
        events: report.accounts.reduce((n, a) => n + a.events, 0),
        purged: report.accounts.reduce((n, a) => n + a.purged, 0),
        exports_expired: report.exports_expired,
      },
      'retention pass',
    );
  }
  return report;
}

async function expireExports(deps: RetentionDeps, now: number): Promise<number> {
  let n = 0;
  for (;;) {
    const due = await expiredExports(deps.pool, new Date(now));
    for (const e of due) {
      if (e.object_name) await deps.bucket.remove(e.object_name);
      await markExportExpired(deps.pool, e.id);
      n++;
    }
    if (due.length < 500) break;
  }
  await deleteExpiredExportRecords(deps.pool, new Date(now - EXPIRED_EXPORT_RECORD_MS));
  return n;
}
