import type { RetryPolicy } from '@hookstream/contracts';

export type { RetryPolicy };

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const MAX_DELAY_MS = 7 * 24 * HOUR;
export const DEFAULT_JITTER = 0.2;

/** Exponential preset: 10 s × 4^(n-1) after attempt n, capped so that large max_attempts stay sane. */
export const EXPONENTIAL_BASE_MS = 10 * SECOND;
export const EXPONENTIAL_FACTOR = 4;
export const EXPONENTIAL_CAP_MS = 24 * HOUR;

/** GetHook-like default: 5 attempts, retries after 10 s, 40 s, 160 s, 640 s, ±20% jitter. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  max_attempts: 5,
  backoff: 'exponential',
  jitter: DEFAULT_JITTER,
});

/** Two-phase preset (Hook0-like): fast retries for minutes, then slow ones for hours. */
export const TWO_PHASE_FAST_DELAYS_MS: readonly number[] = Object.freeze([
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
]);
export const TWO_PHASE_SLOW_DELAYS_MS: readonly number[] = Object.freeze([
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
]);
export const TWO_PHASE_DELAYS_MS: readonly number[] = Object.freeze([
  ...TWO_PHASE_FAST_DELAYS_MS,
  ...TWO_PHASE_SLOW_DELAYS_MS,
]);

/** The two-phase policy: one first attempt plus one retry per delay → 12 attempts (~16 h). */
export const TWO_PHASE: Readonly<RetryPolicy> = Object.freeze({
  max_attempts: TWO_PHASE_DELAYS_MS.length + 1,
  backoff: 'two_phase',
  jitter: DEFAULT_JITTER,
});

const POLICY_KEYS = new Set(['max_attempts', 'delays_ms', 'backoff', 'retry_on_4xx', 'jitter']);

/** Returns an error message, or null when `p` is a valid retry policy. */
export function validateRetryPolicy(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'retry_policy must be an object';
  const policy = p as Record<string, unknown>;
  for (const key of Object.keys(policy)) {
    if (!POLICY_KEYS.has(key)) return `retry_policy has an unknown field "${key}"`;
  }
  const max = policy.max_attempts;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 50) {
    return 'retry_policy.max_attempts must be an integer from 1 to 50';
  }
  if (policy.delays_ms !== undefined) {
    const delays = policy.delays_ms;
    if (!Array.isArray(delays) || delays.length < 1 || delays.length > 50) {
      return 'retry_policy.delays_ms must be an array of 1 to 50 delays';
    }
    for (const d of delays) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DELAY_MS) {
        return `retry_policy.delays_ms entries must be integers from 0 to ${MAX_DELAY_MS} (7 days)`;
      }
    }
  }
  if (policy.backoff !== undefined && policy.backoff !== 'exponential' && policy.backoff !== 'two_phase') {
    return 'retry_policy.backoff must be "exponential" or "two_phase"';
  }
  if (policy.retry_on_4xx !== undefined && typeof policy.retry_on_4xx !== 'boolean') {
    return 'retry_policy.retry_on_4xx must be a boolean';
  }
  const jitter = policy.jitter;
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))) {
    return 'retry_policy.jitter must be a number from 0 to 1';
  }
  return null;
}

/** The delay before the next attempt, before jitter. `attemptJustFailed` is 1-based. */
export function baseDelayMs(policy: RetryPolicy, attemptJustFailed: number): number {
  const n = Number.isFinite(attemptJustFailed) ? Math.max(1, Math.floor(attemptJustFailed)) : 1;
  const delays = policy.delays_ms;
  if (delays && delays.length > 0) {
    // Stored policies are validated; still, a bad entry must not become a NaN or negative delay.
    const d = delays[Math.min(n, delays.length) - 1];
    return typeof d === 'number' && Number.isFinite(d) ? Math.min(MAX_DELAY_MS, Math.max(0, d)) : EXPONENTIAL_BASE_MS;
  }
  if (policy.backoff === 'two_phase') {
    return TWO_PHASE_DELAYS_MS[Math.min(n, TWO_PHASE_DELAYS_MS.length) - 1] as number;
  }
  // 4^(n-1) overflows to Infinity for large n; the cap absorbs it.
  return Math.min(EXPONENTIAL_CAP_MS, EXPONENTIAL_BASE_MS * EXPONENTIAL_FACTOR ** (n - 1));
}

/**
 * Milliseconds to wait after attempt `attemptJustFailed` (1-based) before the next one:
 * delays_ms[n-1] (the last repeats) when given, else the backoff preset (exponential by default),
 * scaled by a symmetric jitter of ±policy.jitter (default ±20%). `random` returns [0, 1).
 * Never negative, always an integer.
 */
export function retryDelayMs(policy: RetryPolicy, attemptJustFailed: number, random: () => number): number {
  const base = baseDelayMs(policy, attemptJustFailed);
  const jitter = typeof policy.jitter === 'number' && policy.jitter >= 0 ? Math.min(policy.jitter, 1) : DEFAULT_JITTER;
  if (jitter === 0 || base === 0) return Math.max(0, Math.round(base));
  const r = random();
  const u = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0.5;
  const delay = base * (1 + jitter * (2 * u - 1));
  return Math.max(0, Math.round(delay));
}
