// Read queries of the API. Every query is scoped by account_id: a caller can only name rows of its
// own account, whatever ids it passes.
import { InvalidQueryError } from '@hookstream/contracts';
import { eventTypePatternQuery, isEventTypePattern } from '@hookstream/domain';
import type { Pool } from './pool.ts';

export interface EventFilter {
  source_id?: string;
  destination_id?: string;
  status?: string;
  event_type?: string;
  direction?: 'inbound' | 'outbound';
  /** Inclusive lower bound on received_at (ISO 8601). */
  since?: string;
  /** Exclusive upper bound on received_at (ISO 8601). */
  until?: string;
  /** Exactly this idempotency key. */
  idempotency_key?: string;
  /** Events published for this customer, or routed to one of its destinations. */
  customer_id?: string;
  limit: number;
  cursor?: string;
}

export interface EventSummary {
  id: string;
  direction: 'inbound' | 'outbound';
  source_id: string | null;
  event_type: string | null;
  status: string;
  received_at: string;
  content_type: string | null;
  labels: Record<string, string> | null;
  idempotency_key: string | null;
  customer_id: string | null;
  delivery_count: number;
}

export interface AttemptView {
  n: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  outcome: string;
  error_class: string | null;
  error: string | null;
  response_headers: Record<string, string>;
  response_excerpt: string;
}

export interface DeliveryView {
  id: string;
  destination_id: string;
  customer_id: string | null;
  route_id: string | null;
  replay_id: string | null;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  attempts: AttemptView[];
}

export interface EventDetail extends EventSummary {
  headers: Record<string, string>;
  /** The body as text when it is valid UTF-8 of a textual content type; otherwise body_base64. */
  body?: string;
  body_base64?: string;
  deliveries: DeliveryView[];
}

export { InvalidQueryError };

/** Events are never older than the epoch; times outside this range are refused, not sent to Postgres. */
const MIN_TIME_MS = 0;
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * The condition of an event_type filter: one type, or a route pattern (`order.*`, `order.**`)
 * matched exactly as routes match it. A pattern that is not valid matches nothing, as on a route.
 */
export function eventTypeCondition(column: string, value: string, p: (v: unknown) => string): string {
  if (!isEventTypePattern(value)) return `${column} = ${p(value)}`;
  const q = eventTypePatternQuery(value);
  if (!q) return 'FALSE';
  const regex = `${column} ~ ${p(q.regex)}`;
  return q.likePrefix === '' ? regex : `${column} LIKE ${p(`${q.likePrefix}%`)} ESCAPE '\\' AND ${regex}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

// The cursor is the last row's position: received_at in microseconds since the epoch (exact, unlike
// a JS Date) and its id. Opaque to clients.
export function encodeCursor(receivedUs: string, id: string): string {
  return Buffer.from(`${receivedUs}|${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { us: string; id: string } {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(-?\d{1,18})\|([0-9a-f-]{36})$/i.exec(raw);
  if (!m || !isUuid(m[2] as string)) throw new InvalidQueryError('invalid_cursor', 'invalid cursor');
  const us = Number(m[1]);
  if (us < MIN_TIME_MS * 1000 || us > MAX_TIME_MS * 1000)
    throw new InvalidQueryError('invalid_cursor', 'invalid cursor');
  return { us: m[1] as string, id: m[2] as string };
}

const SUMMARY_COLUMNS = `e.id, e.direction, e.source_id, e.event_type, e.status, e.received_at, e.content_type, e.labels,
  e.idempotency_key, e.customer_id, e.delivery_count, (extract(epoch FROM e.received_at) * 1000000)::int8::text AS received_us`;

type SummaryRow = Omit<EventSummary, 'received_at'> & { received_at: Date; received_us: string };

function toSummary(r: SummaryRow): EventSummary {
  return {
    id: r.id,
    direction: r.direction,
    source_id: r.source_id,
    event_type: r.event_type,
    status: r.status,
    received_at: r.received_at.toISOString(),
    content_type: r.content_type,
    labels: r.labels,
    idempotency_key: r.idempotency_key,
    customer_id: r.customer_id,
    delivery_count: r.delivery_count,
  };
}

/**
 * A customer with at most this many events and deliveries is listed from them: its event ids are
 * read whole and their rows sorted, a few milliseconds. A larger one is listed by walking the
 * account's log newest first until a page is full, which a customer with few events would make
 * read the whole log.
 */
export const FEW_CUSTOMER_ROWS = 2_000;

/** Whether the customer has at most FEW_CUSTOMER_ROWS events and deliveries (two index probes). */
async function fewRowsOf(pool: Pool, accountId: string, customerId: string): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM events WHERE account_id = $1 AND customer_id = $2 LIMIT ${FEW_CUSTOMER_ROWS + 1}) a)::int
          + (SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE account_id = $1 AND customer_id = $2 LIMIT ${FEW_CUSTOMER_ROWS + 1}) b)::int AS n`,
    [accountId, customerId],
  );
  return (rows[0]?.n ?? 0) <= FEW_CUSTOMER_ROWS;
}

/** The WHERE terms of an event filter (the account is $1); `p` adds a parameter and names it. */
function filterWhere(
  filter: Omit<EventFilter, 'limit' | 'cursor'>,
  p: (v: unknown) => string,
  fewCustomerRows = false,
): string[] {
  const where = ['e.account_id = $1'];
  if (filter.source_id !== undefined) where.push(`e.source_id = ${p(filter.source_id)}`);
  if (filter.status !== undefined) where.push(`e.status = ${p(filter.status)}`);
  if (filter.event_type !== undefined) where.push(eventTypeCondition('e.event_type', filter.event_type, p));
  if (filter.direction !== undefined) where.push(`e.direction = ${p(filter.direction)}`);
  if (filter.idempotency_key !== undefined) where.push(`e.idempotency_key = ${p(filter.idempotency_key)}`);
  if (filter.since !== undefined)
    where.push(`e.received_at >= ${p(new Date(filter.since).toISOString())}::timestamptz`);
  if (filter.until !== undefined) where.push(`e.received_at < ${p(new Date(filter.until).toISOString())}::timestamptz`);
  if (filter.destination_id !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = $1 AND d.destination_id = ${p(filter.destination_id)} AND d.event_id = e.id)`,
    );
  }
  if (filter.customer_id !== undefined) {
    // An event published for all customers belongs to each customer it was routed to. Two ways to
    // say it, the same rows: the one that suits the customer's size (FEW_CUSTOMER_ROWS).
    const c = p(filter.customer_id);
    where.push(
      fewCustomerRows
        ? `e.id IN (SELECT id FROM events WHERE account_id = $1 AND customer_id = ${c} UNION SELECT event_id FROM deliveries WHERE account_id = $1 AND customer_id = ${c})`
        : `(e.customer_id = ${c} OR EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = $1 AND d.customer_id = ${c} AND d.event_id = e.id))`,
    );
  }
  return where;
}

/** The summaries of the named events of the account that pass the filter (the live view's re-reads). */
export async function eventsByIds(
  pool: Pool,
  accountId: string,
  ids: readonly string[],
  filter: Omit<EventFilter, 'limit' | 'cursor'>,
): Promise<EventSummary[]> {
  const wanted = ids.filter(isUuid);
  if (!isUuid(accountId) || wanted.length === 0) return [];
  if (filter.source_id !== undefined && !isUuid(filter.source_id)) return [];
  if (filter.destination_id !== undefined && !isUuid(filter.destination_id)) return [];
  const params: unknown[] = [accountId];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = filterWhere(filter, p);
  where.push(`e.id = ANY(${p(wanted)}::uuid[])`);
  const { rows } = await pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM events e WHERE ${where.join(' AND ')}`,
    params,
  );
  return rows.map(toSummary);
}

/** Newest first, keyset-paginated. Ids that are not UUIDs match nothing. Throws InvalidQueryError. */
export async function listEvents(
  pool: Pool,
  accountId: string,
  filter: EventFilter,
): Promise<{ items: EventSummary[]; next_cursor: string | null }> {
  const cursor = filter.cursor ? decodeCursor(filter.cursor) : null;
  const limit = Math.min(Math.max(Math.trunc(filter.limit) || 50, 1), 500);
  for (const [name, v] of [
    ['since', filter.since],
    ['until', filter.until],
  ] as const) {
    if (v === undefined) continue;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new InvalidQueryError('invalid_time', `${name}: not an ISO 8601 time`);
    if (ms < MIN_TIME_MS || ms > MAX_TIME_MS)
      throw new InvalidQueryError('invalid_time', `${name}: outside the years 1970–9999`);
  }
  const empty = { items: [], next_cursor: null };
  if (!isUuid(accountId)) return empty;
  if (filter.source_id !== undefined && !isUuid(filter.source_id)) return empty;
  if (filter.destination_id !== undefined && !isUuid(filter.destination_id)) return empty;

  const few = filter.customer_id !== undefined && (await fewRowsOf(pool, accountId, filter.customer_id));
  const params: unknown[] = [accountId];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = filterWhere(filter, p, few);
  if (cursor) {
    where.push(
      `(e.received_at, e.id) < ('epoch'::timestamptz + ${p(cursor.us)}::int8 * interval '1 microsecond', ${p(cursor.id)}::uuid)`,
    );
  }
  const { rows } = await pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM events e WHERE ${where.join(' AND ')}
     ORDER BY e.received_at DESC, e.id DESC LIMIT ${limit + 1}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toSummary),
    next_cursor: rows.length > limit && last ? encodeCursor(last.received_us, last.id) : null,
  };
}

const TEXT_TYPE =
  /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript|graphql|yaml|x-ndjson)\b)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text when the content type says text (or says nothing) and the bytes are valid UTF-8. */
export function bodyView(body: Buffer, contentType: string | null): { body: string } | { body_base64: string } {
  const mediaType = contentType?.split(';')[0]?.trim() ?? '';
  if (mediaType === '' || TEXT_TYPE.test(mediaType)) {
    try {
      const text = utf8.decode(body);
      if (mediaType !== '' || !text.includes('\u0000')) return { body: text };
    } catch {
      /* not UTF-8: fall through */
    }
  }
  return { body_base64: body.toString('base64') };
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** One event with headers, body, and every delivery with its attempts; null when not in this account. */
export async function getEvent(pool: Pool, accountId: string, id: string): Promise<EventDetail | null> {
  if (!isUuid(accountId) || !isUuid(id)) return null;
  const ev = await pool.query<SummaryRow & { headers: Record<string, string>; body: Buffer }>(
    `SELECT ${SUMMARY_COLUMNS}, e.headers, e.body FROM events e WHERE e.account_id = $1 AND e.id = $2`,
    [accountId, id],
  );
  const row = ev.rows[0];
  if (!row) return null;
  const dl = await pool.query<{
    id: string;
    destination_id: string;
    customer_id: string | null;
    route_id: string | null;
    replay_id: string | null;
    status: string;
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
    next_attempt_at: Date | null;
    created_at: Date;
    updated_at: Date;
  }>(
    `SELECT id, destination_id, customer_id, route_id, replay_id, status, attempts, last_status_code, last_error, next_attempt_at, created_at, updated_at
     FROM deliveries WHERE account_id = $1 AND event_id = $2 ORDER BY created_at, id`,
    [accountId, id],
  );
  const at = await pool.query<Omit<AttemptView, 'started_at'> & { delivery_id: string; started_at: Date }>(
    `SELECT delivery_id, n, started_at, duration_ms, status_code, outcome, error_class, error, response_headers, response_excerpt
     FROM attempts WHERE account_id = $1 AND delivery_id = ANY($2::uuid[]) ORDER BY delivery_id, n`,
    [accountId, dl.rows.map((d) => d.id)],
  );
  const attemptsBy = new Map<string, AttemptView[]>();
  for (const { delivery_id, started_at, ...a } of at.rows) {
    const view = { ...a, started_at: started_at.toISOString() };
    const list = attemptsBy.get(delivery_id);
    if (list) list.push(view);
    else attemptsBy.set(delivery_id, [view]);
  }
  return {
    ...toSummary(row),
    headers: row.headers,
    ...bodyView(row.body, row.content_type),
    deliveries: dl.rows.map((d) => ({
      id: d.id,
      destination_id: d.destination_id,
      customer_id: d.customer_id,
      route_id: d.route_id,
      replay_id: d.replay_id,
      status: d.status,
      attempt_count: d.attempts,
      last_status_code: d.last_status_code,
      last_error: d.last_error,
      next_attempt_at: iso(d.next_attempt_at),
      created_at: d.created_at.toISOString(),
      updated_at: d.updated_at.toISOString(),
      attempts: attemptsBy.get(d.id) ?? [],
    })),
  };
}
