// Pulls of one durable consumer bounded in messages and in bytes at once.
//
// nats-server queues for a client every message a pull asks for, and cuts the client off as a slow
// consumer once more than its max_pending (64 MB by default) waits to be written: every message in
// hand then comes again after AckWait. A pull counted in messages alone asks for 64 or 500 webhooks
// of up to 5 MB each. A JetStream pull request may carry both a message count and a byte budget,
// the server stopping at whichever comes first, but the client library makes the two exclusive (and,
// with bytes alone, stalls for two heartbeats when a message is larger than what is left of a pull).
// So pulls are requested here, one at a time, on an inbox of our own.
import { type Msg, type Subscription, createInbox } from '@nats-io/transport-node';
import { type Broker, type Handles, handlesOf } from './connection.ts';
import { fromHeaders } from './publish.ts';
import type { InboundMsg } from './consume.ts';
import { MAX_MSG_BYTES } from './topology.ts';

/**
 * What the pull of a message larger than the window asks for: the largest message a stream takes,
 * with room for its subject and reply subject.
 */
export const MIN_PULL_BYTES = MAX_MSG_BYTES + 64 * 1024;

const enc = new TextEncoder();
const ACK = enc.encode('+ACK');
const NAK = enc.encode('-NAK');
const TERM = enc.encode('+TERM');
const WPI = enc.encode('+WPI');
const NS = 1_000_000;

/**
 * A message of a pull. Its reply subject says where it stands:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time ns>.<pending>`, with a
 * domain and an account hash after `ACK` on servers that send them.
 */
class Pulled implements InboundMsg {
  readonly subject: string;
  readonly streamSeq: number;
  readonly deliveryCount: number;
  readonly timestampMs: number;
  readonly data: Uint8Array;
  readonly #m: Msg;
  readonly #broker: Handles;
  #headers: Record<string, string> | undefined;
  #settled = false;

  constructor(m: Msg, tokens: readonly string[], broker: Handles) {
    const at = tokens.length === 9 ? 4 : 6;
    this.subject = m.subject;
    this.deliveryCount = Number(tokens[at]);
    this.streamSeq = Number(tokens[at + 1]);
    this.timestampMs = Math.floor(Number(tokens[at + 3]) / NS);
    this.data = m.data;
    this.#m = m;
    this.#broker = broker;
  }

  get headers(): Record<string, string> {
    this.#headers ??= fromHeaders(this.#m.headers);
    return this.#headers;
  }

  #reply(payload: Uint8Array, final = true): void {
    if (this.#settled) return;
    if (final) this.#settled = true;
    const m = this.#m;
    // With the other writes of this turn (coalesce.ts).
    this.#broker.writes.defer(() => m.respond(payload));
  }

  ack(): void {
    this.#reply(ACK);
  }

  async ackSync(): Promise<void> {
    this.#settled = true;
    await this.#broker.nc.request(this.#m.reply as string, ACK, { timeout: 5_000 });
  }

  nak(delayMs?: number): void {
    this.#reply(delayMs ? enc.encode(`-NAK ${JSON.stringify({ delay: delayMs * NS })}`) : NAK);
  }

  // nats-server 2.9 ignores a +TERM that carries a reason (the message would stay ack-pending):
  // terminate without one; callers log the reason themselves.
  term(): void {
    this.#reply(TERM);
  }

  working(): void {
    this.#reply(WPI, false);
  }
}

/** A message's size as the server counts it against a pull's byte budget: subjects, headers, data. */
function sizeOf(m: Msg): number {
  const withSize = m as Msg & { size?(): number };
  return typeof withSize.size === 'function' ? withSize.size() : m.subject.length + (m.reply?.length ?? 0) + m.data.length;
}

export interface SizedPullOptions {
  broker: Broker;
  stream: string;
  consumer: string;
  /** Messages asked for ahead and in hand at most. */
  maxMessages: number;
  /**
   * Bytes asked for ahead and in hand at most, or one message larger than that (alone in hand). The
   * server queues up to this for the connection: the sum over the pulls sharing a connection must
   * stay well under its max_pending.
   */
  maxBytes: number;
  /** A message to handle; call `done` with the same message when it is settled. */
  onMessage(msg: InboundMsg): void;
  /** Problems talking to the server: missed heartbeats, the consumer missing or deleted. */
  onStatus?(kind: string, detail: string): void;
  /** How long a pull waits on the server (default 30 s). */
  expiresMs?: number;
  /** The server's sign of life during a pull that brings nothing (default 5 s); two missed end it. */
  heartbeatMs?: number;
}

export interface SizedPull {
  /** A message given to onMessage is settled: its room may be asked for again. */
  done(msg: InboundMsg): void;
  /** Asks for nothing more; messages of the pull in progress that still come are not handed out. */
  stop(): void;
}

export function startSizedPull(o: SizedPullOptions): SizedPull {
  const handles = handlesOf(o.broker);
  const nc = handles.nc;
  const expiresMs = o.expiresMs ?? 30_000;
  const heartbeatMs = o.heartbeatMs ?? 5_000;
  const subject = `$JS.API.CONSUMER.MSG.NEXT.${o.stream}.${o.consumer}`;
  const inbox = createInbox();
  const sizes = new WeakMap<InboundMsg, number>();
  let stopped = false;
  let inHand = 0;
  let inHandBytes = 0;
  /** The pull in progress: what it may still bring. */
  let pull: { msgs: number; bytes: number } | null = null;
  let retryAt = 0;
  let backoff = 250;
  let wait: NodeJS.Timeout | undefined;
  let silence: NodeJS.Timeout | undefined;
  // The last pull ended on a message larger than what it allowed: the next asks for that one alone,
  // once the hands are empty, with room for a message of any size (more, should even that fail).
  let large = false;
  let extraBytes = 0;

  // Called for every message: the running timer is restarted in place rather than replaced.
  const alive = () => {
    if (!pull || stopped) {
      if (silence) clearTimeout(silence);
      silence = undefined;
    } else if (silence) silence.refresh();
    else silence = setTimeout(missed, 2 * heartbeatMs + 1_000);
  };
  const missed = () => {
    // The pull is gone on the server's side (a restart, a lost connection): ask again.
    silence = undefined;
    pull = null;
    o.onStatus?.('heartbeats_missed', `no message nor heartbeat for ${2 * heartbeatMs + 1_000} ms`);
    ask();
  };

  const later = (kind: string, detail: string) => {
    o.onStatus?.(kind, detail);
    retryAt = Date.now() + backoff;
    backoff = Math.min(backoff * 2, 5_000);
  };

  const ask = () => {
    if (stopped || pull) return;
    const now = Date.now();
    if (now < retryAt) {
      wait ??= setTimeout(() => {
        wait = undefined;
        ask();
      }, retryAt - now);
      return;
    }
    let msgs = o.maxMessages - inHand;
    let bytes = o.maxBytes - inHandBytes;
    if (large) {
      if (inHand > 0) return;
      msgs = 1;
      bytes = MIN_PULL_BYTES + extraBytes;
      // Not in drips: wait until a quarter of the window is free, in messages and in bytes.
    } else if (msgs < Math.max(1, Math.floor(o.maxMessages / 4)) || bytes < o.maxBytes / 4) return;
    pull = { msgs, bytes };
    const request = JSON.stringify({ batch: msgs, max_bytes: bytes, expires: expiresMs * NS, idle_heartbeat: heartbeatMs * NS });
    handles.writes.defer(() => nc.publish(subject, request, { reply: inbox }));
    alive();
  };

  const ended = () => {
    pull = null;
    alive();
  };

  const onStatus = (m: Msg) => {
    const h = m.headers;
    const code = h?.code ?? 0;
    const description = h?.description ?? '';
    if (code === 100) {
      // Idle heartbeat: the pull is alive on the server, nothing to ask for.
      alive();
      return;
    }
    if (code === 503) {
      // No responder: the consumer or its stream does not exist (yet), or JetStream is away.
      ended();
      later('consumer_not_found', `no responders for ${subject}`);
    } else if (code === 409 && /deleted|push based/i.test(description)) {
      ended();
      later('consumer_deleted', description);
    } else if (code === 409 && /exceeds maxbytes/i.test(description)) {
      // The next message is larger than what the pull allowed: it comes alone next.
      if (large && inHand === 0) extraBytes = Math.min(extraBytes * 2 || MIN_PULL_BYTES, 64 * 1024 * 1024);
      large = true;
      ended();
    } else if (code === 409 && /exceeded/i.test(description)) {
      // MaxWaiting, MaxRequestBatch, …: a limit of the consumer; ask again later.
      ended();
      later('pull_refused', description);
    } else if (code === 404 || code === 408) {
      // No messages, or the pull expired: it ended, nothing more in it.
      ended();
    } else {
      // 409 leadership change, server shutdown, 400 and whatever a later server answers: the pull
      // ended; asked again after a pause, so that an answer repeated at once is not a busy loop.
      ended();
      later('pull_ended', `${code} ${description}`);
    }
    ask();
  };

  const sub: Subscription = nc.subscribe(inbox, {
    callback: (err, m) => {
      if (err || stopped) return;
      const reply = m.reply;
      if (!reply?.startsWith('$JS.ACK.')) {
        onStatus(m);
        return;
      }
      const tokens = reply.split('.');
      if (tokens.length !== 9 && tokens.length < 11) return;
      const msg = new Pulled(m, tokens, handles);
      const size = sizeOf(m);
      sizes.set(msg, size);
      inHand++;
      inHandBytes += size;
      backoff = 250;
      large = false;
      extraBytes = 0;
      if (pull) {
        pull.msgs--;
        pull.bytes -= size;
        if (pull.msgs <= 0) pull = null;
      }
      alive();
      o.onMessage(msg);
    },
  });

  // A reconnect loses the pull in progress on the server's side: ask again at once.
  const status = nc.status() as AsyncIterable<{ type: string }> & { stop?(): void };
  void (async () => {
    for await (const s of status) {
      if (s.type === 'reconnect' && !stopped) {
        pull = null;
        ask();
      }
    }
  })().catch(() => {});

  ask();
  return {
    done(msg) {
      const size = sizes.get(msg);
      if (size === undefined) return;
      sizes.delete(msg);
      inHand--;
      inHandBytes -= size;
      ask();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (wait) clearTimeout(wait);
      if (silence) clearTimeout(silence);
      status.stop?.();
      sub.unsubscribe();
    },
  };
}
