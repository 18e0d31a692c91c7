// Which routes an event takes: the account's matching routes whose destination may receive it.
// Shared by the router (live events) and by replays (re-read events).
import type { EventMeta, RouteRecord } from '@hookstream/contracts';
import { customerAdmits, matchRoutes } from '@hookstream/domain';
import type { ConfigView } from './view.ts';

export function selectRoutes(view: ConfigView, event: EventMeta, body: Uint8Array): RouteRecord[] {
  const matched = matchRoutes(view.routesOf(event.account_id), {
    account_id: event.account_id,
    direction: event.direction,
    source_id: event.source_id,
    event_type: event.event_type,
    labels: event.labels,
    customer_id: event.customer_id ?? null,
    payload: () => JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown,
  });
  const only = event.direction === 'outbound' && event.destination_ids ? new Set(event.destination_ids) : null;
  return matched.filter((r) => {
    if (only && !only.has(r.destination_id)) return false;
    const d = view.destinations.get(r.destination_id);
    // A route may outlive its destination, and a destination of another account (or of another
    // customer) is never a target, whatever a route says. An inactive one takes no new deliveries.
    return d !== undefined && d.active && d.account_id === event.account_id && customerAdmits(d.customer_id, event);
  });
}

export interface Target {
  destination_id: string;
  /** null for a test event (sent to a destination by name, not by a route). */
  route_id: string | null;
  /** The destination's customer now: its deliveries are that customer's (null: none). */
  customer_id: string | null;
}

/**
 * Where an event goes: its test destination alone when it is a test event (if that destination is
 * still the account's and active), else its matching routes' destinations.
 */
export function selectTargets(view: ConfigView, event: EventMeta, body: Uint8Array): Target[] {
  if (event.test_destination_id !== undefined) {
    const d = view.destinations.get(event.test_destination_id);
    return d && d.active && d.account_id === event.account_id && event.direction === 'outbound'
      ? [{ destination_id: d.id, route_id: null, customer_id: d.customer_id ?? null }]
      : [];
  }
  return selectRoutes(view, event, body).map((r) => ({
    destination_id: r.destination_id,
    route_id: r.id,
    customer_id: view.destinations.get(r.destination_id)?.customer_id ?? null,
  }));
}
