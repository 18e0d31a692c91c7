/**
 * The one place that turns an attempt's outcome into ack / retry / dead. A receiver's 500 or a
 * timeout is an expected outcome: it arrives here as data and leaves as a Decision.
 */
import { retryDelayMs } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  /** Transport failure class from the HTTP client (timeout, connect, dns, tls, protocol, blocked_address…). */
  errorClass: string | null;
  /** The raw Retry-After response header, if any. */
  retryAfter: string | null;
}

export type DeadCode = 'exhausted' | 'not_retryable';

export type Decision =
  | { action: 'delivered' }
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'dead'; reason: string; code: DeadCode };

export interface RetryAfterBounds {
  minRetryAfterMs?: number;
  maxRetryAfterMs?: number;
}

export const DEFAULT_MIN_RETRY_AFTER_MS = 1_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/** Transport failures that a later attempt may not hit. */
export const RETRYABLE_ERROR_CLASSES: ReadonlySet<string> = new Set(['timeout', 'connect', 'dns', 'tls', 'protocol']);
/** Failures that no retry can fix: the address guard refused the destination. */
export const FATAL_ERROR_CLASSES: ReadonlySet<string> = new Set(['blocked_address']);

export interface Classification {
  outcome: 'success' | 'retryable' | 'fatal';
  reason: string;
}

/**
 * Success, retryable or fatal, before counting attempts. 2xx is success; 5xx, 408, 429 and the
 * retryable transport classes retry; blocked_address is fatal; 3xx is fatal (redirects are not
 * followed, so the next attempt would get the same answer); other 4xx are fatal unless
 * policy.retry_on_4xx. An unknown error class retries: a wasted attempt is cheaper than a lost
 * delivery.
 */
export function classifyAttempt(result: AttemptResult, policy: Pick<RetryPolicy, 'retry_on_4xx'>): Classification {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status <= 299) return { outcome: 'success', reason: `http ${status}` };
  if (result.errorClass !== null && FATAL_ERROR_CLASSES.has(result.errorClass)) {
    return { outcome: 'fatal', reason: result.errorClass };
  }
  if (result.ok) return { outcome: 'success', reason: status === null ? 'ok' : `http ${status}` };
  if (status !== null) {
    const reason = `http ${status}`;
    if (status >= 500 || status === 408 || status === 429) return { outcome: 'retryable', reason };
    if (status >= 400 && status <= 499)
      return { outcome: policy.retry_on_4xx === true ? 'retryable' : 'fatal', reason };
    if (status >= 300 && status <= 399) return { outcome: 'fatal', reason };
    return { outcome: 'retryable', reason }; // 1xx as a final answer is a protocol error
  }
  if (result.errorClass !== null) return { outcome: 'retryable', reason: result.errorClass };
  return { outcome: 'retryable', reason: 'unknown failure' };
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three HTTP-date forms that RFC 9110 §5.6.7 requires recipients to accept.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MON}-(\\d{2}) ${TIME} GMT$`,
);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MON} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

function utc(year: number, month: number, day: number, h: number, m: number, s: number): number | null {
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return null;
  const t = Date.UTC(year, month, day, h, m, Math.min(s, 59));
  // Reject dates that Date.UTC rolled over (Feb 30 → Mar 2).
  return new Date(t).getUTCDate() === day ? t : null;
}

/** Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime) to epoch ms, or null. */
export function parseHttpDate(value: string, nowMs: number): number | null {
  let m = IMF_FIXDATE.exec(value);
  if (m)
    return utc(Number(m[3]), MONTHS[m[2] as string] as number, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850.exec(value);
  if (m) {
    // Two-digit year: the latest year with those digits that is not more than 50 years ahead.
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return utc(year, MONTHS[m[2] as string] as number, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME.exec(value);
  if (m)
    return utc(
      Number(m[6]),
      MONTHS[m[1] as string] as number,
      Number((m[2] as string).trim()),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
    );
  return null;
}

/**
 * Retry-After as milliseconds to wait from `nowMs`: delta-seconds ("120") or an HTTP-date
 * (a date in the past gives 0). Null when absent or malformed, never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, Number.MAX_SAFE_INTEGER);
  const at = parseHttpDate(v, nowMs);
  if (at === null) return null;
  return Math.max(0, at - nowMs);
}

function clampRetryAfter(ms: number, bounds: RetryAfterBounds | undefined): number {
  const min = bounds?.minRetryAfterMs ?? DEFAULT_MIN_RETRY_AFTER_MS;
  const max = bounds?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  return Math.max(0, Math.round(Math.min(max, Math.max(min, ms))));
}

/**
 * Decides what follows attempt number `attempt` (1-based) of a delivery: delivered, a retry after
 * a delay (Retry-After on 429/503 replaces the policy's delay, clamped to `bounds`), or dead —
 * not retryable, or exhausted once `attempt` reaches policy.max_attempts.
 */
export function decide(
  result: AttemptResult,
  attempt: number,
  policy: RetryPolicy,
  nowMs: number,
  random: () => number,
  bounds?: RetryAfterBounds,
): Decision {
  const c = classifyAttempt(result, policy);
  if (c.outcome === 'success') return { action: 'delivered' };
  if (c.outcome === 'fatal') return { action: 'dead', reason: `${c.reason} (not retryable)`, code: 'not_retryable' };

  const max = Number.isFinite(policy.max_attempts) ? Math.max(1, Math.floor(policy.max_attempts)) : 1;
  if (!(attempt < max)) {
    const n = Number.isFinite(attempt) ? Math.floor(attempt) : max;
    return {
      action: 'dead',
      reason: `exhausted after ${n} attempt${n === 1 ? '' : 's'} (last: ${c.reason})`,
      code: 'exhausted',
    };
  }
  if (result.statusCode === 429 || result.statusCode === 503) {
    const ra = parseRetryAfter(result.retryAfter, nowMs);
    if (ra !== null)
      return { action: 'retry', delayMs: clampRetryAfter(ra, bounds), reason: `${c.reason} (retry-after)` };
  }
  return { action: 'retry', delayMs: retryDelayMs(policy, attempt, random), reason: c.reason };
}
