// A bounded pull loop over one durable consumer. Handlers receive a narrow message port and decide
// ack / nak(delay) / term themselves; an exception is treated as an infrastructure failure: the message
// is nak'ed with a delay and the loop goes on.
import type { JsMsg } from '@nats-io/jetstream';
import type { Coalescer } from './coalesce.ts';
import type { Broker } from './connection.ts';
import { fromHeaders } from './publish.ts';

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
  /**
   * Messages asked of the server ahead of the handlers (default `maxInFlight`). They may all be on
   * their way at once, so this bounds the bytes the server queues for this connection: window ×
   * message size must stay well under the server's max_pending (64 MB by default), or a client
   * busy with the messages it has is cut off as a slow consumer.
   */
  window?: number;
  handle(msg: InboundMsg): Promise<void>;
  /** Called with unexpected failures (handler exceptions, pull errors). */
  onError?(err: unknown): void;
  /** Called when the pull loop has a problem talking to the server (missed heartbeats, consumer gone). */
  onStatus?(kind: string, detail: string): void;
  /** Delay before a message whose handler threw is offered again. */
  errorNakDelayMs?: number;
}

export interface ConsumerLoop {
  stop(): Promise<void>;
  readonly inFlight: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startConsumerLoop(o: ConsumerLoopOptions): ConsumerLoop {
  let stopping = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];
  let current: { stop(): void; close(): Promise<unknown> } | null = null;
  const onError = o.onError ?? (() => {});

  // Resolved when a handler finishes while the loop waits for a free slot.
  let slot: (() => void) | undefined;

  const run = async (m: JsMsg) => {
    inFlight++;
    try {
      await o.handle(wrapMsg(m, o.broker.writes));
    } catch (err) {
      onError(err);
      o.broker.writes.defer(() => m.nak(o.errorNakDelayMs ?? 1_000));
    } finally {
      inFlight--;
      slot?.();
      slot = undefined;
      if (inFlight === 0) for (const f of idle.splice(0)) f();
    }
  };

  const loop = (async () => {
    let backoff = 250;
    while (!stopping) {
      try {
        const consumer = await o.broker.js.consumers.get(o.stream, o.consumer);
        const messages = await consumer.consume({ max_messages: Math.min(o.window ?? o.maxInFlight, o.maxInFlight), idle_heartbeat: 5_000, expires: 30_000 });
        current = messages;
        // stop() may have come while the pull was being set up, before there was anything to stop.
        if (stopping) {
          messages.stop();
          break;
        }
        void (async () => {
          for await (const s of messages.status()) {
            if (s.type === 'heartbeats_missed' || s.type === 'consumer_not_found' || s.type === 'consumer_deleted') {
              o.onStatus?.(s.type, JSON.stringify(s));
            }
          }
        })().catch(() => {});
        backoff = 250;
        for await (const m of messages) {
          void run(m);
          // consume() already bounds what is pulled; keep handler concurrency to the same bound.
          while (inFlight >= o.maxInFlight) await new Promise<void>((r) => (slot = r));
          if (stopping) break;
        }
        if (inFlight > 0) await new Promise<void>((r) => idle.push(r));
      } catch (err) {
        if (stopping) break;
        onError(err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  })();

  return {
    get inFlight() {
      return inFlight;
    },
    async stop() {
      stopping = true;
      current?.stop();
      if (inFlight > 0) await new Promise<void>((r) => idle.push(r));
      await loop.catch(() => {});
    },
  };
}
