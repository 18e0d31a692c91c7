// A bounded pull loop over one durable consumer. Handlers receive a narrow message port and decide
// ack / nak(delay) / term themselves; an exception is treated as an infrastructure failure: the message
// is nak'ed with a delay and the loop goes on.
import type { JsMsg } from '@nats-io/jetstream';
import type { Coalescer } from './coalesce.ts';
import type { Broker } from './connection.ts';
import { fromHeaders } from './publish.ts';
import { startSizedPull } from './pull.ts';

export interface InboundMsg {
  subject: string;
  streamSeq: number;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  deliveryCount: number;
  /** Time the message was stored in the stream, ms since epoch. */
  timestampMs: number;
  headers: Record<string, string>;
  data: Uint8Array;
  ack(): void;
  /** Acknowledge and wait for the server to confirm. */
  ackSync(): Promise<void>;
  nak(delayMs?: number): void;
  term(reason?: string): void;
  working(): void;
}

/**
 * `writes` is the connection's coalescer: acks leave with the other writes of their turn. One
 * object per message, its methods on the prototype, its headers read when first asked for (a fact's
 * reader never asks): every consumer of the pipeline makes one per message.
 */
class Inbound implements InboundMsg {
  readonly subject: string;
  readonly streamSeq: number;
  readonly deliveryCount: number;
  readonly timestampMs: number;
  readonly data: Uint8Array;
  readonly #m: JsMsg;
  readonly #writes: Coalescer;
  #headers: Record<string, string> | undefined;

  constructor(m: JsMsg, writes: Coalescer) {
    const info = m.info;
    this.subject = m.subject;
    this.streamSeq = info.streamSequence;
    this.deliveryCount = info.deliveryCount;
    this.timestampMs = Math.floor(info.timestampNanos / 1_000_000);
    this.data = m.data;
    this.#m = m;
    this.#writes = writes;
  }

  get headers(): Record<string, string> {
    this.#headers ??= fromHeaders(this.#m.headers);
    return this.#headers;
  }

  ack(): void {
    const m = this.#m;
    this.#writes.defer(() => m.ack());
  }

  async ackSync(): Promise<void> {
    await this.#m.ackAck();
  }

  nak(delayMs?: number): void {
    const m = this.#m;
    this.#writes.defer(() => m.nak(delayMs));
  }

  // nats-server 2.9 ignores a +TERM that carries a reason (the message would stay ack-pending):
  // terminate without one; callers log the reason themselves.
  term(): void {
    const m = this.#m;
    this.#writes.defer(() => m.term());
  }

  working(): void {
    const m = this.#m;
    this.#writes.defer(() => m.working());
  }
}

export function wrapMsg(m: JsMsg, writes: Coalescer): InboundMsg {
  return new Inbound(m, writes);
}

export interface ConsumerLoopOptions {
  broker: Broker;
  stream: string;
  consumer: string;
  /** Messages handled at once (and, unless `window` says otherwise, pulled at once). */
  maxInFlight: number;
  /** Messages asked of the server ahead of the handlers and in their hands (default `maxInFlight`). */
  window?: number;
  /**
   * Bytes asked of the server ahead of the handlers and in their hands, or one message larger than
   * that (pull.ts): what the server may queue for this connection on this loop's behalf, which must
   * stay well under its max_pending (64 MB by default) summed over the loops of a connection, or a
   * client busy with the messages it has is cut off as a slow consumer. Default DEFAULT_WINDOW_BYTES.
   */
  windowBytes?: number;
  handle(msg: InboundMsg): Promise<void>;
  /** Called with unexpected failures (handler exceptions). */
  onError?: (err: unknown) => void;
  /** Called when the pull loop has a problem talking to the server (missed heartbeats, consumer gone). */
  onStatus?: (kind: string, detail: string) => void;
  /** Delay before a message whose handler threw is offered again. */
  errorNakDelayMs?: number;
}

/**
 * 8 MB: a router and a projector's three loops in one process ask for at most 4 × 8 MB on one
 * connection, half of nats-server's default max_pending (64 MB).
 */
export const DEFAULT_WINDOW_BYTES = 8 * 1024 * 1024;

export interface ConsumerLoop {
  stop(): Promise<void>;
  readonly inFlight: number;
}

export function startConsumerLoop(o: ConsumerLoopOptions): ConsumerLoop {
  let inFlight = 0;
  const idle: Array<() => void> = [];
  const onError = o.onError ?? (() => {});

  const run = async (msg: InboundMsg) => {
    inFlight++;
    try {
      await o.handle(msg);
    } catch (err) {
      onError(err);
      msg.nak(o.errorNakDelayMs ?? 1_000);
    } finally {
      inFlight--;
      pull.done(msg);
      if (inFlight === 0) for (const f of idle.splice(0)) f();
    }
  };

  // The window bounds what is in hand, so handlers never run more than maxInFlight at once.
  const pull = startSizedPull({
    broker: o.broker,
    stream: o.stream,
    consumer: o.consumer,
    maxMessages: Math.max(1, Math.min(o.window ?? o.maxInFlight, o.maxInFlight)),
    maxBytes: o.windowBytes ?? DEFAULT_WINDOW_BYTES,
    onMessage: (msg) => void run(msg),
    ...(o.onStatus ? { onStatus: o.onStatus } : {}),
  });

  return {
    get inFlight() {
      return inFlight;
    },
    async stop() {
      pull.stop();
      if (inFlight > 0) await new Promise<void>((r) => idle.push(r));
    },
  };
}
