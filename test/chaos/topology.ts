// What the chaos run sets up: destinations with distinct behaviours, the routes that fan events
// out to them, and — written out by hand, independently of the router's matcher — which
// destinations each event type must reach.

/** How a destination's receiver answers when no fault mode is on. */
export type Profile = 'healthy' | 'flaky' | 'slow' | 'limited' | 'picky';
export const PROFILES: readonly Profile[] = ['healthy', 'flaky', 'slow', 'limited', 'picky'];

/** Fault modes the injector can switch a destination into for a while. */
export type Mode = 'fail' | 'hang' | 'r429';

export interface DestinationSpec {
  profile: Profile;
  pattern: string | null;
  timeoutMs: number;
  what: string;
}

export const DESTINATIONS: readonly DestinationSpec[] = [
  { profile: 'healthy', pattern: null, timeoutMs: 2_000, what: '200 at once; takes every event' },
  { profile: 'flaky', pattern: 'order.**', timeoutMs: 2_000, what: '500 on 30% of requests' },
  { profile: 'slow', pattern: '*.created', timeoutMs: 3_000, what: '200 after 100–1000 ms' },
  { profile: 'limited', pattern: 'user.*', timeoutMs: 2_000, what: '429 Retry-After: 1 on 20% of requests' },
  { profile: 'picky', pattern: 'order.paid', timeoutMs: 2_000, what: '400 (dead letter at once) for 1 event in 10' },
];

/** Every attempt counts; short delays keep a run short, eight attempts outlast most fault windows. */
export const RETRY_POLICY = { max_attempts: 8, delays_ms: [200, 500, 1_000, 2_000, 3_000] };
export const MAX_IN_FLIGHT = 16;

/** Event types the driver sends (null: no X-Event-Type) and the destinations each must reach. */
export const EVENT_TYPES: ReadonlyArray<{ type: string | null; weight: number; reaches: readonly Profile[] }> = [
  { type: 'order.created', weight: 3, reaches: ['healthy', 'flaky', 'slow'] },
  { type: 'order.paid', weight: 3, reaches: ['healthy', 'flaky', 'picky'] },
  { type: 'user.created', weight: 2, reaches: ['healthy', 'slow', 'limited'] },
  { type: 'user.deleted', weight: 1, reaches: ['healthy', 'limited'] },
  { type: 'ping', weight: 1, reaches: ['healthy'] },
  { type: null, weight: 1, reaches: ['healthy'] },
];

export function expectedProfiles(type: string | null): readonly Profile[] {
  const found = EVENT_TYPES.find((e) => e.type === type);
  if (!found) throw new Error(`the driver never sends event type ${String(type)}`);
  return found.reaches;
}

/** FNV-1a of a string, for the receiver's deterministic choices (picky's 1 in 10). */
export function fnv(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Picky refuses these events for good: they must end dead-lettered there, never delivered. */
export function pickyRefuses(eventId: string): boolean {
  return fnv(eventId) % 10 === 0;
}
