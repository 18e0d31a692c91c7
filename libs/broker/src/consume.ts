// The consumer engine: every role pulls its durable consumers through it.
//
// Pulls are bounded in messages and in bytes at once. nats-server queues for a client every message
// a pull asks for, and cuts the client off as a slow consumer once more than its max_pending (64 MB
// by default) waits to be written: every message in hand then comes again after AckWait, which for
// a delivery is a counted attempt. A JetStream pull request may carry both a message count and a
// byte budget, the server stopping at whichever comes first, but the client library makes the two
// exclusive (and, with bytes alone, stalls for two heartbeats when a message is larger than what is
// left of a pull). So pulls are requested here, one at a time, on an inbox of our own.
//
// Nothing waits unseen in a client buffer: every message pulled goes to a handler at once, and a
// `capacity` callback can hold pulls back to what the handlers can start (the deliverer's circuit,
// rate limit and concurrency), so a paused destination never lets a message time out in hand.
import { type Msg, type Subscription, createInbox } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { Broker } from './connection.ts';
import { type InboundMsg, PulledMsg, ackTokens } from './message.ts';
import { MAX_MSG_BYTES } from './topology.ts';

/**
 * What a consumer reports about its pulls, one spelling each:
 * - `heartbeats_missed`: neither a message nor an idle heartbeat came in time (server paused, away);
 * - `consumer_missing`: the consumer or its stream does not exist, or was deleted;
 * - `pull_refused`: a limit of the consumer refused the pull (MaxWaiting, MaxRequestBatch, …);
 * - `pull_ended`: the server ended a pull early (leadership change, shutdown, a bad request);
 * - `reconnected`: the connection came back; the pull in progress was lost with it and is asked again.
 *   nats-server cuts a slow consumer off without a word: this is how one shows.
 */
export const CONSUMER_STATUSES = ['heartbeats_missed', 'consumer_missing', 'pull_refused', 'pull_ended', 'reconnected'] as const;
export type ConsumerStatusKind = (typeof CONSUMER_STATUSES)[number];

export interface ConsumerStatus {
  kind: ConsumerStatusKind;
  detail: string;
}

/** What a consumer holds when it asks `capacity` how much it may pull. */
export interface ConsumerLoad {
  /** Messages handed out whose handlers have not returned. */
  inHand: number;
  /** Of those, the ones whose handler has not called `release()`. */
  unreleased: number;
}

/** `n` messages may be pulled now; with 0, ask again after `waitMs` (or at the next poke or release). */
export interface Capacity {
  n: number;
  waitMs: number;
}

/**
 * What the pull of a message larger than the window asks for: the largest message a stream takes,
 * with room for its subject and reply subject.
 */
export const MIN_PULL_BYTES = MAX_MSG_BYTES + 64 * 1024;

/**
 * 8 MB: a router and a projector's three consumers in one process ask for at most 4 × 8 MB on one
 * connection, half of nats-server's default max_pending (64 MB).
 */
export const DEFAULT_WINDOW_BYTES = 8 * 1024 * 1024;

export interface ConsumerOptions {
  broker: Broker;
  stream: string;
  consumer: string;
  /** Messages asked for ahead and in hand at most (default: `capacity` alone decides). */
  maxMessages?: number;
  /**
   * Bytes asked for ahead and in hand at most, or one message larger than that (alone in hand). The
   * server queues up to this for the connection: the sum over the consumers of a connection must
   * stay well under its max_pending. Default DEFAULT_WINDOW_BYTES.
   */
  maxBytes?: number;
  /** How many more messages the handlers can start now, within the window. */
  capacity?: (load: ConsumerLoad) => Capacity;
  /**
   * A message to handle, settled by the handler (ack, nak, term). `release` says it no longer counts
   * as unreleased toward `capacity`, though its handler goes on. A throw naks it after a delay.
   */
  handle: (msg: InboundMsg, release: () => void) => Promise<void>;
  /** Handler exceptions. */
  onError?: (err: unknown) => void;
  onStatus?: (status: ConsumerStatus) => void;
  /**
   * Called when a pull ended bringing nothing, or the consumer is missing; resolving true ends the
   * consumer (a drain that found it empty).
   */
  onIdle?: () => Promise<boolean>;
  /** Delay before a message whose handler threw is offered again (default 1 s). */
  errorNakDelayMs?: number;
  /**
   * How long one pull waits on the server (default 5 s). stop() waits for the pull in progress, up
   * to this long: messages of a pull abandoned while the server still holds it would be sent to
   * nobody, to come again after AckWait.
   */
  expiresMs?: number;
  /** The server's sign of life during a pull that brings nothing (default 5 s, at most half of expiresMs). */
  heartbeatMs?: number;
}

export interface Consumer {
  /** Messages whose handlers have not returned. */
  readonly inFlight: number;
  /** The last status reported, or null once a message, a heartbeat or a pull's normal end came since. */
  readonly status: ConsumerStatus | null;
  /** Resolves when the consumer ended (onIdle said so, or stop()) and its handlers returned. */
  readonly done: Promise<void>;
  /** Asks `capacity` again now (after a change to what it depends on). */
  poke: () => void;
  /** Asks for nothing more, waits for the pull in progress (its messages are handled), then for the handlers. */
  stop: () => Promise<void>;
}

const NS = 1_000_000;

/** The consumers running in this process, for readiness: a missed heartbeat is a signal, never fatal. */
const running = new Set<{ stream: string; consumer: string; status: () => ConsumerStatus | null }>();

/** The consumers of this process whose last pull went wrong, with what went wrong. */
export function troubledConsumers(): Array<{ stream: string; consumer: string; status: ConsumerStatus }> {
  const out: Array<{ stream: string; consumer: string; status: ConsumerStatus }> = [];
  for (const c of running) {
    const status = c.status();
    if (status) out.push({ stream: c.stream, consumer: c.consumer, status });
  }
  return out;
}

/** A pull in progress: what it may still bring, and what was heard of it. */
interface Pull {
  reply: string;
  msgs: number;
  bytes: number;
  askedAt: number;
  heardAt: number;
  brought: number;
  probing: boolean;
}

/** A message's size as the server counts it against a pull's byte budget: subjects, headers, data. */
function sizeOf(m: Msg): number {
  const withSize = m as Msg & { size?(): number };
  return typeof withSize.size === 'function' ? withSize.size() : m.subject.length + (m.reply?.length ?? 0) + m.data.length;
}

export function startConsumer(o: ConsumerOptions): Consumer {
  const nc = o.broker.nc;
  const expiresMs = o.expiresMs ?? 5_000;
  const heartbeatMs = Math.max(100, Math.min(o.heartbeatMs ?? 5_000, Math.floor(expiresMs / 2)));
  const silenceMs = 2 * heartbeatMs + 1_000;
  // Without a capacity callback the window alone bounds a pull.
  const maxMessages = o.maxMessages ?? (o.capacity ? Number.POSITIVE_INFINITY : 64);
  const maxBytes = o.maxBytes ?? DEFAULT_WINDOW_BYTES;
  // Halved when the connection drops during a pull (the server cuts off a client that falls behind
  // by more than its max_pending, and a window past it would be cut off again at every reconnect);
  // grown back by an eighth with each pull that brings messages and ends well.
  let windowBytes = maxBytes;
  let lostPull = false;
  const errorNakDelayMs = o.errorNakDelayMs ?? 1_000;
  const subject = `$JS.API.CONSUMER.MSG.NEXT.${o.stream}.${o.consumer}`;
  // Each pull answers to a subject of its own under the inbox: the statuses of a pull the server
  // still held after this side gave up on it (a paused server) do not end the pull in progress.
  const inbox = createInbox();
  let pulls = 0;

  let stopping = false;
  let ended = false;
  // A pull asked for while the connection is down would reach the server on reconnect beside the
  // one asked for then: none is asked until it is back.
  let connected = o.broker.connected();
  let inHand = 0;
  let unreleased = 0;
  let inHandBytes = 0;
  let lastStatus: ConsumerStatus | null = null;
  /** The pull in progress: what it may still bring, and whether it brought anything. */
  let pull: Pull | null = null;
  let retryAt = 0;
  let backoff = 250;
  let wait: NodeJS.Timeout | undefined;
  let silence: NodeJS.Timeout | undefined;
  let idleCheck = false;
  // The last pull brought nothing because its next message was larger than the bytes it allowed:
  // the next asks once the hands are empty; when even a whole window was too small, for that one
  // message alone, with room for a message of any size (more, should even that fail).
  let untilEmpty = false;
  let large = false;
  let extraBytes = 0;

  const handlers = new Set<Promise<void>>();
  let pullEnded: (() => void) | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const report = (kind: ConsumerStatusKind, detail: string) => {
    lastStatus = { kind, detail };
    o.onStatus?.(lastStatus);
  };

  // Called for every message: the running timer is restarted in place rather than replaced.
  const alive = () => {
    if (!pull) {
      if (silence) clearTimeout(silence);
      silence = undefined;
      return;
    }
    pull.heardAt = Date.now();
    if (silence) silence.refresh();
    else silence = setTimeout(missed, silenceMs);
  };
  const missed = () => {
    silence = undefined;
    const p = pull;
    if (!p) return;
    // Watched again while the silence lasts.
    silence = setTimeout(missed, silenceMs);
    if (p.probing) {
      report('heartbeats_missed', `no message nor heartbeat for ${silenceMs} ms`);
      return;
    }
    p.probing = true;
    void probe(p);
  };

  /**
   * Tells a server that does not answer (paused, cut off) from a pull that is gone while the server
   * answers (nats-server 2.9 says nothing to a pull of a consumer that does not exist), and both
   * from a process too busy to read what came (a heartbeat read after the ping's answer was sent
   * before it: the pull is alive).
   */
  const probe = async (p: Pull) => {
    const started = Date.now();
    const heard = () => {
      if (p.heardAt < started) return false;
      p.probing = false;
      return true;
    };
    const ping = nc.flush().then(
      () => true,
      () => false,
    );
    const quick = await Promise.race([ping, new Promise<false>((r) => setTimeout(() => r(false), Math.min(1_000, heartbeatMs)))]);
    if (!quick) {
      report('heartbeats_missed', `no message nor heartbeat for ${silenceMs} ms`);
      // Asked again once the server answers, and would have ended the silent pull by itself: a
      // paused server would otherwise find the new pull beside the old one on waking, and send more
      // than the window. A lost connection ends the pull through the reconnect instead.
      if (!(await ping) || heard()) return;
      const left = p.askedAt + expiresMs + 1_000 - Date.now();
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      if (heard()) return;
    } else if (heard()) {
      return;
    } else if (await consumerMissing()) {
      later('consumer_missing', `${o.stream} > ${o.consumer} does not exist`);
    } else {
      later('pull_ended', 'the server answers, the pull does not');
    }
    if (pull === p) end(true);
  };

  const consumerMissing = async (): Promise<boolean> => {
    try {
      await o.broker.jsm.consumers.info(o.stream, o.consumer);
      return false;
    } catch (err) {
      return err instanceof JetStreamApiError && (err.code === 10014 || err.code === 10059);
    }
  };

  const later = (kind: ConsumerStatusKind, detail: string) => {
    report(kind, detail);
    retryAt = Date.now() + backoff;
    backoff = Math.min(backoff * 2, 5_000);
  };

  const wakeAt = (ms: number) => {
    if (wait) clearTimeout(wait);
    wait = setTimeout(() => {
      wait = undefined;
      ask();
    }, Math.max(1, ms));
  };

  const ask = () => {
    if (stopping || pull || idleCheck || !connected) return;
    const now = Date.now();
    if (now < retryAt) return wakeAt(retryAt - now);
    let msgs = maxMessages - inHand;
    let bytes = windowBytes - inHandBytes;
    if (large || untilEmpty) {
      if (inHand > 0) return;
      if (large) {
        msgs = 1;
        bytes = MIN_PULL_BYTES + extraBytes;
      }
      // Not in drips: wait until a quarter of the window is free, in messages and in bytes.
    } else if (msgs < Math.max(1, Math.floor(maxMessages / 4)) || bytes < windowBytes / 4) return;
    if (o.capacity) {
      const c = o.capacity({ inHand, unreleased });
      if (c.n <= 0) return wakeAt(c.waitMs);
      msgs = Math.min(msgs, c.n);
    }
    if (wait) clearTimeout(wait);
    wait = undefined;
    const reply = `${inbox}.${++pulls}`;
    pull = { reply, msgs, bytes, askedAt: now, heardAt: now, brought: 0, probing: false };
    const request = JSON.stringify({ batch: msgs, max_bytes: bytes, expires: expiresMs * NS, idle_heartbeat: heartbeatMs * NS });
    o.broker.writes.defer(() => nc.publish(subject, request, { reply }));
    alive();
  };

  /**
   * The pull in progress ended; `idle` when it brought nothing and the consumer may be empty, `lost`
   * when it went with the connection.
   */
  const end = (idle = false, lost = false) => {
    const p = pull;
    pull = null;
    if (p && p.brought > 0 && !lost) windowBytes = Math.min(maxBytes, Math.ceil(windowBytes * 1.125));
    alive();
    if (pullEnded) {
      pullEnded();
      return;
    }
    if (idle && o.onIdle && p?.brought === 0) return void checkIdle();
    ask();
  };

  const checkIdle = async () => {
    idleCheck = true;
    let drained = false;
    try {
      drained = await (o.onIdle as () => Promise<boolean>)();
    } catch (err) {
      o.onError?.(err);
    }
    idleCheck = false;
    if (drained) void close();
    else ask();
  };

  const onServerStatus = (m: Msg) => {
    if (!pull || m.subject !== pull.reply) return;
    const code = Number(m.headers?.code ?? 0);
    const description = m.headers?.description ?? '';
    if (code === 100) {
      // Idle heartbeat: the pull is alive on the server, nothing to ask for.
      lastStatus = null;
      alive();
      return;
    }
    if (code === 404 || code === 408) {
      // No messages, or the pull expired: it ended, nothing more in it.
      lastStatus = null;
      end(true);
    } else if (code === 503) {
      // No responder: the consumer or its stream does not exist (yet), or JetStream is away.
      later('consumer_missing', `no responders for ${subject}`);
      end(true);
    } else if (code === 409 && /deleted|push based/i.test(description)) {
      later('consumer_missing', description);
      end(true);
    } else if (code === 409 && /exceeds maxbytes/i.test(description)) {
      if (pull.brought === 0) {
        if (inHand === 0) {
          // A whole window was too small for the next message: it comes alone.
          if (large) extraBytes = Math.min(extraBytes * 2 || MIN_PULL_BYTES, 64 * 1024 * 1024);
          large = true;
        } else untilEmpty = true;
      }
      end();
    } else if (code === 409 && /exceeded/i.test(description)) {
      later('pull_refused', description);
      end();
    } else {
      // 409 leadership change, server shutdown, 400 and whatever a later server answers: the pull
      // ended; asked again after a pause, so that an answer repeated at once is not a busy loop.
      later('pull_ended', `${code} ${description}`.trim());
      end();
    }
  };

  const run = async (msg: InboundMsg) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      unreleased--;
      ask();
    };
    try {
      await o.handle(msg, release);
    } catch (err) {
      o.onError?.(err);
      msg.nak(errorNakDelayMs);
    } finally {
      release();
    }
  };

  const spawn = (msg: InboundMsg, size: number) => {
    inHand++;
    unreleased++;
    inHandBytes += size;
    const h = run(msg).finally(() => {
      inHand--;
      inHandBytes -= size;
      handlers.delete(h);
      ask();
    });
    handlers.add(h);
  };

  let open = true;
  const sub: Subscription = nc.subscribe(`${inbox}.*`, {
    callback: (err, m) => {
      if (err || !open) return;
      const tokens = ackTokens(m.reply);
      if (!tokens) {
        if (!m.reply) onServerStatus(m);
        return;
      }
      const msg = new PulledMsg(m, tokens, o.broker);
      const size = sizeOf(m);
      backoff = 250;
      large = false;
      untilEmpty = false;
      extraBytes = 0;
      lastStatus = null;
      if (pull) {
        pull.msgs--;
        pull.bytes -= size;
        pull.brought++;
      }
      spawn(msg, size);
      if (pull && pull.msgs <= 0) end();
      else alive();
    },
  });

  // A reconnect loses the pull in progress on the server's side: ask again at once.
  const connection = nc.status() as AsyncIterable<{ type: string; error?: unknown }> & { stop?(): void };
  void (async () => {
    for await (const s of connection) {
      if (s.type === 'disconnect') {
        connected = false;
        // A slow consumer is cut off before it reads the first message of a pull, often: any pull
        // lost halves the window (an idle one lost to a restart only until traffic grows it back).
        lostPull = pull !== null;
        // Stopping: the pull in progress is lost with the connection, nothing more will come of it.
        if (pullEnded && pull) end();
      } else if (s.type === 'reconnect') {
        connected = true;
        if (lostPull) windowBytes = Math.max(64 * 1024, Math.floor(windowBytes / 2));
        report('reconnected', lostPull ? `lost a pull in progress; window now ${windowBytes} bytes` : 'connection re-established');
        lostPull = false;
        backoff = 250;
        retryAt = 0;
        if (pull) end(false, true);
        else ask();
      }
    }
  })().catch(() => {});

  /** Unsubscribes once no pull is in progress, then waits for the handlers. */
  const close = async () => {
    if (ended) return finished;
    ended = true;
    stopping = true;
    if (wait) clearTimeout(wait);
    if (pull) await new Promise<void>((resolve) => (pullEnded = resolve));
    if (silence) clearTimeout(silence);
    open = false;
    running.delete(entry);
    connection.stop?.();
    sub.unsubscribe();
    while (handlers.size > 0) await Promise.allSettled([...handlers]);
    finish();
    return finished;
  };

  const entry = { stream: o.stream, consumer: o.consumer, status: () => lastStatus };
  running.add(entry);
  ask();
  return {
    get inFlight() {
      return inHand;
    },
    get status() {
      return lastStatus;
    },
    done: finished,
    poke: ask,
    stop: close,
  };
}
