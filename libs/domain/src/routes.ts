import { matchEventType } from './event-type.ts';
import { matchPayloadFilter } from './payload-filter.ts';
import { routeAdmitsCustomer } from './customers.ts';

/** The fields of a route that matching needs (structurally compatible with the stored record). */
export interface RouteLike {
  id: string;
  account_id: string;
  source_id: string | null;
  destination_id: string;
  event_type_pattern: string | null;
  labels?: Record<string, string> | null;
  payload_filter?: Record<string, unknown> | null;
  active: boolean;
  customer_id?: string | null;
}

export interface EventLike {
  account_id: string;
  direction: 'inbound' | 'outbound';
  source_id: string | null;
  event_type: string | null;
  labels?: Record<string, string> | null;
  /** Outbound only: the customer the event is for (its destinations are checked by customerAdmits). */
  customer_id?: string | null;
  /** Parsed lazily, at most once, only when a candidate route has a payload_filter; undefined if not JSON. */
  payload?: () => unknown;
}

function labelsMatch(
  required: Record<string, string> | null | undefined,
  have: Record<string, string> | null | undefined,
): boolean {
  if (!required) return true;
  for (const key of Object.keys(required)) {
    if (!have || !Object.hasOwn(have, key) || have[key] !== required[key]) return false;
  }
  return true;
}

function sourceMatches(route: RouteLike, event: EventLike): boolean {
  // null = catch-all: every inbound source and every outbound event.
  if (route.source_id === null) return true;
  return event.direction === 'inbound' && event.source_id === route.source_id;
}

function byId(a: RouteLike, b: RouteLike): number {
  // Code-unit order, not locale order: the same on every machine.
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The routes an event goes to: active, same account, matching source, customer, event type, labels
 * and payload filter; at most one per destination (the route with the smallest id wins), sorted by
 * route id so that every router computes the same fan-out for the same event.
 */
export function matchRoutes<R extends RouteLike>(routes: readonly R[], event: EventLike): R[] {
  let payloadRead = false;
  let payload: unknown;
  const readPayload = (): unknown => {
    if (!payloadRead) {
      payloadRead = true;
      try {
        payload = event.payload?.();
      } catch {
        payload = undefined; // a body that does not parse is "not JSON", not a router failure
      }
    }
    return payload;
  };

  const matched: R[] = [];
  for (const route of routes) {
    if (!route.active || route.account_id !== event.account_id) continue;
    if (!sourceMatches(route, event)) continue;
    if (!routeAdmitsCustomer(route.customer_id, event)) continue;
    if (!matchEventType(route.event_type_pattern, event.event_type)) continue;
    if (!labelsMatch(route.labels, event.labels)) continue;
    if (route.payload_filter && !matchPayloadFilter(route.payload_filter, readPayload())) continue;
    matched.push(route);
  }
  matched.sort(byId);
  const seen = new Set<string>();
  return matched.filter((r) => {
    if (seen.has(r.destination_id)) return false;
    seen.add(r.destination_id);
    return true;
  });
}
