// Pure merge rules of the projection. Facts arrive twice, out of order, and from three streams at
// once, so every column is merged by a commutative, idempotent rule (a max or a min over a total
// order; a delivery's status by the domain's deliveryRank). The SQL of the table writers applies
// the same rules against the stored row; the functions here fold the facts of one batch first,
// because one INSERT … ON CONFLICT may touch a row once.
import type { AttemptFact, DeadLetter, EventMeta, RoutedFact } from '@hookstream/contracts';
import { type DeliveryStatus, TERMINAL_RANK, deliveryRank } from '@hookstream/domain';

/** Postgres text and jsonb reject NUL; a webhook body excerpt or header may contain one. */
export function pgText(s: string): string;
export function pgText(s: string | null): string | null;
export function pgText(s: string | null): string | null {
  return s === null || !s.includes('\u0000') ? s : s.replaceAll('\u0000', '\uFFFD');
}

/** JSON text safe for jsonb: NUL removed from every key and string value. */
export function pgJson(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // JSON.stringify writes a NUL as the escape \u0000: without that text there is none to remove,
  // and the value need not be copied.
  const text = JSON.stringify(value);
  if (!text.includes('\\u0000')) return text;
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return pgText(v);
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [pgText(k), clean(x)]));
    return v;
  };
  return JSON.stringify(clean(value));
}

const ms = (iso: string) => Date.parse(iso);

export interface EventInput {
  meta: EventMeta;
  body: Uint8Array;
  seq: number;
}

/** One row per event id: the lowest sequence wins (a re-published duplicate changes nothing). */
export function foldEvents(events: readonly EventInput[]): EventInput[] {
  const by = new Map<string, EventInput>();
  for (const e of events) {
    const cur = by.get(e.meta.event_id);
    if (!cur || e.seq < cur.seq) by.set(e.meta.event_id, e);
  }
  return [...by.values()];
}

export interface RoutedDelivery {
  id: string;
  event_id: string;
  account_id: string;
  destination_id: string;
  route_id: string | null;
  replay_id: string | null;
  /** The destination's customer when routed; final with route_id (the earliest routing wins). */
  customer_id: string | null;
  created_at: string;
}

export interface Routing {
  event_id: string;
  account_id: string;
  routed_at: string;
}

export function foldRouted(facts: readonly RoutedFact[]): { deliveries: RoutedDelivery[]; routings: Routing[] } {
  const deliveries = new Map<string, RoutedDelivery>();
  const routings = new Map<string, Routing>();
  for (const f of facts) {
    const r = routings.get(f.event_id);
    if (!r || ms(f.at) < ms(r.routed_at))
      routings.set(f.event_id, { event_id: f.event_id, account_id: f.account_id, routed_at: f.at });
    for (const d of f.deliveries) {
      const cur = deliveries.get(d.delivery_id);
      if (cur && ms(cur.created_at) <= ms(f.at)) continue;
      deliveries.set(d.delivery_id, {
        id: d.delivery_id,
        event_id: f.event_id,
        account_id: f.account_id,
        destination_id: d.destination_id,
        route_id: d.route_id,
        replay_id: f.replay_id,
        customer_id: d.customer_id ?? null,
        created_at: f.at,
      });
    }
  }
  return { deliveries: [...deliveries.values()], routings: [...routings.values()] };
}

/** The columns of a delivery row that its attempt facts and dead letters decide. */
export interface DeliveryColumns {
  status: DeliveryStatus;
  status_rank: number;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
}

/** What the facts of one batch say about one delivery. */
export interface DeliveryPatch extends DeliveryColumns {
  id: string;
  event_id: string;
  account_id: string;
  destination_id: string;
  /** Earliest time seen: stands in for created_at until the RoutedFact arrives. */
  created_at: string;
}

export function foldAttempts(facts: readonly AttemptFact[]): DeliveryPatch[] {
  const by = new Map<string, DeliveryPatch>();
  for (const f of facts) {
    const status: DeliveryStatus = f.outcome;
    const rank = deliveryRank(status, f.attempt);
    const cur = by.get(f.delivery_id);
    if (!cur) {
      by.set(f.delivery_id, {
        id: f.delivery_id,
        event_id: f.event_id,
        account_id: f.account_id,
        destination_id: f.destination_id,
        status,
        status_rank: rank,
        attempts: f.attempt,
        last_status_code: f.status_code,
        last_error: f.error,
        next_attempt_at: f.next_attempt_at,
        created_at: f.started_at,
      });
      continue;
    }
    if (rank > cur.status_rank) {
      cur.status = status;
      cur.status_rank = rank;
    }
    if (f.attempt >= cur.attempts) {
      cur.attempts = f.attempt;
      cur.last_status_code = f.status_code;
      cur.last_error = f.error;
      cur.next_attempt_at = f.next_attempt_at;
    }
    if (ms(f.started_at) < ms(cur.created_at)) cur.created_at = f.started_at;
  }
  return [...by.values()];
}

/** A delivery row with every column the projection writes. */
export interface DeliveryRow extends RoutedDelivery, DeliveryColumns {}

/**
 * The row a routed delivery becomes once its attempt facts are merged into it: what inserting the
 * routed delivery ('queued', no attempts) and then upserting the patch gives (deliveries.ts), in
 * one row version. Only for a delivery not stored yet, and of the same account.
 */
export function routedWithAttempts(d: RoutedDelivery, p: DeliveryPatch): DeliveryRow {
  const take = p.attempts >= 0;
  const rank = Math.max(0, p.status_rank);
  return {
    ...d,
    status: p.status_rank > 0 ? p.status : 'queued',
    status_rank: rank,
    attempts: Math.max(0, p.attempts),
    last_status_code: take ? p.last_status_code : null,
    last_error: take ? p.last_error : null,
    next_attempt_at: rank >= TERMINAL_RANK || !take ? null : p.next_attempt_at,
  };
}

export function foldDeadLetters(letters: readonly DeadLetter[]): DeliveryPatch[] {
  const by = new Map<string, DeliveryPatch>();
  for (const d of letters) {
    const cur = by.get(d.delivery_id);
    const hasLast = d.last_status_code !== null || d.last_error !== null;
    if (cur) {
      if (
        d.attempts > cur.attempts ||
        (d.attempts === cur.attempts && cur.last_status_code === null && cur.last_error === null && hasLast)
      ) {
        cur.attempts = d.attempts;
        cur.last_status_code = d.last_status_code;
        cur.last_error = d.last_error;
      }
      if (ms(d.dead_at) < ms(cur.created_at)) cur.created_at = d.dead_at;
      continue;
    }
    by.set(d.delivery_id, {
      id: d.delivery_id,
      event_id: d.event_id,
      account_id: d.account_id,
      destination_id: d.destination_id,
      status: 'dead_letter',
      status_rank: deliveryRank('dead_letter', d.attempts),
      attempts: d.attempts,
      last_status_code: d.last_status_code,
      last_error: d.last_error,
      next_attempt_at: null,
      created_at: d.dead_at,
    });
  }
  return [...by.values()];
}

/** One attempt row per (delivery, n): attempts are immutable facts. */
export function foldAttemptRows(facts: readonly AttemptFact[]): AttemptFact[] {
  const by = new Map<string, AttemptFact>();
  for (const f of facts) {
    const k = `${f.delivery_id}:${f.attempt}`;
    if (!by.has(k)) by.set(k, f);
  }
  return [...by.values()];
}
