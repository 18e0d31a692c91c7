// A pull loop that asks the server only for what it can start at once. Unlike a buffered consume(),
// nothing waits unseen in a client buffer: every message pulled is in a handler that keeps it alive,
// so a paused destination (open circuit, rate limit) never lets a message time out and be
// redelivered — which would count as an attempt.
import { type Broker, type FetchConsumer, type InboundMsg, fetchConsumer } from '@hookstream/broker';
import { sleep } from './gates.ts';

export interface PullLoopOptions {
  broker: Broker;
  stream: string;
  consumer: string;
  /**
   * How many messages may be pulled now; 0 = wait `waitMs` (or until one finishes). `inFlight` are
   * the messages in hand, `unreleased` those of them whose handler has not called release() yet.
   */
  capacity(inFlight: number, unreleased: number): { n: number; waitMs: number };
  /** `release` says the message no longer counts toward the capacity, though its handler goes on. */
  handle(msg: InboundMsg, release: () => void): Promise<void>;
  /** Called after a pull that brought nothing or failed; resolving true ends the loop (a drained consumer). */
  onEmpty?(): Promise<boolean>;
  onError(err: unknown): void;
  /** Delay before a message whose handler threw is offered again. */
  errorNakDelayMs: number;
  /**
   * How long one pull waits on the server for messages. Stopping waits for the pull in progress:
   * a pull abandoned while the server still holds it would have its messages sent to nobody, to be
   * redelivered after AckWait as a new attempt. (The client also abandons a pull after two missed
   * idle heartbeats, i.e. ~expiresMs of silence in an overloaded process: longer pulls make that rarer.)
   */
  expiresMs: number;
  /**
   * Bytes one pull may bring, judged by the largest message of the pulls before (see pullSize).
   * Pulls are counted in messages; of large ones, a pull of dozens would have the server queue more
   * for this connection than its max_pending (64 MB by default), and it would cut the connection off
   * as a slow consumer: every message of the pull would come again, as a new attempt.
   */
  pullBytes: number;
}

/** What a pull asks for: up to `n` messages, as many as fit `pullBytes` if each were as large as `largest`. */
export function pullSize(n: number, pullBytes: number, largest: number): number {
  return Math.min(n, Math.max(1, Math.floor(pullBytes / Math.max(1, largest))));
}

export interface PullLoop {
  readonly inFlight: number;
  /** Resolves when the loop ended by itself (drained) or after stop(). */
  readonly done: Promise<void>;
  /** Pulls no more, lets the pull in progress finish (its messages are handled), waits for handlers. */
  stop(): Promise<void>;
  /** Re-evaluate capacity now (after a config change). */
  poke(): void;
}

const WAKE = Symbol('wake');

export function startPullLoop(o: PullLoopOptions): PullLoop {
  let stopping = false;
  let inFlight = 0;
  let unreleased = 0;
  const pending = new Set<Promise<void>>();
  // Set only while the loop sleeps: a poke at any other time has nothing to wake, and costs nothing.
  let wake: AbortController | null = null;
  const poke = () => {
    // A reason given spares abort() building a DOMException (with its stack).
    wake?.abort(WAKE);
    wake = null;
  };
  const nap = async (ms: number) => {
    wake = new AbortController();
    await sleep(ms, wake.signal);
    wake = null;
  };

  const run = async (msg: InboundMsg) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      unreleased--;
      poke();
    };
    try {
      await o.handle(msg, release);
    } catch (err) {
      o.onError(err);
      try {
        msg.nak(o.errorNakDelayMs);
      } catch {
        /* connection gone: the server redelivers after AckWait */
      }
    } finally {
      release();
    }
  };

  const spawn = (m: InboundMsg) => {
    inFlight++;
    unreleased++;
    const p = run(m).finally(() => {
      inFlight--;
      pending.delete(p);
      poke();
    });
    pending.add(p);
  };

  const done = (async () => {
    let backoff = 250;
    let consumer: FetchConsumer | null = null;
    // The largest message seen lately; until one is seen, as large as a pull may be: the first
    // pull brings one message. Pulls of smaller ones halve it, so it is remembered for a while.
    let largest = o.pullBytes;
    while (!stopping) {
      const { n, waitMs } = o.capacity(inFlight, unreleased);
      if (n <= 0) {
        await nap(Math.max(1, waitMs));
        continue;
      }
      try {
        consumer ??= await fetchConsumer(o.broker, o.stream, o.consumer);
        const batch = consumer.fetch(pullSize(n, o.pullBytes, largest), o.expiresMs);
        let got = 0;
        let biggest = 0;
        for await (const m of batch) {
          got++;
          biggest = Math.max(biggest, m.data.length);
          spawn(m);
        }
        if (got > 0) largest = Math.max(biggest, Math.floor(largest / 2));
        backoff = 250;
        if (got === 0 && o.onEmpty && (await o.onEmpty())) break;
      } catch (err) {
        if (stopping) break;
        consumer = null;
        // A drained consumer removed by another copy of the role ends the drain here too.
        if (o.onEmpty && (await o.onEmpty().catch(() => false))) break;
        o.onError(err);
        await nap(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    await Promise.allSettled([...pending]);
  })();

  return {
    get inFlight() {
      return inFlight;
    },
    done,
    async stop() {
      stopping = true;
      poke();
      await done;
    },
    poke,
  };
}
