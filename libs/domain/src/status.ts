/**
 * Status rules for the read models: the one place they are decided. Facts can arrive twice or out
 * of order (redelivery, several projector copies, a rebuild), so a delivery's status is a maximum
 * over a total order (`deliveryRank`): applying the same facts in any order gives the same status,
 * and a rebuild from the streams gives the rows the live projection wrote. The projection's SQL
 * compares the ranks this module computes (libs/store), and a test runs every pair of statuses
 * through that SQL against this rule.
 */

export const DELIVERY_STATUSES = ['queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const EVENT_STATUSES = [
  'received',
  'queued',
  'delivering',
  'retry_scheduled',
  'delivered',
  'dead_letter',
  'unrouted',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Event statuses that may still change by a delivery: retention never deletes such an event. */
export const IN_FLIGHT_EVENT_STATUSES = [
  'received',
  'queued',
  'delivering',
  'retry_scheduled',
] as const satisfies readonly EventStatus[];

// Within one attempt a delivery moves queued → delivering → retry_scheduled.
const STAGE: Record<string, number> = { queued: 0, delivering: 1, retry_scheduled: 2 };

/** Ranks at or above this are terminal; every non-terminal rank is below it. */
export const TERMINAL_RANK = 1_000_000_000;
// Attempts beyond this share a rank (max_attempts is at most 50); it keeps ranks inside an int4.
const MAX_RANKED_ATTEMPT = 100_000_000;

export function isDeliveryStatus(s: unknown): s is DeliveryStatus {
  return typeof s === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(s);
}

export function isTerminalDeliveryStatus(s: string): s is 'delivered' | 'dead_letter' {
  return s === 'delivered' || s === 'dead_letter';
}

/**
 * The merge rule as a total order on (status, attempt): a delivery shows the fact of the highest
 * rank. Terminal beats non-terminal whatever the attempts; among non-terminal statuses the higher
 * attempt wins, then the later stage (queued < delivering < retry_scheduled). Between the two
 * terminal statuses 'delivered' wins: the receiver did get it (a dead-letter watch may record the
 * crash of an attempt whose 2xx arrived), and a fixed winner keeps the result independent of the
 * order in which the two facts arrive.
 */
export function deliveryRank(status: DeliveryStatus, attempt: number): number {
  if (status === 'delivered') return TERMINAL_RANK + 1;
  if (status === 'dead_letter') return TERMINAL_RANK;
  return Math.min(Math.max(attempt, 0), MAX_RANKED_ATTEMPT) * 4 + (STAGE[status] ?? 0);
}

/** What a delivery projection shows: its status and the attempt that status belongs to. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempt: number;
}

/**
 * The status a delivery's projection keeps when a fact with `incoming` arrives while it shows
 * `current` (null: no row yet): the higher `deliveryRank`; a tie keeps current.
 */
export function mergeDeliveryStatus(
  current: DeliveryStatus | null,
  incoming: DeliveryStatus,
  currentAttempt: number,
  incomingAttempt: number,
): DeliveryStatus {
  if (current === null) return incoming;
  return deliveryRank(incoming, incomingAttempt) > deliveryRank(current, currentAttempt) ? incoming : current;
}

/**
 * The same rule over (status, attempt) pairs: returns whichever of the two wins, so a projection
 * that stores both columns keeps them consistent (the attempt is that of the winning fact).
 */
export function mergeDeliveryState(current: DeliveryState | null, incoming: DeliveryState): DeliveryState {
  if (current === null) return incoming;
  return deliveryRank(incoming.status, incoming.attempt) > deliveryRank(current.status, current.attempt)
    ? incoming
    : current;
}

/**
 * An event's status from its deliveries' statuses:
 * - no deliveries → 'unrouted' (it matched no route; it is shown, never dropped);
 * - any delivery not terminal → the most advanced non-terminal one:
 *   'retry_scheduled' if any, else 'delivering' if any, else 'queued';
 * - all terminal → 'delivered' when every one was delivered, else 'dead_letter'.
 * An unknown status counts as 'queued', so it never makes an event look finished.
 */
export function aggregateEventStatus(deliveryStatuses: readonly string[]): EventStatus {
  if (deliveryStatuses.length === 0) return 'unrouted';
  let retry = false;
  let delivering = false;
  let pending = false;
  let dead = false;
  for (const s of deliveryStatuses) {
    if (s === 'retry_scheduled') retry = true;
    else if (s === 'delivering') delivering = true;
    else if (s === 'dead_letter') dead = true;
    else if (s !== 'delivered') pending = true;
  }
  if (retry) return 'retry_scheduled';
  if (delivering) return 'delivering';
  if (pending) return 'queued';
  return dead ? 'dead_letter' : 'delivered';
}

/** A delivery of an event as the read models store it. */
export interface StoredDelivery {
  id: string;
  destination_id: string;
  status: string;
  created_at: Date;
}

/**
 * An event's status as the read models show it. Before its routing it is 'received'; with no
 * deliveries after it, 'unrouted'. Otherwise the aggregate over what is current per destination:
 * every delivery still in flight, plus the newest one per destination — so a successful replay of
 * a dead-lettered event shows 'delivered', while an older delivery still retrying keeps the event
 * in flight.
 */
export function eventStatus(deliveries: readonly StoredDelivery[], routed: boolean): EventStatus {
  if (deliveries.length === 0) return routed ? 'unrouted' : 'received';
  const newest = new Map<string, StoredDelivery>();
  const counted: string[] = [];
  for (const d of deliveries) {
    if (!isTerminalDeliveryStatus(d.status)) counted.push(d.status);
    const cur = newest.get(d.destination_id);
    const t = d.created_at.getTime();
    if (!cur || t > cur.created_at.getTime() || (t === cur.created_at.getTime() && d.id > cur.id))
      newest.set(d.destination_id, d);
  }
  for (const d of newest.values()) if (isTerminalDeliveryStatus(d.status)) counted.push(d.status);
  return aggregateEventStatus(counted);
}
