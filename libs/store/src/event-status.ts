// An event's status and delivery count, recomputed under the batch's locks from what is stored of
// its deliveries and routing, by the domain's rule (eventStatus in libs/domain).
import { type EventStatus, type StoredDelivery, eventStatus } from '@hookstream/domain';
import { pgArray } from './arrays.ts';
import type { PoolClient } from './pool.ts';

export interface EventState {
  status: EventStatus;
  n: number;
}

/** Status and delivery count of events from what is stored of their deliveries and routing. */
export async function currentStatuses(c: PoolClient, ids: readonly string[]): Promise<Map<string, EventState>> {
  // One row per (event, delivery), one with no delivery for an event without: one round trip.
  const { rows } = await c.query<DeliveryOfEvent & { routed: boolean }>(
    `SELECT i.event_id, (r.event_id IS NOT NULL) AS routed, d.id, d.destination_id, d.status, d.created_at
     FROM unnest($1::uuid[]) AS i(event_id)
     LEFT JOIN event_routings r ON r.event_id = i.event_id
     LEFT JOIN deliveries d ON d.event_id = i.event_id`,
    [pgArray(ids)],
  );
  const byEvent = groupDeliveries(rows);
  const routed = new Set(rows.filter((r) => r.routed).map((r) => r.event_id));
  const out = new Map<string, EventState>();
  for (const id of ids) {
    const list = byEvent.get(id) ?? [];
    out.set(id, { status: eventStatus(list, routed.has(id)), n: list.length });
  }
  return out;
}

/** A delivery of an event, or only the event (every delivery column null) when it has none. */
type DeliveryOfEvent = { event_id: string } & { [K in keyof StoredDelivery]: StoredDelivery[K] | null };

function groupDeliveries(rows: readonly DeliveryOfEvent[]): Map<string, StoredDelivery[]> {
  const byEvent = new Map<string, StoredDelivery[]>();
  for (const r of rows) {
    if (r.id === null) continue;
    const d = {
      id: r.id,
      destination_id: r.destination_id,
      status: r.status,
      created_at: r.created_at,
    } as StoredDelivery;
    const list = byEvent.get(r.event_id);
    if (list) list.push(d);
    else byEvent.set(r.event_id, [d]);
  }
  return byEvent;
}

/** Recomputes status and delivery_count of the touched events that exist; returns how many changed. */
export async function refreshEventStatus(c: PoolClient, ids: readonly string[]): Promise<number> {
  // One row per (event, delivery), as in currentStatuses; events not stored yet give none.
  const { rows } = await c.query<DeliveryOfEvent & { event_status: string; delivery_count: number; routed: boolean }>(
    `SELECT e.id AS event_id, e.status AS event_status, e.delivery_count, (r.event_id IS NOT NULL) AS routed,
            d.id, d.destination_id, d.status, d.created_at
     FROM events e
     LEFT JOIN event_routings r ON r.event_id = e.id
     LEFT JOIN deliveries d ON d.event_id = e.id
     WHERE e.id = ANY($1::uuid[])`,
    [pgArray(ids)],
  );
  if (rows.length === 0) return 0;
  const byEvent = groupDeliveries(rows);
  const changed: { id: string; status: string; n: number }[] = [];
  const seen = new Set<string>();
  for (const e of rows) {
    if (seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    const list = byEvent.get(e.event_id) ?? [];
    const status = eventStatus(list, e.routed);
    if (status !== e.event_status || list.length !== e.delivery_count)
      changed.push({ id: e.event_id, status, n: list.length });
  }
  if (changed.length === 0) return 0;
  await c.query(
    `UPDATE events e SET status = u.status, delivery_count = u.n, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::int4[]) AS u(id, status, n) WHERE e.id = u.id`,
    [pgArray(changed.map((x) => x.id)), pgArray(changed.map((x) => x.status)), pgArray(changed.map((x) => x.n))],
  );
  return changed.length;
}
