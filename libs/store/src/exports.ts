// Export records, and the rows of an export read in keyset batches: one short query per batch on an
// index, never a transaction held open for the length of the export, never the whole result in memory.
import type { Pool } from './pool.ts';
import { type EventFilter, eventTypeCondition, isUuid } from './queries.ts';
import { pageOf } from './jobs.ts';

export type ExportKind = 'events' | 'attempts';
export type ExportFormat = 'ndjson' | 'csv';
export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'expired';

/** The filters of GET /v1/events. For attempts, since/until bound the attempt's started_at. */
export type ExportFilter = Omit<EventFilter, 'limit' | 'cursor'>;

export interface ExportRecord {
  id: string;
  account_id: string;
  kind: ExportKind;
  format: ExportFormat;
  filter: ExportFilter;
  status: ExportStatus;
  rows: number;
  bytes: number;
  object_name: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  expires_at: string | null;
  error: string | null;
}

type Row = Omit<ExportRecord, 'created_at' | 'started_at' | 'finished_at' | 'expires_at'> & {
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  expires_at: Date | null;
  created_us: string;
};

const COLUMNS = `id, account_id, kind, format, filter, status, row_count AS rows, byte_count AS bytes, object_name,
  created_at, started_at, finished_at, expires_at, error, (extract(epoch FROM created_at) * 1000000)::int8::text AS created_us`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toRecord(r: Row): ExportRecord {
  const { created_us: _c, ...rest } = r;
  return {
    ...rest,
    created_at: r.created_at.toISOString(),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    expires_at: iso(r.expires_at),
  };
}

export async function createExport(
  pool: Pool,
  e: { id: string; account_id: string; kind: ExportKind; format: ExportFormat; filter: ExportFilter },
): Promise<ExportRecord> {
  const { rows } = await pool.query<Row>(
    `INSERT INTO exports (id, account_id, kind, format, filter, status) VALUES ($1, $2, $3, $4, $5, 'queued') RETURNING ${COLUMNS}`,
    [e.id, e.account_id, e.kind, e.format, JSON.stringify(e.filter)],
  );
  return toRecord(rows[0] as Row);
}

export async function getExport(pool: Pool, accountId: string, id: string): Promise<ExportRecord | null> {
  if (!isUuid(accountId) || !isUuid(id)) return null;
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM exports WHERE account_id = $1 AND id = $2`, [
    accountId,
    id,
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listExports(
  pool: Pool,
  accountId: string,
  limit: number,
  cursor?: string,
): Promise<{ items: ExportRecord[]; next_cursor: string | null }> {
  const r = await pageOf<Row>(pool, 'exports', COLUMNS, accountId, limit, cursor);
  return { items: r.rows.map(toRecord), next_cursor: r.next_cursor };
}

/** Marks the export running (again, after a retry); null when it is no longer queued or running. */
export async function startExport(pool: Pool, id: string): Promise<ExportRecord | null> {
  const { rows } = await pool.query<Row>(
    `UPDATE exports SET status = 'running', started_at = now(), row_count = 0, byte_count = 0
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function recordExportProgress(pool: Pool, id: string, rows: number, bytes: number): Promise<void> {
  await pool.query(`UPDATE exports SET row_count = $2, byte_count = $3 WHERE id = $1 AND status = 'running'`, [
    id,
    rows,
    bytes,
  ]);
}

export async function finishExport(
  pool: Pool,
  id: string,
  r: {
    status: 'completed' | 'failed';
    rows: number;
    bytes: number;
    object_name: string | null;
    ttlMs: number;
    error?: string | null;
  },
): Promise<void> {
  await pool.query(
    `UPDATE exports SET status = $2, row_count = $3, byte_count = $4, object_name = $5, error = $6, finished_at = now(),
       expires_at = now() + $7::int8 * interval '1 millisecond'
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [id, r.status, r.rows, r.bytes, r.object_name, r.error ?? null, r.ttlMs],
  );
}

/** Finished exports past their expiry (any account), oldest first. */
export async function expiredExports(
  pool: Pool,
  now: Date,
  limit = 500,
): Promise<Array<{ id: string; object_name: string | null }>> {
  const { rows } = await pool.query<{ id: string; object_name: string | null }>(
    `SELECT id, object_name FROM exports WHERE status IN ('completed', 'failed') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
    [now, limit],
  );
  return rows;
}

export async function markExportExpired(pool: Pool, id: string): Promise<void> {
  await pool.query(`UPDATE exports SET status = 'expired' WHERE id = $1 AND status IN ('completed', 'failed')`, [id]);
}

/** Forgets expired export records older than `before`. */
export async function deleteExpiredExportRecords(pool: Pool, before: Date): Promise<number> {
  const r = await pool.query(`DELETE FROM exports WHERE status = 'expired' AND expires_at < $1`, [before]);
  return r.rowCount ?? 0;
}

// ---------- rows ----------

export interface EventExportRow {
  id: string;
  direction: string;
  source_id: string | null;
  event_type: string | null;
  status: string;
  received_at: string;
  content_type: string | null;
  idempotency_key: string | null;
  labels: Record<string, string> | null;
  delivery_count: number;
}

export interface AttemptExportRow {
  event_id: string;
  delivery_id: string;
  destination_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  outcome: string;
  error_class: string | null;
  error: string | null;
  response_excerpt: string;
}

export const EVENT_EXPORT_COLUMNS = [
  'id',
  'direction',
  'source_id',
  'event_type',
  'status',
  'received_at',
  'content_type',
  'idempotency_key',
  'labels',
  'delivery_count',
] as const satisfies ReadonlyArray<keyof EventExportRow>;

export const ATTEMPT_EXPORT_COLUMNS = [
  'event_id',
  'delivery_id',
  'destination_id',
  'attempt',
  'started_at',
  'duration_ms',
  'status_code',
  'outcome',
  'error_class',
  'error',
  'response_excerpt',
] as const satisfies ReadonlyArray<keyof AttemptExportRow>;

function eventWhere(accountId: string, f: ExportFilter, params: unknown[], alias: string, timed: boolean): string[] {
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = [`${alias}.account_id = ${p(accountId)}`];
  if (f.source_id !== undefined) where.push(`${alias}.source_id = ${p(f.source_id)}`);
  if (f.status !== undefined) where.push(`${alias}.status = ${p(f.status)}`);
  if (f.event_type !== undefined) where.push(eventTypeCondition(`${alias}.event_type`, f.event_type, p));
  if (f.direction !== undefined) where.push(`${alias}.direction = ${p(f.direction)}`);
  if (timed && f.since !== undefined)
    where.push(`${alias}.received_at >= ${p(new Date(f.since).toISOString())}::timestamptz`);
  if (timed && f.until !== undefined)
    where.push(`${alias}.received_at < ${p(new Date(f.until).toISOString())}::timestamptz`);
  return where;
}

const noMatch = (f: ExportFilter) =>
  (f.source_id !== undefined && !isUuid(f.source_id)) || (f.destination_id !== undefined && !isUuid(f.destination_id));

/** The account's events matching the filter, oldest first, `batch` rows at a time. */
export async function* exportEventRows(
  pool: Pool,
  accountId: string,
  f: ExportFilter,
  batch = 1_000,
): AsyncGenerator<EventExportRow[]> {
  if (!isUuid(accountId) || noMatch(f)) return;
  let after: { us: string; id: string } | null = null;
  for (;;) {
    const params: unknown[] = [];
    const where = eventWhere(accountId, f, params, 'e', true);
    if (f.destination_id !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = e.account_id AND d.destination_id = $${params.push(f.destination_id)} AND d.event_id = e.id)`,
      );
    }
    if (after) {
      where.push(
        `(e.received_at, e.id) > ('epoch'::timestamptz + $${params.push(after.us)}::int8 * interval '1 microsecond', $${params.push(after.id)}::uuid)`,
      );
    }
    const { rows } = await pool.query<Omit<EventExportRow, 'received_at'> & { received_at: Date; us: string }>(
      `SELECT e.id, e.direction, e.source_id, e.event_type, e.status, e.received_at, e.content_type, e.idempotency_key, e.labels,
         e.delivery_count, (extract(epoch FROM e.received_at) * 1000000)::int8::text AS us
       FROM events e WHERE ${where.join(' AND ')} ORDER BY e.received_at, e.id LIMIT ${batch}`,
      params,
    );
    if (rows.length === 0) return;
    const last = rows[rows.length - 1] as { us: string; id: string };
    after = { us: last.us, id: last.id };
    yield rows.map(({ us: _us, received_at, ...r }) => ({ ...r, received_at: received_at.toISOString() }));
    if (rows.length < batch) return;
  }
}

/** The account's attempts matching the filter (of their event), oldest first, `batch` rows at a time. */
export async function* exportAttemptRows(
  pool: Pool,
  accountId: string,
  f: ExportFilter,
  batch = 1_000,
): AsyncGenerator<AttemptExportRow[]> {
  if (!isUuid(accountId) || noMatch(f)) return;
  let after: { us: string; delivery_id: string; n: number } | null = null;
  const eventFiltered =
    f.source_id !== undefined || f.status !== undefined || f.event_type !== undefined || f.direction !== undefined;
  for (;;) {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = [`a.account_id = ${p(accountId)}`];
    if (f.destination_id !== undefined) where.push(`a.destination_id = ${p(f.destination_id)}`);
    if (f.since !== undefined) where.push(`a.started_at >= ${p(new Date(f.since).toISOString())}::timestamptz`);
    if (f.until !== undefined) where.push(`a.started_at < ${p(new Date(f.until).toISOString())}::timestamptz`);
    if (eventFiltered)
      where.push(
        `EXISTS (SELECT 1 FROM events e WHERE e.id = a.event_id AND ${eventWhere(accountId, f, params, 'e', false).join(' AND ')})`,
      );
    if (after) {
      where.push(
        `(a.started_at, a.delivery_id, a.n) > ('epoch'::timestamptz + ${p(after.us)}::int8 * interval '1 microsecond', ${p(after.delivery_id)}::uuid, ${p(after.n)}::int4)`,
      );
    }
    const { rows } = await pool.query<Omit<AttemptExportRow, 'started_at'> & { started_at: Date; us: string }>(
      `SELECT a.event_id, a.delivery_id, a.destination_id, a.n AS attempt, a.started_at, a.duration_ms, a.status_code, a.outcome,
         a.error_class, a.error, a.response_excerpt, (extract(epoch FROM a.started_at) * 1000000)::int8::text AS us
       FROM attempts a WHERE ${where.join(' AND ')} ORDER BY a.started_at, a.delivery_id, a.n LIMIT ${batch}`,
      params,
    );
    if (rows.length === 0) return;
    const last = rows[rows.length - 1] as { us: string; delivery_id: string; attempt: number };
    after = { us: last.us, delivery_id: last.delivery_id, n: last.attempt };
    yield rows.map(({ us: _us, started_at, ...r }) => ({ ...r, started_at: started_at.toISOString() }));
    if (rows.length < batch) return;
  }
}
