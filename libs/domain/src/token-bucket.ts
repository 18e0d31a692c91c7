/**
 * A token bucket for per-destination rate limits, with the clock passed in. `take` either spends
 * a token (returns 0) or says how long to wait for one, spending nothing: a caller that is told to
 * wait has not used an attempt.
 */

export interface TokenBucket {
  /** 0 when a request may go now (one token spent), else the milliseconds until a token is due. */
  take(nowMs: number): number;
  readonly ratePerSec: number;
  readonly burst: number;
}

/** `burst` (default: one second's worth, at least 1) is both the capacity and the starting fill. */
export function createTokenBucket(ratePerSec: number, burst?: number): TokenBucket {
  if (!(Number.isFinite(ratePerSec) && ratePerSec > 0)) throw new RangeError('ratePerSec must be a positive number');
  const capacity = burst ?? Math.max(1, ratePerSec);
  if (!(Number.isFinite(capacity) && capacity >= 1)) throw new RangeError('burst must be a number >= 1');

  let tokens = capacity;
  let lastMs: number | null = null;

  return {
    ratePerSec,
    burst: capacity,
    take(nowMs: number): number {
      // A clock that steps back refills nothing rather than going negative.
      if (lastMs !== null && nowMs > lastMs)
        tokens = Math.min(capacity, tokens + ((nowMs - lastMs) * ratePerSec) / 1000);
      if (lastMs === null || nowMs > lastMs) lastMs = nowMs;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil(((1 - tokens) * 1000) / ratePerSec));
    },
  };
}
