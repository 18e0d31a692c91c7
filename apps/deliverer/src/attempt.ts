// One delivery message → one HTTP attempt → one decision. This is the one place that acks, naks or
// terms a delivery; a receiver's 500 or a timeout is an outcome recorded as data, and a throw means
// only "the facts could not be stored": the consumer offers the message again and the
// deterministic fact ids dedupe whatever was already stored.
import type { InboundMsg, Publisher } from '@hookstream/broker';
import {
  type AttemptFact,
  type AttemptOutcome,
  type DeadLetter,
  type DeliveryMeta,
  type DestinationRecord,
  type EventMeta,
  RESPONSE_EXCERPT_BYTES,
  decodeDeliveryMeta,
} from '@hookstream/contracts';
import type { DeliveryClient, SendResult } from '@hookstream/delivery-http';
import { type Circuit, type Decision, type TokenBucket, decide } from '@hookstream/domain';
import type { DeliveryClass, Logger, Metrics } from '@hookstream/observability';
import { type Semaphore, heartbeat, sleep, waitUntil } from './gates.ts';
import type { AttemptRecorder } from './facts.ts';
import { type AttemptRequest, buildRequest } from './request.ts';

/** Per-destination state shared by every message of one destination in this process. */
export interface DestinationGate {
  circuit: Circuit;
  bucket: TokenBucket | null;
}

export interface AttemptDeps {
  findDestination(id: string): DestinationRecord | undefined;
  gateFor(destinationId: string): DestinationGate;
  /** Bounds the HTTP requests of all destinations together. */
  slots: Semaphore;
  client: DeliveryClient;
  publisher: Publisher;
  log: Logger;
  /** The level of the one line per attempt: debug unless the operator asked for them (LOG_DELIVERIES). */
  attemptLogLevel?: 'info' | 'debug';
  now: () => number;
  random: () => number;
  /** True once the process is stopping: messages in hand are then sent without waiting for a closed circuit. */
  stopping: () => boolean;
  heartbeatMs: number;
  metrics?: Metrics;
  /** The attempt fact stored at a sequence of HS_FACTS (to tell a repeat from a reused number). */
  readFact?: (seq: number) => Promise<AttemptFact | null>;
  /** Stores the facts of attempts that finish together in one message (facts.ts); without it, one each. */
  attempts?: AttemptRecorder;
}

/** The bounded label of an attempt's result for metrics. */
export function deliveryClass(r: SendResult): DeliveryClass {
  if (r.errorClass === 'timeout') return 'timeout';
  if (r.errorClass === 'blocked_address') return 'blocked';
  if (r.errorClass !== null && r.statusCode === null) return 'network';
  if (r.statusCode === null) return 'other';
  const c = Math.floor(r.statusCode / 100);
  return c >= 2 && c <= 5 ? (`${c}xx` as DeliveryClass) : 'other';
}

const iso = (ms: number) => new Date(ms).toISOString();

function circuitSaysHealthy(r: SendResult): boolean | null {
  // A 429 is the receiver pacing us, answered by Retry-After: it says nothing about being down.
  if (r.statusCode === 429) return null;
  if (r.statusCode !== null) return r.statusCode < 500 && r.statusCode !== 408;
  if (
    r.errorClass === 'timeout' ||
    r.errorClass === 'connect' ||
    r.errorClass === 'dns' ||
    r.errorClass === 'tls' ||
    r.errorClass === 'protocol'
  ) {
    return false;
  }
  return null; // blocked address, local failures: say nothing about the receiver's health
}

/** Waits for a closed circuit, or a probe slot; costs no attempt. */
async function circuitAllows(gate: DestinationGate, deps: AttemptDeps): Promise<void> {
  await waitUntil(() => {
    if (deps.stopping() || gate.circuit.canSend(deps.now())) return 0;
    const at = gate.circuit.retryAtMs;
    return at === null ? 250 : Math.max(1, at - deps.now());
  });
}

/**
 * Publishes with a few quick retries before giving up: a NATS blip must not send the message back
 * (a redelivery counts as an attempt, and on the last attempt it would end in the dead-letter watch).
 */
export async function durably<T>(publish: () => Promise<T>, deps: Pick<AttemptDeps, 'log' | 'stopping'>): Promise<T> {
  let wait = 200;
  for (let i = 0; ; i++) {
    try {
      return await publish();
    } catch (err) {
      if (i >= 4 || deps.stopping()) throw err;
      deps.log.warn({ err: (err as Error).message }, 'storing a delivery fact failed; retrying');
      await sleep(wait);
      wait *= 2;
    }
  }
}

function localFailure(error: string): SendResult {
  return {
    ok: false,
    statusCode: null,
    errorClass: null,
    error,
    responseHeaders: {},
    responseExcerpt: '',
    durationMs: 0,
    retryAfter: null,
  };
}

function excerpt(s: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a short text needs no encoding to be measured.
  if (s.length * 3 <= RESPONSE_EXCERPT_BYTES) return s;
  const b = Buffer.from(s, 'utf8');
  return b.length <= RESPONSE_EXCERPT_BYTES ? s : b.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}

/** `requestOver` is called once no request of this attempt is waiting or running any more. */
export async function handleDelivery(msg: InboundMsg, deps: AttemptDeps, requestOver?: () => void): Promise<void> {
  let event: EventMeta;
  let delivery: DeliveryMeta;
  try {
    ({ event, delivery } = decodeDeliveryMeta(msg.headers));
  } catch (err) {
    deps.log.error(
      { stream_seq: msg.streamSeq, subject: msg.subject, err: (err as Error).message },
      'malformed delivery: terminated',
    );
    msg.term();
    return;
  }
  const attempt = msg.deliveryCount;
  const stopBeat = heartbeat(() => msg.working(), deps.heartbeatMs);
  try {
    const sent = await send(msg, event, delivery, attempt, deps);
    requestOver?.();
    if (sent === null) {
      await deadWithoutAttempt(msg, event, delivery, attempt - 1, deps);
      return;
    }
    await settle(msg, event, delivery, sent.destination, attempt, sent.startedAt, sent.result, deps);
  } finally {
    stopBeat();
  }
}

/** Waits for the gates, then makes the request. Null when the destination is gone. */
async function send(
  msg: InboundMsg,
  event: EventMeta,
  delivery: DeliveryMeta,
  attempt: number,
  deps: AttemptDeps,
): Promise<{ destination: DestinationRecord; startedAt: number; result: SendResult } | null> {
  if (!deps.findDestination(delivery.destination_id)) return null;
  const gate = deps.gateFor(delivery.destination_id);
  // The circuit before the global slot: a destination that is down never holds a slot others could
  // use. The rate-limit token after it, right before the request, so that a wait for a slot cannot
  // bunch requests together (what waits for a token is at most about a second's worth).
  await circuitAllows(gate, deps);
  const release = await deps.slots.acquire();
  try {
    const bucket = gate.bucket;
    if (bucket) {
      let counted = false;
      await waitUntil(() => {
        const wait = bucket.take(deps.now());
        if (wait > 0 && !counted) {
          counted = true;
          deps.metrics?.rateLimitedWait();
        }
        return wait;
      });
    }
    // Read the record after waiting: it may have changed, or gone.
    const d = deps.findDestination(delivery.destination_id);
    if (!d) return null;
    const startedAt = deps.now();
    let req: AttemptRequest | string;
    try {
      req = buildRequest(d, event, delivery, attempt, msg.data, startedAt);
    } catch (err) {
      // A stored secret the scheme cannot use: retried on the normal schedule, so a fix in time saves it.
      req = `signing failed: ${(err as Error).message}`;
    }
    const result =
      typeof req === 'string'
        ? localFailure(req)
        : await deps.client.send({ url: d.url, headers: req.headers, body: req.body, timeoutMs: d.timeout_ms });
    const healthy = circuitSaysHealthy(result);
    if (healthy === true) gate.circuit.onSuccess(deps.now());
    else if (healthy === false) {
      const before = gate.circuit.state;
      gate.circuit.onFailure(deps.now());
      if (before !== 'open' && gate.circuit.state === 'open') deps.metrics?.circuitOpened();
    }
    return { destination: d, startedAt, result };
  } finally {
    release();
  }
}

async function settle(
  msg: InboundMsg,
  event: EventMeta,
  delivery: DeliveryMeta,
  d: DestinationRecord,
  attempt: number,
  startedAt: number,
  result: SendResult,
  deps: AttemptDeps,
): Promise<void> {
  const nowMs = deps.now();
  const decision: Decision = decide(
    { ok: result.ok, statusCode: result.statusCode, errorClass: result.errorClass, retryAfter: result.retryAfter },
    attempt,
    d.retry_policy,
    nowMs,
    deps.random,
  );
  const outcome: AttemptOutcome =
    decision.action === 'delivered' ? 'delivered' : decision.action === 'retry' ? 'retry_scheduled' : 'dead_letter';
  const fact: AttemptFact = {
    v: 1,
    kind: 'attempt',
    account_id: event.account_id,
    event_id: event.event_id,
    delivery_id: delivery.delivery_id,
    destination_id: delivery.destination_id,
    attempt,
    started_at: iso(startedAt),
    duration_ms: result.durationMs,
    outcome,
    status_code: result.statusCode,
    error_class: result.errorClass,
    error: result.error,
    response_headers: result.responseHeaders,
    response_excerpt: excerpt(result.responseExcerpt),
    next_attempt_at: decision.action === 'retry' ? iso(nowMs + decision.delayMs) : null,
  };
  // The level is checked first: building the entry costs more than the call when it is off.
  const level = deps.attemptLogLevel ?? 'debug';
  if (deps.log.isLevelEnabled(level)) {
    deps.log[level](
      {
        event_id: event.event_id,
        delivery_id: delivery.delivery_id,
        destination_id: delivery.destination_id,
        attempt,
        outcome,
        status_code: result.statusCode,
        error_class: result.errorClass,
        duration_ms: result.durationMs,
        ...(decision.action === 'retry' ? { retry_in_ms: decision.delayMs } : {}),
      },
      'delivery attempt',
    );
  }
  // Facts first, then the ack: a crash in between repeats the attempt, never loses its record.
  // An attempt that may be the last goes alone, under its own id, for the dead-letter watch.
  const mayBeLast = attempt >= d.retry_policy.max_attempts;
  const stored =
    mayBeLast || !deps.attempts
      ? await durably(() => deps.publisher.publishAttempt(fact), deps)
      : await deps.attempts.record(fact);
  if (stored?.duplicate && deps.readFact) {
    // Same id, but is it the same attempt? A server that lost its delivery counts (killed right after
    // a nak) hands out an attempt number again; that second attempt must not vanish as a duplicate.
    const prior = await deps.readFact(stored.seq).catch(() => null);
    if (prior && prior.started_at !== fact.started_at) {
      await durably(() => deps.publisher.publishAttempt(fact, { retake: String(startedAt) }), deps);
    }
  }
  deps.metrics?.delivery(
    outcome,
    deliveryClass(result),
    attempt,
    result.statusCode === null && result.errorClass === 'blocked_address' ? null : result.durationMs / 1000,
  );
  switch (decision.action) {
    case 'delivered':
      // The attempt fact above already made the outcome durable, so the ack is not awaited: a lost
      // ack means one more request with the same delivery id, never a lost delivery — and not
      // waiting for the server's confirmation saves a round trip per delivery.
      msg.ack();
      return;
    case 'retry':
      msg.nak(decision.delayMs);
      return;
    case 'dead': {
      const dl = deadLetter(
        event,
        delivery,
        attempt,
        decision.code,
        result.statusCode,
        result.error ?? decision.reason,
        nowMs,
      );
      await durably(() => deps.publisher.publishDeadLetter(dl), deps);
      deps.metrics?.deadLetter(decision.code);
      // No reason string: nats-server before 2.10 ignores "+TERM <reason>" and would redeliver.
      msg.term();
      return;
    }
  }
}

export function deadLetter(
  event: EventMeta,
  delivery: DeliveryMeta,
  attempts: number,
  reason: DeadLetter['reason'],
  lastStatus: number | null,
  lastError: string | null,
  nowMs: number,
): DeadLetter {
  return {
    v: 1,
    account_id: event.account_id,
    event_id: event.event_id,
    event_seq: delivery.event_seq,
    delivery_id: delivery.delivery_id,
    destination_id: delivery.destination_id,
    attempts: Math.max(0, attempts),
    reason,
    last_status_code: lastStatus,
    last_error: lastError,
    dead_at: iso(nowMs),
  };
}

async function deadWithoutAttempt(
  msg: InboundMsg,
  event: EventMeta,
  delivery: DeliveryMeta,
  attemptsMade: number,
  deps: AttemptDeps,
): Promise<void> {
  deps.log.warn(
    { event_id: event.event_id, delivery_id: delivery.delivery_id, destination_id: delivery.destination_id },
    'destination deleted: dead-lettered',
  );
  const dl = deadLetter(event, delivery, attemptsMade, 'destination_deleted', null, 'destination deleted', deps.now());
  await durably(() => deps.publisher.publishDeadLetter(dl), deps);
  deps.metrics?.deadLetter('destination_deleted');
  msg.term();
}
