// The audit log's read model: written by the projector from HS_AUDIT with the stream's checkpoint in
// the same transaction, read by GET /v1/audit-log newest first in keyset pages.
import type { AuditEntry, AuditLogItem } from '@hookstream/contracts';
import { type Pool, withTransaction } from './pool.ts';
import { InvalidQueryError, decodeCursor, encodeCursor, isUuid } from './queries.ts';

export interface AuditInput {
  entry: AuditEntry;
  /** Its sequence in HS_AUDIT. */
  seq: number;
}

/** Flattens the ids by role into one list, for the resource_id filter. */
function idList(ids: AuditEntry['ids']): string[] {
  const out = new Set<string>();
  for (const v of Object.values(ids)) for (const id of Array.isArray(v) ? v : [v]) out.add(id);
  return [...out];
}

/**
 * Inserts the entries (an entry seen again is left as it is) and moves `stream`'s checkpoint to
 * `lastSeq`, in one transaction. Entries of accounts whose ids are not UUIDs are not projectable
 * and must have been filtered out by the caller.
 */
export async function applyAuditBatch(
  pool: Pool,
  stream: string,
  lastSeq: number,
  items: readonly AuditInput[],
): Promise<number> {
  const rows = items.map(({ entry: e, seq }) => ({
    id: e.id,
    account_id: e.account_id,
    at: e.at,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    actor_name: e.actor.name,
    action: e.action,
    resource_type: e.resource_type,
    resource_id: e.resource_id,
    ids: e.ids,
    id_list: idList(e.ids),
    fields: e.fields,
    ip: e.ip,
    user_agent: e.user_agent,
    method: e.method,
    route: e.route,
    status: e.status,
    outcome: e.outcome,
    request_id: e.request_id,
    stream_seq: seq,
  }));
  return withTransaction(pool, async (c) => {
    let inserted = 0;
    if (rows.length > 0) {
      const r = await c.query(
        `INSERT INTO audit_log SELECT * FROM jsonb_populate_recordset(NULL::audit_log, $1::jsonb) ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
      inserted = r.rowCount ?? 0;
    }
    await c.query(
      `INSERT INTO projection_checkpoints (stream, last_seq) VALUES ($1, $2)
       ON CONFLICT (stream) DO UPDATE SET last_seq = GREATEST(projection_checkpoints.last_seq, excluded.last_seq), updated_at = now()`,
      [stream, lastSeq],
    );
    return inserted;
  });
}

export interface AuditFilter {
  limit: number;
  cursor?: string | undefined;
  actor?: string | undefined;
  actor_type?: string | undefined;
  /** One action, or `<resource>.*`. */
  action?: string | undefined;
  resource_id?: string | undefined;
  outcome?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

interface AuditRow {
  id: string;
  at: Date;
  at_us: string;
  actor_type: AuditLogItem['actor']['type'];
  actor_id: string;
  actor_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  ids: AuditLogItem['ids'];
  fields: string[];
  ip: string | null;
  user_agent: string | null;
  method: string;
  route: string;
  status: number;
  outcome: AuditLogItem['outcome'];
  request_id: string | null;
}

function toItem(r: AuditRow): AuditLogItem {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    action: r.action,
    resource_type: r.resource_type,
    resource_id: r.resource_id,
    ids: r.ids,
    fields: r.fields,
    ip: r.ip,
    user_agent: r.user_agent,
    method: r.method,
    route: r.route,
    status: r.status,
    outcome: r.outcome,
    request_id: r.request_id,
  };
}

const COLUMNS = `id, at, (extract(epoch FROM at) * 1000000)::int8::text AS at_us, actor_type, actor_id, actor_name, action,
  resource_type, resource_id, ids, fields, ip, user_agent, method, route, status, outcome, request_id`;

/** Newest first, keyset-paginated (the cursor of GET /v1/events). Throws InvalidQueryError. */
export async function listAuditLog(
  pool: Pool,
  accountId: string,
  filter: AuditFilter,
): Promise<{ items: AuditLogItem[]; next_cursor: string | null }> {
  const cursor = filter.cursor ? decodeCursor(filter.cursor) : null;
  const limit = Math.min(Math.max(Math.trunc(filter.limit) || 50, 1), 500);
  for (const name of ['since', 'until'] as const) {
    const v = filter[name];
    if (v !== undefined && Number.isNaN(Date.parse(v)))
      throw new InvalidQueryError('invalid_time', `${name}: not an ISO 8601 time`);
  }
  if (!isUuid(accountId)) return { items: [], next_cursor: null };
  const params: unknown[] = [accountId];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = ['account_id = $1'];
  if (filter.actor !== undefined) where.push(`actor_id = ${p(filter.actor)}`);
  if (filter.actor_type !== undefined) where.push(`actor_type = ${p(filter.actor_type)}`);
  if (filter.action !== undefined) {
    if (filter.action.endsWith('.*'))
      where.push(`action LIKE ${p(`${filter.action.slice(0, -2).replace(/[\\%_]/g, '\\$&')}.%`)}`);
    else where.push(`action = ${p(filter.action)}`);
  }
  if (filter.resource_id !== undefined) where.push(`id_list @> ARRAY[${p(filter.resource_id)}]::text[]`);
  if (filter.outcome !== undefined) where.push(`outcome = ${p(filter.outcome)}`);
  if (filter.since !== undefined) where.push(`at >= ${p(new Date(filter.since).toISOString())}::timestamptz`);
  if (filter.until !== undefined) where.push(`at < ${p(new Date(filter.until).toISOString())}::timestamptz`);
  if (cursor)
    where.push(
      `(at, id) < ('epoch'::timestamptz + ${p(cursor.us)}::int8 * interval '1 microsecond', ${p(cursor.id)}::uuid)`,
    );
  const { rows } = await pool.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    next_cursor: rows.length > limit && last ? encodeCursor(last.at_us, last.id) : null,
  };
}

/** Empties the audit log's read model and its checkpoint, for a rebuild from HS_AUDIT. */
export async function truncateAuditLog(pool: Pool, stream: string): Promise<void> {
  await withTransaction(pool, async (c) => {
    await c.query('TRUNCATE audit_log');
    await c.query('DELETE FROM projection_checkpoints WHERE stream = $1', [stream]);
  });
}

/** Every row, in id order, as JSON: two snapshots are equal when a rebuild reproduced the table. */
export async function snapshotAuditLog(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query<{ r: unknown }>('SELECT to_jsonb(t) AS r FROM audit_log t ORDER BY id');
  return rows.map((x) => x.r);
}
