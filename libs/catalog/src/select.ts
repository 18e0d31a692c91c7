// Which routes an event takes: the account's matching routes whose destination may receive it.
// Shared by the router (live events) and by replays (re-read events).
import type { EventMeta, RouteRecord } from '@hookstream/contracts';
import { matchRoutes } from '@hookstream/domain';
import type { ConfigView } from './view.ts';

export function selectRoutes(view: ConfigView, event: EventMeta, body: Uint8Array): RouteRecord[] {
  const matched = matchRoutes(view.routesOf(event.account_id), {
    account_id: event.account_id,
    direction: event.direction,
    source_id: event.source_id,
    event_type: event.event_type,
    labels: event.labels,
    payload: () => JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown,
  });
  const only = event.direction === 'outbound' && event.destination_ids ? new Set(event.destination_ids) : null;
  return matched.filter((r) => {
    if (only && !only.has(r.destination_id)) return false;
    const d = view.destinations.get(r.destination_id);
    // A route may outlive its destination, and a destination of another account is never a target,
    // whatever a route says. An inactive destination takes no new deliveries.
    return d !== undefined && d.active && d.account_id === event.account_id;
  });
}
