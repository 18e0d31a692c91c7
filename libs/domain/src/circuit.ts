/**
 * A per-destination circuit breaker as a pure state machine: the caller passes the clock.
 *
 * closed ──N consecutive failures──▶ open ──openMs elapsed──▶ half_open (lets `halfOpenProbes`
 * requests through) ──success──▶ closed; ──failure──▶ open again with openMs doubled (capped at
 * maxOpenMs, default 10 min). A success while closed resets the failure count. Outcomes that
 * arrive while open come from requests sent before it opened and are ignored. A probe that never
 * reports back (its process died) is given up after openMs, so half_open cannot stick.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  failureThreshold?: number;
  openMs?: number;
  halfOpenProbes?: number;
  maxOpenMs?: number;
}

export interface Circuit {
  readonly state: CircuitState;
  /** When an open circuit lets the next probe through; null unless open. */
  readonly retryAtMs: number | null;
  readonly consecutiveFailures: number;
  /** True when a request may be sent now; in half_open this claims one probe slot. */
  canSend(nowMs: number): boolean;
  onSuccess(nowMs: number): void;
  onFailure(nowMs: number): void;
}

export const DEFAULT_CIRCUIT_OPTIONS: Readonly<Required<CircuitOptions>> = Object.freeze({
  // Ten failures in a row: a destination that fails a third of its requests trips this about once in
  // 60,000 requests, one that is down trips it in seconds.
  failureThreshold: 10,
  // Short pauses: messages a deliverer holds while its circuit is open wait for it (other copies of
  // the role do not take them over), so a long pause would delay them for as long.
  openMs: 15_000,
  halfOpenProbes: 1,
  maxOpenMs: 120_000,
});

function positive(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

export function createCircuit(options: CircuitOptions = {}): Circuit {
  const threshold = Math.ceil(positive(options.failureThreshold, DEFAULT_CIRCUIT_OPTIONS.failureThreshold));
  const baseOpenMs = positive(options.openMs, DEFAULT_CIRCUIT_OPTIONS.openMs);
  const maxOpenMs = Math.max(baseOpenMs, positive(options.maxOpenMs, DEFAULT_CIRCUIT_OPTIONS.maxOpenMs));
  const probes = Math.ceil(positive(options.halfOpenProbes, DEFAULT_CIRCUIT_OPTIONS.halfOpenProbes));

  let state: CircuitState = 'closed';
  let failures = 0;
  let openMs = baseOpenMs;
  let retryAtMs: number | null = null;
  let probesInFlight = 0;
  let lastProbeAtMs = 0;

  const open = (nowMs: number): void => {
    state = 'open';
    retryAtMs = nowMs + openMs;
    probesInFlight = 0;
  };

  return {
    get state() {
      return state;
    },
    get retryAtMs() {
      return retryAtMs;
    },
    get consecutiveFailures() {
      return failures;
    },
    canSend(nowMs: number): boolean {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (retryAtMs !== null && nowMs < retryAtMs) return false;
        state = 'half_open';
        retryAtMs = null;
        probesInFlight = 0;
      }
      if (probesInFlight >= probes && nowMs - lastProbeAtMs < openMs) return false;
      if (probesInFlight >= probes) probesInFlight = 0; // the earlier probes are lost
      probesInFlight++;
      lastProbeAtMs = nowMs;
      return true;
    },
    onSuccess(_nowMs: number): void {
      if (state === 'open') return;
      state = 'closed';
      failures = 0;
      openMs = baseOpenMs;
      retryAtMs = null;
      probesInFlight = 0;
    },
    onFailure(nowMs: number): void {
      if (state === 'open') return;
      if (state === 'half_open') {
        openMs = Math.min(maxOpenMs, openMs * 2);
        open(nowMs);
        return;
      }
      failures++;
      if (failures >= threshold) open(nowMs);
    },
  };
}

export interface CircuitEvidence {
  /** Attempts in the window looked at; none and no failure on record: nothing to say. */
  attempts: number;
  /** Failed attempts since the last success. */
  failuresSinceSuccess: number;
  lastErrorAtMs: number | null;
  lastSuccessAtMs: number | null;
  nowMs: number;
}

/**
 * The circuit of a destination as an observer sees it from recorded attempts, for processes that do
 * not hold the deliverer's breaker (it lives in the deliverer's memory): open when its last
 * `failureThreshold` or more attempts failed and the latest failure is recent (within the longest
 * pause), half_open when they failed but the destination has been quiet since (the next attempt
 * is a probe), closed otherwise; null with no attempts in the window and no failure on record.
 */
export function deriveCircuit(e: CircuitEvidence, options: CircuitOptions = {}): CircuitState | null {
  const threshold = Math.ceil(positive(options.failureThreshold, DEFAULT_CIRCUIT_OPTIONS.failureThreshold));
  const maxOpenMs = positive(options.maxOpenMs, DEFAULT_CIRCUIT_OPTIONS.maxOpenMs);
  if (e.attempts === 0 && e.lastErrorAtMs === null) return null;
  const failingNow = e.lastErrorAtMs !== null && (e.lastSuccessAtMs === null || e.lastErrorAtMs > e.lastSuccessAtMs);
  if (!failingNow || e.failuresSinceSuccess < threshold) return 'closed';
  return e.nowMs - (e.lastErrorAtMs as number) <= maxOpenMs ? 'open' : 'half_open';
}
