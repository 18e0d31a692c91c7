// Bulk replay: re-read the account's events in a time window from HS_EVENTS (the source of truth,
// not Postgres), keep those that match the filter, and deliver each again as new deliveries with ids
// of this replay. Progress is saved per batch with the last sequence it covers, so a retried job
// resumes where the last one stopped; the deterministic delivery ids make the overlap harmless.
import { randomUUID } from 'node:crypto';
import type { Broker, Publisher, StoredMessage } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import { type EventMeta, STREAMS, accountEventsFilter, type api, decodeEventMeta } from '@hookstream/contracts';
import { DELIVERY_STATUSES, isEventTypePattern, matchEventType } from '@hookstream/domain';
import type { Logger } from '@hookstream/observability';
import { type StoredEvent, publishReplay, replayTargets } from '@hookstream/replay';
import {
  type Pool,
  type ReplayCounters,
  type ReplayFilter,
  type ReplayRecord,
  cancelReplay,
  createReplay,
  eventStatuses,
  finishReplay,
  getReplay,
  isUuid,
  latestDeliveryStatuses,
  listReplays,
  recordReplayProgress,
  setReplayExtent,
  startReplay,
} from '@hookstream/store';

export const MAX_REPLAY_WINDOW_MS = 31 * 86_400_000;
/** Stream time may trail received_at (publish retries, clock skew): read this much past each end. */
const SKEW_MARGIN_MS = 5 * 60_000;
const BATCH = 256;

/** What the API shows of a replay: the contract's view, its status and filter typed as stored. */
export type ReplayView = Omit<api.ReplayView, 'status' | 'filter'> & {
  status: ReplayRecord['status'];
  filter: ReplayFilter;
};

export const replayView = ({ account_id: _a, last_seq, first_seq, end_seq, ...v }: ReplayRecord): ReplayView => {
  const total = first_seq !== null && end_seq !== null ? Math.max(0, end_seq - first_seq + 1) : null;
  let processed = 0;
  if (total !== null && first_seq !== null)
    processed = v.status === 'completed' ? total : Math.min(total, Math.max(0, last_seq - first_seq + 1));
  return { ...v, processed, total };
};

/** Checks a replay request against the time rules and the account's configuration; an error message or null. */
export function checkReplayFilter(catalog: Catalog, accountId: string, f: ReplayFilter): string | null {
  const since = Date.parse(f.since);
  const until = Date.parse(f.until);
  if (Number.isNaN(since)) return 'since: not an ISO 8601 time';
  if (Number.isNaN(until)) return 'until: not an ISO 8601 time';
  if (until <= since) return 'until must be after since';
  if (until - since > MAX_REPLAY_WINDOW_MS) return 'the window from since to until is at most 31 days';
  if (f.source_id !== undefined && !isUuid(f.source_id)) return 'source_id: not a source id';
  if (f.customer_id !== undefined && (f.source_id !== undefined || f.direction === 'inbound'))
    return 'customer_id selects outbound events; it cannot be combined with source_id or direction=inbound';
  if (f.source_id !== undefined && f.direction === 'outbound')
    return 'source_id selects inbound events; it cannot be combined with direction=outbound';
  if (f.destination_id !== undefined) {
    const d = catalog.view.destinations.get(f.destination_id);
    if (!isUuid(f.destination_id) || !d || d.account_id !== accountId)
      return 'destination_id: no such destination in this account';
    if (f.customer_id !== undefined && d.customer_id !== f.customer_id)
      return `destination_id: not a destination of customer '${f.customer_id}'`;
    if (f.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(f.status)) {
      return `status: with destination_id, status is the status of the delivery to it (one of ${DELIVERY_STATUSES.join(', ')})`;
    }
  }
  return null;
}

/** The narrowest subject of the events stream that holds every event the filter can match. */
export function replaySubject(accountId: string, f: Pick<ReplayFilter, 'source_id' | 'direction'>): string {
  if (f.source_id) return `hs.events.${accountId}.in.${f.source_id}`;
  if (f.direction === 'inbound') return `hs.events.${accountId}.in.>`;
  if (f.direction === 'outbound') return `hs.events.${accountId}.out.>`;
  return accountEventsFilter(accountId);
}

/** The filters that the message's own metadata answers. */
export function matchesMeta(meta: EventMeta, f: ReplayFilter): boolean {
  if (
    f.event_type !== undefined &&
    !(isEventTypePattern(f.event_type)
      ? matchEventType(f.event_type, meta.event_type)
      : meta.event_type === f.event_type)
  )
    return false;
  if (f.direction !== undefined && meta.direction !== f.direction) return false;
  if (f.source_id !== undefined && meta.source_id !== f.source_id) return false;
  // A customer's replay takes its own events and broadcasts; another customer's events never.
  if (
    f.customer_id !== undefined &&
    (meta.direction !== 'outbound' || (meta.customer_id !== undefined && meta.customer_id !== f.customer_id))
  )
    return false;
  return true;
}

export interface ReplayDeps {
  /** Reads the events stream only. */
  broker: Pick<Broker, 'streams'>;
  pool: Pool;
  catalog: Catalog;
  publisher: Publisher;
  log: Logger;
  now: () => number;
  /** Called after each batch is published, before its progress is saved (observability, tests). */
  afterBatch?: (replayId: string, counters: Readonly<ReplayCounters>) => Promise<void>;
  /** Messages read per batch (default 256). */
  batchSize?: number;
}

/** A replay that cannot go on for a reason the user must see (not worth a retry). */
export class ReplayAbort extends Error {
  override name = 'ReplayAbort';
}

export type ReplayOutcome = 'completed' | 'cancelled' | 'stopped' | 'skipped';

/**
 * Runs (or resumes) one replay. Resolves 'stopped' when `shouldStop` turned true between batches
 * (process shutdown: the caller has the job retried), 'cancelled' when a user cancelled it.
 */
export async function runReplay(
  deps: ReplayDeps,
  id: string,
  shouldStop: () => boolean = () => false,
): Promise<ReplayOutcome> {
  const rec = await startReplay(deps.pool, id);
  if (!rec) return 'skipped';
  const f = rec.filter;
  const account = rec.account_id;
  const since = Date.parse(f.since);
  const until = Date.parse(f.until);
  const c: ReplayCounters = {
    scanned: rec.scanned,
    matched: rec.matched,
    replayed: rec.replayed,
    deliveries: rec.deliveries,
    last_seq: rec.last_seq,
  };
  let outcome: ReplayOutcome = 'completed';
  // The extent is fixed on the first run, so that a resumed job and its progress read the same range.
  let endSeq = rec.end_seq;
  if (rec.first_seq === null || endSeq === null) {
    const end = await deps.broker.streams.lastSeq(STREAMS.events);
    const first =
      (await deps.broker.streams.firstSeqAtOrAfter(
        STREAMS.events,
        replaySubject(account, f),
        since - SKEW_MARGIN_MS,
      )) ?? end + 1;
    endSeq = (await setReplayExtent(deps.pool, id, Math.min(first, end + 1), end))?.end_seq ?? end;
  }

  const onBatch = async (messages: StoredMessage[]): Promise<boolean> => {
    const candidates: StoredEvent[] = [];
    for (const m of messages) {
      let meta: EventMeta;
      try {
        meta = decodeEventMeta(m.headers);
      } catch {
        continue;
      }
      const at = Date.parse(meta.received_at);
      if (meta.account_id !== account || !(at >= since && at < until)) continue;
      c.scanned++;
      if (matchesMeta(meta, f)) candidates.push({ seq: m.seq, meta, body: m.data });
    }
    const matched = await byReadModels(deps.pool, account, f, candidates);
    c.matched += matched.length;
    const results = await Promise.all(
      matched.map(async (ev) => {
        const all = replayTargets(deps.catalog, ev, f.destination_id);
        const targets = all && f.customer_id !== undefined ? all.filter((t) => t.customer_id === f.customer_id) : all;
        if (!targets) {
          // An event for another customer than the destination's is not the destination's to replay.
          if (f.destination_id !== undefined && deps.catalog.view.destinations.has(f.destination_id)) return 0;
          throw new ReplayAbort('the destination of this replay no longer exists');
        }
        if (targets.length === 0) return 0;
        await publishReplay(deps.publisher, ev, targets, id, deps.now());
        return targets.length;
      }),
    );
    for (const n of results) {
      if (n > 0) {
        c.replayed++;
        c.deliveries += n;
      }
    }
    c.last_seq = (messages[messages.length - 1] as StoredMessage).seq;
    await deps.afterBatch?.(id, c);
    const status = await recordReplayProgress(deps.pool, id, c);
    if (status !== 'running') {
      outcome = 'cancelled';
      return false;
    }
    if (shouldStop()) {
      outcome = 'stopped';
      return false;
    }
    return true;
  };

  await deps.broker.streams.scan(STREAMS.events, {
    filterSubject: replaySubject(account, f),
    ...(c.last_seq > 0 ? { startSeq: c.last_seq + 1 } : { startTime: since - SKEW_MARGIN_MS }),
    endTime: until + SKEW_MARGIN_MS,
    endSeq,
    batch: deps.batchSize ?? BATCH,
    onBatch,
  });
  if (outcome === 'completed') {
    await finishReplay(deps.pool, id, 'completed');
    deps.log.info(
      { replay_id: id, scanned: c.scanned, matched: c.matched, replayed: c.replayed },
      'bulk replay completed',
    );
  }
  return outcome;
}

/** Keeps the candidates whose status (or whose delivery to the destination) the filter asks for. */
async function byReadModels(
  pool: Pool,
  account: string,
  f: ReplayFilter,
  candidates: StoredEvent[],
): Promise<StoredEvent[]> {
  if (candidates.length === 0 || (f.status === undefined && f.destination_id === undefined)) return candidates;
  const ids = candidates.map((e) => e.meta.event_id).filter(isUuid);
  const statuses =
    f.destination_id !== undefined
      ? await latestDeliveryStatuses(pool, account, f.destination_id, ids)
      : await eventStatuses(pool, account, ids);
  return candidates.filter((e) => {
    const s = statuses.get(e.meta.event_id);
    return s !== undefined && (f.status === undefined || s === f.status);
  });
}

/** The API's port: records a replay and queues its job. */
export function replayPort(deps: { pool: Pool; catalog: Catalog; enqueue: (id: string) => Promise<void> }) {
  return {
    async create(
      accountId: string,
      input: ReplayFilter,
    ): Promise<{ ok: true; replay: ReplayView } | { ok: false; error: string }> {
      const filter: ReplayFilter = Object.fromEntries(
        Object.entries(input).filter(([, v]) => v !== undefined),
      ) as unknown as ReplayFilter;
      const problem = checkReplayFilter(deps.catalog, accountId, filter);
      if (problem) return { ok: false, error: problem };
      const id = randomUUID();
      const rec = await createReplay(deps.pool, id, accountId, filter);
      try {
        await deps.enqueue(id);
      } catch (err) {
        await finishReplay(deps.pool, id, 'failed', 'could not be queued').catch(() => {});
        throw err;
      }
      return { ok: true, replay: replayView(rec) };
    },
    async get(accountId: string, id: string) {
      const r = await getReplay(deps.pool, accountId, id);
      return r ? replayView(r) : null;
    },
    async list(accountId: string, q: { limit: number; cursor?: string }) {
      const r = await listReplays(deps.pool, accountId, q.limit, q.cursor);
      return { items: r.items.map(replayView), next_cursor: r.next_cursor };
    },
    async cancel(accountId: string, id: string) {
      const r = await cancelReplay(deps.pool, accountId, id);
      return typeof r === 'string' ? r : replayView(r);
    },
  };
}
