// Records of the jobs role (bulk replays, exports) and the read-model queries it runs: the filters a
// bulk replay consults, and what the retention cleaner deletes. Every query names its account.
import { IN_FLIGHT_EVENT_STATUSES } from '@hookstream/domain';
import { lockEvents } from './locks.ts';
import type { Pool } from './pool.ts';
import { withTransaction } from './pool.ts';
import { decodeCursor, encodeCursor, isUuid } from './queries.ts';

export type ReplayStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface ReplayFilter {
  source_id?: string;
  destination_id?: string;
  status?: string;
  event_type?: string;
  direction?: 'inbound' | 'outbound';
  /** Only this customer's events, re-delivered to its destinations only. */
  customer_id?: string;
  /** Inclusive lower bound on the event's received_at (ISO 8601). */
  since: string;
  /** Exclusive upper bound on the event's received_at (ISO 8601). */
  until: string;
}

export interface ReplayCounters {
  scanned: number;
  matched: number;
  replayed: number;
  deliveries: number;
  /** Last events-stream sequence whose batch these counters include. */
  last_seq: number;
}

export interface ReplayRecord extends ReplayCounters {
  /** The replay's first and last events-stream sequences, fixed when it first starts (null before). */
  first_seq: number | null;
  end_seq: number | null;
  id: string;
  account_id: string;
  status: ReplayStatus;
  filter: ReplayFilter;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

type Dated<T> = Omit<T, 'created_at' | 'started_at' | 'finished_at' | 'expires_at'> & {
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  expires_at?: Date | null;
  created_us: string;
};

const REPLAY_COLUMNS = `id, account_id, status, filter, scanned, matched, replayed, deliveries, last_seq, first_seq, end_seq,
  created_at, started_at, finished_at, error, (extract(epoch FROM created_at) * 1000000)::int8::text AS created_us`;

function toReplay(r: Dated<ReplayRecord>): ReplayRecord {
  const { created_us: _c, expires_at: _e, ...rest } = r;
  return {
    ...rest,
    created_at: r.created_at.toISOString(),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
  };
}

export async function createReplay(
  pool: Pool,
  id: string,
  accountId: string,
  filter: ReplayFilter,
): Promise<ReplayRecord> {
  const { rows } = await pool.query<Dated<ReplayRecord>>(
    `INSERT INTO replays (id, account_id, status, filter) VALUES ($1, $2, 'queued', $3) RETURNING ${REPLAY_COLUMNS}`,
    [id, accountId, JSON.stringify(filter)],
  );
  return toReplay(rows[0] as Dated<ReplayRecord>);
}

export async function getReplay(pool: Pool, accountId: string, id: string): Promise<ReplayRecord | null> {
  if (!isUuid(accountId) || !isUuid(id)) return null;
  const { rows } = await pool.query<Dated<ReplayRecord>>(
    `SELECT ${REPLAY_COLUMNS} FROM replays WHERE account_id = $1 AND id = $2`,
    [accountId, id],
  );
  return rows[0] ? toReplay(rows[0]) : null;
}

/** Newest first, keyset-paginated on (created_at, id): the job records (replays, exports). */
export async function pageOf<R extends { id: string; created_us: string }>(
  pool: Pool,
  table: 'replays' | 'exports',
  columns: string,
  accountId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: R[]; next_cursor: string | null }> {
  if (!isUuid(accountId)) return { rows: [], next_cursor: null };
  const n = Math.min(Math.max(Math.trunc(limit) || 50, 1), 500);
  const params: unknown[] = [accountId];
  let where = 'account_id = $1';
  if (cursor) {
    const c = decodeCursor(cursor);
    params.push(c.us, c.id);
    where += ` AND (created_at, id) < ('epoch'::timestamptz + $2::int8 * interval '1 microsecond', $3::uuid)`;
  }
  const { rows } = await pool.query<R>(
    `SELECT ${columns} FROM ${table} WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${n + 1}`,
    params,
  );
  const page = rows.slice(0, n);
  const last = page[page.length - 1];
  return { rows: page, next_cursor: rows.length > n && last ? encodeCursor(last.created_us, last.id) : null };
}

export async function listReplays(
  pool: Pool,
  accountId: string,
  limit: number,
  cursor?: string,
): Promise<Page<ReplayRecord>> {
  const r = await pageOf<Dated<ReplayRecord>>(pool, 'replays', REPLAY_COLUMNS, accountId, limit, cursor);
  return { items: r.rows.map(toReplay), next_cursor: r.next_cursor };
}

/** Cancels a queued or running replay; the job stops at its next batch. */
export async function cancelReplay(
  pool: Pool,
  accountId: string,
  id: string,
): Promise<ReplayRecord | 'not_found' | 'finished'> {
  const current = await getReplay(pool, accountId, id);
  if (!current) return 'not_found';
  const { rows } = await pool.query<Dated<ReplayRecord>>(
    `UPDATE replays SET status = 'cancelled', finished_at = now()
     WHERE account_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING ${REPLAY_COLUMNS}`,
    [accountId, id],
  );
  if (rows[0]) return toReplay(rows[0]);
  const now = await getReplay(pool, accountId, id);
  return now?.status === 'cancelled' ? now : 'finished';
}

/** Marks the replay running (again, after a retry) and returns it; null when it was cancelled or finished. */
export async function startReplay(pool: Pool, id: string): Promise<ReplayRecord | null> {
  const { rows } = await pool.query<Dated<ReplayRecord>>(
    `UPDATE replays SET status = 'running', started_at = coalesce(started_at, now())
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${REPLAY_COLUMNS}`,
    [id],
  );
  return rows[0] ? toReplay(rows[0]) : null;
}

/** Fixes the replay's extent in the events stream (once: a resumed job keeps the first one). */
export async function setReplayExtent(
  pool: Pool,
  id: string,
  firstSeq: number,
  endSeq: number,
): Promise<{ first_seq: number; end_seq: number } | null> {
  const { rows } = await pool.query<{ first_seq: number; end_seq: number }>(
    `UPDATE replays SET first_seq = coalesce(first_seq, $2), end_seq = coalesce(end_seq, $3) WHERE id = $1 RETURNING first_seq, end_seq`,
    [id, firstSeq, endSeq],
  );
  return rows[0] ?? null;
}

/**
 * Saves progress; returns the replay's status, so that a cancel is seen in the same round trip. A
 * cancelled replay still records the batch it had published when the cancel came.
 */
export async function recordReplayProgress(pool: Pool, id: string, c: ReplayCounters): Promise<ReplayStatus | null> {
  const { rows } = await pool.query<{ status: ReplayStatus }>(
    `UPDATE replays SET scanned = $2, matched = $3, replayed = $4, deliveries = $5, last_seq = $6
     WHERE id = $1 AND status IN ('running', 'cancelled') RETURNING status`,
    [id, c.scanned, c.matched, c.replayed, c.deliveries, c.last_seq],
  );
  return rows[0]?.status ?? null;
}

export async function finishReplay(
  pool: Pool,
  id: string,
  status: 'completed' | 'failed',
  error: string | null = null,
): Promise<void> {
  await pool.query(
    `UPDATE replays SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`,
    [id, status, error],
  );
}

/** Status of each of the given events that the read models know, by id. */
export async function eventStatuses(
  pool: Pool,
  accountId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<{ id: string; status: string }>(
    'SELECT id, status FROM events WHERE account_id = $1 AND id = ANY($2::uuid[])',
    [accountId, ids],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** Status of the latest delivery to one destination of each of the given events that has one, by event id. */
export async function latestDeliveryStatuses(
  pool: Pool,
  accountId: string,
  destinationId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<{ event_id: string; status: string }>(
    `SELECT DISTINCT ON (event_id) event_id, status FROM deliveries
     WHERE account_id = $1 AND destination_id = $2 AND event_id = ANY($3::uuid[])
     ORDER BY event_id, created_at DESC, id DESC`,
    [accountId, destinationId, ids],
  );
  return new Map(rows.map((r) => [r.event_id, r.status]));
}

// ---------- retention ----------

/** Event statuses the cleaner never removes: the event may still be routed or delivered. */
const IN_FLIGHT_STATUSES = IN_FLIGHT_EVENT_STATUSES;

export interface RetentionDeleted {
  events: number;
  deliveries: number;
  attempts: number;
  routings: number;
}

/**
 * Deletes the account's events received before `cutoff` that are not in flight, with their
 * deliveries, attempts and routing rows, in transactions of at most `batch` events.
 */
export async function deleteExpiredEvents(
  pool: Pool,
  accountId: string,
  cutoff: Date,
  batch = 2_000,
): Promise<RetentionDeleted> {
  const total: RetentionDeleted = { events: 0, deliveries: 0, attempts: 0, routings: 0 };
  if (!isUuid(accountId)) return total;
  const keep = [...IN_FLIGHT_STATUSES];
  for (;;) {
    const found = await withTransaction(pool, async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `SELECT id FROM events WHERE account_id = $1 AND received_at < $2 AND status <> ALL($3::text[])
         ORDER BY received_at LIMIT $4`,
        [accountId, cutoff, keep, batch],
      );
      if (rows.length === 0) return 0;
      // The projector's locks: a fact for one of these events waits, then finds it gone.
      await lockEvents(
        c,
        rows.map((r) => r.id),
      );
      // Re-checked under the lock: a replay may have put one back in flight meanwhile.
      const del = await c.query<{ id: string }>(
        'DELETE FROM events WHERE account_id = $1 AND id = ANY($2::uuid[]) AND status <> ALL($3::text[]) RETURNING id',
        [accountId, rows.map((r) => r.id), keep],
      );
      const ids = del.rows.map((r) => r.id);
      const at = await c.query(
        'DELETE FROM attempts WHERE account_id = $1 AND delivery_id IN (SELECT id FROM deliveries WHERE event_id = ANY($2::uuid[]))',
        [accountId, ids],
      );
      const dl = await c.query('DELETE FROM deliveries WHERE account_id = $1 AND event_id = ANY($2::uuid[])', [
        accountId,
        ids,
      ]);
      const rt = await c.query('DELETE FROM event_routings WHERE account_id = $1 AND event_id = ANY($2::uuid[])', [
        accountId,
        ids,
      ]);
      await c.query('DELETE FROM dead_letters WHERE account_id = $1 AND event_id = ANY($2::uuid[])', [accountId, ids]);
      total.events += ids.length;
      total.attempts += at.rowCount ?? 0;
      total.deliveries += dl.rowCount ?? 0;
      total.routings += rt.rowCount ?? 0;
      return rows.length;
    });
    if (found < batch) return total;
  }
}

/** Drops the account's rollup minutes older than the cutoff (statistics never reach past retention). */
export async function deleteExpiredRollups(pool: Pool, accountId: string, cutoff: Date): Promise<number> {
  if (!isUuid(accountId)) return 0;
  const e = await pool.query('DELETE FROM event_rollups WHERE account_id = $1 AND minute < $2', [accountId, cutoff]);
  const d = await pool.query('DELETE FROM delivery_rollups WHERE account_id = $1 AND minute < $2', [accountId, cutoff]);
  // An hour that began before the cutoff and ends after it stays whole.
  const eh = await pool.query(
    `DELETE FROM event_rollups_hourly WHERE account_id = $1 AND hour + interval '1 hour' <= $2`,
    [accountId, cutoff],
  );
  const dh = await pool.query(
    `DELETE FROM delivery_rollups_hourly WHERE account_id = $1 AND hour + interval '1 hour' <= $2`,
    [accountId, cutoff],
  );
  return (e.rowCount ?? 0) + (d.rowCount ?? 0) + (eh.rowCount ?? 0) + (dh.rowCount ?? 0);
}

export interface StreamBounds {
  /** Lowest events-stream sequence of the account's events received at or after the cutoff. */
  firstKept: number | null;
  /** Lowest events-stream sequence of the account's events in flight, whatever their age. */
  firstInFlight: number | null;
  /** Oldest received_at of the account's events in flight. */
  oldestInFlight: Date | null;
}

/** What the read models say must stay in the events stream for one account. */
export async function streamBounds(pool: Pool, accountId: string, cutoff: Date): Promise<StreamBounds> {
  const { rows } = await pool.query<{
    first_kept: number | null;
    first_in_flight: number | null;
    oldest_in_flight: Date | null;
  }>(
    `SELECT
       (SELECT stream_seq FROM events WHERE account_id = $1 AND received_at >= $2 ORDER BY stream_seq LIMIT 1) AS first_kept,
       (SELECT min(stream_seq) FROM events WHERE account_id = $1 AND status = ANY($3::text[])) AS first_in_flight,
       (SELECT min(received_at) FROM events WHERE account_id = $1 AND status = ANY($3::text[])) AS oldest_in_flight`,
    [accountId, cutoff, [...IN_FLIGHT_STATUSES]],
  );
  const r = rows[0];
  return {
    firstKept: r?.first_kept ?? null,
    firstInFlight: r?.first_in_flight ?? null,
    oldestInFlight: r?.oldest_in_flight ?? null,
  };
}
