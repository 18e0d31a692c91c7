// Replay: re-read an event from the events stream and deliver it again as new deliveries with
// their own ids (same event id). Used by the single-event replay endpoint and by bulk replays.
import type { Publisher, StreamReader } from '@hookstream/broker';
import { type Catalog, selectTargets } from '@hookstream/catalog';
import { type DeliveryMeta, type EventMeta, STREAMS, decodeEventMeta } from '@hookstream/contracts';
import { customerAdmits, deliveryIdFor } from '@hookstream/domain';

export interface StoredEvent {
  seq: number;
  meta: EventMeta;
  body: Uint8Array;
}

/** The event at a sequence of the events stream, or null when it is gone (retention) or unreadable. */
export async function readEvent(streams: Pick<StreamReader, 'get'>, seq: number): Promise<StoredEvent | null> {
  const m = await streams.get(STREAMS.events, seq);
  if (!m) return null;
  try {
    return { seq, meta: decodeEventMeta(m.headers), body: m.data };
  } catch {
    return null;
  }
}

export interface ReplayTarget {
  destination_id: string;
  route_id: string | null;
  /** The destination's customer (null: none). */
  customer_id?: string | null;
}

/**
 * Its currently matching routes, or the one named destination (which must be the event's account's,
 * and may not be another customer's than the event's).
 */
export function replayTargets(catalog: Catalog, ev: StoredEvent, destinationId?: string): ReplayTarget[] | null {
  if (destinationId) {
    const d = catalog.view.destinations.get(destinationId);
    if (!d || d.account_id !== ev.meta.account_id || !customerAdmits(d.customer_id, ev.meta)) return null;
    return [{ destination_id: d.id, route_id: null, customer_id: d.customer_id ?? null }];
  }
  return selectTargets(catalog.view, ev.meta, ev.body);
}

export interface ReplayResult {
  replay_id: string;
  deliveries: Array<{ id: string; destination_id: string }>;
}

export async function publishReplay(
  publisher: Publisher,
  ev: StoredEvent,
  targets: ReplayTarget[],
  replayId: string,
  now: number,
): Promise<ReplayResult> {
  const at = new Date(now).toISOString();
  const deliveries: DeliveryMeta[] = targets.map((t) => ({
    v: 1,
    delivery_id: deliveryIdFor(ev.meta.event_id, t.route_id ?? t.destination_id, replayId),
    destination_id: t.destination_id,
    route_id: t.route_id,
    event_seq: ev.seq,
    replay_id: replayId,
    created_at: at,
  }));
  await publisher.publishRouted({
    v: 1,
    kind: 'routed',
    account_id: ev.meta.account_id,
    event_id: ev.meta.event_id,
    event_seq: ev.seq,
    replay_id: replayId,
    deliveries: deliveries.map((d, i) => {
      const customer = targets[i]?.customer_id ?? null;
      return {
        delivery_id: d.delivery_id,
        destination_id: d.destination_id,
        route_id: d.route_id,
        ...(customer !== null ? { customer_id: customer } : {}),
      };
    }),
    at,
  });
  await Promise.all(deliveries.map((d) => publisher.publishDelivery(ev.meta, d, ev.body)));
  return {
    replay_id: replayId,
    deliveries: deliveries.map((d) => ({ id: d.delivery_id, destination_id: d.destination_id })),
  };
}
