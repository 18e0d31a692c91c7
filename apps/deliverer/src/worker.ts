// One destination in this process: its consumer, its circuit and its rate limit.
// Isolation comes from here: each destination has its own durable consumer pulled on its own, so a
// destination that hangs only ever holds its own max_in_flight requests.
import {
  type Broker,
  type Capacity,
  type Consumer,
  type ConsumerLoad,
  ConsumerMissing,
  type ConsumerStatus,
  type InboundMsg,
  deleteDestinationConsumer,
  ensureDestinationConsumer,
  startConsumer,
} from '@hookstream/broker';
import { CONSUMERS, type DestinationRecord, STREAMS } from '@hookstream/contracts';
import { type CircuitOptions, createCircuit, createTokenBucket } from '@hookstream/domain';
import type { Logger, Metrics } from '@hookstream/observability';
import type { DestinationGate } from './attempt.ts';

export interface WorkerDeps {
  broker: Broker;
  log: Logger;
  now: () => number;
  /** `release` frees the message's place under max_in_flight once its request is over. */
  handle: (msg: InboundMsg, release: () => void) => Promise<void>;
  pullExpiresMs: number;
  /** Bytes pulled ahead and in hand per destination (ConsumerOptions.maxBytes). */
  pullBytes: number;
  circuit?: CircuitOptions;
  metrics?: Metrics;
}

/**
 * Pacing a little under the limit keeps a receiver's own one-second windows under it too, whatever
 * the network jitter; burst 1 spreads the sends instead of firing a second's worth at once.
 */
const RATE_SAFETY = 0.98;
const DRAIN_BATCH = 64;

export function rateBucket(ratePerS: number | null) {
  return ratePerS !== null && ratePerS > 0 ? createTokenBucket(ratePerS * RATE_SAFETY, 1) : null;
}

function consumerSpec(d: DestinationRecord) {
  return {
    destinationId: d.id,
    maxAttempts: d.retry_policy.max_attempts,
    timeoutMs: d.timeout_ms,
    maxInFlight: d.max_in_flight,
  };
}

export class DestinationWorker {
  readonly id: string;
  readonly gate: DestinationGate;
  private record: DestinationRecord | null;
  private consumer: Consumer | null = null;
  private readonly deps: WorkerDeps;

  constructor(id: string, record: DestinationRecord | null, deps: WorkerDeps) {
    this.id = id;
    this.record = record;
    this.deps = deps;
    this.gate = { circuit: createCircuit(deps.circuit), bucket: rateBucket(record?.rate_limit_per_s ?? null) };
  }

  get running(): boolean {
    return this.consumer !== null;
  }

  /** Ensures the durable consumer (its max_deliver and ack_wait follow the record) and pulls it. */
  async start(record: DestinationRecord): Promise<void> {
    this.update(record);
    await ensureDestinationConsumer(this.deps.broker, consumerSpec(record));
    if (this.consumer) return;
    this.consumer = this.consume((load) => this.capacity(load));
  }

  private consume(capacity: (load: ConsumerLoad) => Capacity, onIdle?: () => Promise<boolean>): Consumer {
    return startConsumer({
      broker: this.deps.broker,
      stream: STREAMS.deliveries,
      consumer: CONSUMERS.destination(this.id),
      maxBytes: this.deps.pullBytes,
      capacity,
      handle: this.deps.handle,
      ...(onIdle ? { onIdle } : {}),
      onError: (err) =>
        this.deps.log.warn({ destination_id: this.id, err: (err as Error).message }, 'delivery handler failed'),
      onStatus: (s: ConsumerStatus) => {
        if (s.kind === 'heartbeats_missed') this.deps.metrics?.heartbeatMissed('destination');
        this.deps.log.warn({ destination_id: this.id, ...s }, 'destination consumer status');
      },
      errorNakDelayMs: 1_000,
      expiresMs: this.deps.pullExpiresMs,
    });
  }

  /** A new version of the record: consumer settings, rate limit and concurrency follow it. */
  async reconfigure(record: DestinationRecord, previous: DestinationRecord | null): Promise<void> {
    this.update(record);
    if (
      !previous ||
      previous.timeout_ms !== record.timeout_ms ||
      previous.retry_policy.max_attempts !== record.retry_policy.max_attempts ||
      previous.max_in_flight !== record.max_in_flight
    ) {
      await ensureDestinationConsumer(this.deps.broker, consumerSpec(record));
    }
    this.consumer?.poke();
  }

  /**
   * The destination was deleted: keep pulling so that what waits for it is dead-lettered
   * (reason destination_deleted, by the handler), then delete its consumer once it is empty.
   */
  async drain(): Promise<void> {
    // Messages already in hand finish first (they read the record again and find it gone).
    await this.stop();
    this.record = null;
    this.consumer = this.consume(
      ({ inHand }) => ({ n: Math.max(0, DRAIN_BATCH - inHand), waitMs: 100 }),
      () => this.drained(),
    );
  }

  /** Resolves when a drain finished by itself. */
  get finished(): Promise<void> {
    return this.consumer?.done ?? Promise.resolve();
  }

  /** Running until the stop finished: the pull in progress may still bring messages until then. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }

  private update(record: DestinationRecord): void {
    const rateChanged =
      this.record?.rate_limit_per_s !== record.rate_limit_per_s ||
      (this.gate.bucket === null) !== (record.rate_limit_per_s === null);
    this.record = record;
    if (rateChanged) this.gate.bucket = rateBucket(record.rate_limit_per_s);
  }

  /**
   * `max_in_flight` bounds the messages that have not had their request yet or are in it
   * (`unreleased`): a message whose response is in and whose attempt is being recorded no longer
   * holds the receiver, and the next one may start. Those being recorded are bounded too, by as
   * many again.
   */
  private capacity({ inHand: inFlight, unreleased }: ConsumerLoad): Capacity {
    const d = this.record;
    if (d === null) return { n: 0, waitMs: 1_000 };
    const c = this.gate.circuit;
    const nowMs = this.deps.now();
    if (c.state === 'open' && c.retryAtMs !== null && nowMs < c.retryAtMs) return { n: 0, waitMs: c.retryAtMs - nowMs };
    // Half open: one probe at a time; the others stay on the server.
    if (c.state !== 'closed') return { n: unreleased === 0 ? 1 : 0, waitMs: 250 };
    const limit = Math.max(1, d.max_in_flight);
    let n = Math.min(limit - unreleased, 2 * limit - inFlight);
    // A rate-limited destination pulls about one second's worth: what is pulled waits its turn in hand.
    if (d.rate_limit_per_s !== null && d.rate_limit_per_s > 0)
      n = Math.min(n, Math.ceil(d.rate_limit_per_s) - unreleased);
    return { n: Math.max(0, n), waitMs: 1_000 };
  }

  private async drained(): Promise<boolean> {
    try {
      const info = await this.deps.broker.consumers.info(STREAMS.deliveries, CONSUMERS.destination(this.id));
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      await deleteDestinationConsumer(this.deps.broker, this.id);
      this.deps.log.info({ destination_id: this.id }, 'deleted destination drained; consumer removed');
      return true;
    } catch (err) {
      // Gone already (another copy removed it): nothing left to drain.
      if (err instanceof ConsumerMissing) return true;
      throw err;
    }
  }
}
