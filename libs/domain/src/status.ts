/**
 * Status transitions for the read models. Facts can arrive twice or out of order (redelivery,
 * several projector copies, a rebuild), so every merge is monotonic: applying the same facts in
 * any order gives the same status.
 */

export const DELIVERY_STATUSES = ['queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const EVENT_STATUSES = ['received', 'queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter', 'unrouted'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

// Within one attempt a delivery moves queued → delivering → retry_scheduled.
const RANK: Record<string, number> = { queued: 0, delivering: 1, retry_scheduled: 2 };

export function isDeliveryStatus(s: unknown): s is DeliveryStatus {
  return typeof s === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(s);
}

export function isTerminalDeliveryStatus(s: string): s is 'delivered' | 'dead_letter' {
  return s === 'delivered' || s === 'dead_letter';
}

/** What a delivery projection shows: its status and the attempt that status belongs to. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempt: number;
}

/**
 * The status a delivery's projection keeps when a fact with `incoming` arrives while it shows
 * `current` (null: no row yet). Terminal wins over non-terminal; between two terminals the current
 * one stays (the first fact recorded wins; a replay is a new delivery with its own id). Among
 * non-terminal statuses the higher attempt wins, and within one attempt the later stage
 * (queued < delivering < retry_scheduled); a tie keeps current.
 */
export function mergeDeliveryStatus(
  current: DeliveryStatus | null,
  incoming: DeliveryStatus,
  currentAttempt: number,
  incomingAttempt: number,
): DeliveryStatus {
  if (current === null) return incoming;
  return incomingWins(current, incoming, currentAttempt, incomingAttempt) ? incoming : current;
}

/**
 * The same rule over (status, attempt) pairs: returns whichever of the two wins, so a projection
 * that stores both columns keeps them consistent (the attempt is that of the winning fact).
 */
export function mergeDeliveryState(current: DeliveryState | null, incoming: DeliveryState): DeliveryState {
  if (current === null) return incoming;
  return incomingWins(current.status, incoming.status, current.attempt, incoming.attempt) ? incoming : current;
}

function incomingWins(current: DeliveryStatus, incoming: DeliveryStatus, currentAttempt: number, incomingAttempt: number): boolean {
  if (isTerminalDeliveryStatus(current)) return false;
  if (isTerminalDeliveryStatus(incoming)) return true;
  if (incomingAttempt !== currentAttempt) return incomingAttempt > currentAttempt;
  return (RANK[incoming] ?? 0) > (RANK[current] ?? 0);
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
