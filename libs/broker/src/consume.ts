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
import { ConsumerMissing } from './admin.ts';
import { handlesOf } from './connection.ts';
import {
  type Consumer,
  type ConsumerOptions,
  type ConsumerStatus,
  type ConsumerStatusKind,
  DEFAULT_WINDOW_BYTES,
} from './consumer.ts';
import { type InboundMsg, PulledMsg, ackTokens } from './message.ts';
import { PullWindow } from './window.ts';

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
  askedAt: number;
  heardAt: number;
  brought: number;
  probing: boolean;
}

/** A message's size as the server counts it against a pull's byte budget: subjects, headers, data. */
function sizeOf(m: Msg): number {
  const withSize = m as Msg & { size?(): number };
  return typeof withSize.size === 'function'
    ? withSize.size()
    : m.subject.length + (m.reply?.length ?? 0) + m.data.length;
}

export function startConsumer(o: ConsumerOptions): Consumer {
  const handles = handlesOf(o.broker);
  const { nc, writes } = handles;
  const expiresMs = o.expiresMs ?? 5_000;
  const heartbeatMs = Math.max(100, Math.min(o.heartbeatMs ?? 5_000, Math.floor(expiresMs / 2)));
  const silenceMs = 2 * heartbeatMs + 1_000;
  // Without a capacity callback the window alone bounds a pull.
  const window = new PullWindow(
    o.maxMessages ?? (o.capacity ? Number.POSITIVE_INFINITY : 64),
    o.maxBytes ?? DEFAULT_WINDOW_BYTES,
  );
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
  let unreleased = 0;
  let lastStatus: ConsumerStatus | null = null;
  /** The pull in progress: what it may still bring, and whether it brought anything. */
  let pull: Pull | null = null;
  let retryAt = 0;
  let backoff = 250;
  let wait: NodeJS.Timeout | undefined;
  let silence: NodeJS.Timeout | undefined;
  let idleCheck = false;

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
    const quick = await Promise.race([
      ping,
      new Promise<false>((r) => setTimeout(() => r(false), Math.min(1_000, heartbeatMs))),
    ]);
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
      await o.broker.consumers.info(o.stream, o.consumer);
      return false;
    } catch (err) {
      return err instanceof ConsumerMissing;
    }
  };

  const later = (kind: ConsumerStatusKind, detail: string) => {
    report(kind, detail);
    retryAt = Date.now() + backoff;
    backoff = Math.min(backoff * 2, 5_000);
  };

  const wakeAt = (ms: number) => {
    if (wait) clearTimeout(wait);
    wait = setTimeout(
      () => {
        wait = undefined;
        ask();
      },
      Math.max(1, ms),
    );
  };

  const ask = () => {
    if (stopping || pull || idleCheck || !connected) return;
    const now = Date.now();
    if (now < retryAt) return wakeAt(retryAt - now);
    const room = window.next();
    if (!room) return;
    let { msgs } = room;
    const { bytes } = room;
    if (o.capacity) {
      const c = o.capacity({ inHand: window.inHand, unreleased });
      if (c.n <= 0) return wakeAt(c.waitMs);
      msgs = Math.min(msgs, c.n);
    }
    if (wait) clearTimeout(wait);
    wait = undefined;
    const reply = `${inbox}.${++pulls}`;
    pull = { reply, msgs, askedAt: now, heardAt: now, brought: 0, probing: false };
    const request = JSON.stringify({
      batch: msgs,
      max_bytes: bytes,
      expires: expiresMs * NS,
      idle_heartbeat: heartbeatMs * NS,
    });
    writes.defer(() => nc.publish(subject, request, { reply }));
    alive();
  };

  /**
   * The pull in progress ended; `idle` when it brought nothing and the consumer may be empty, `lost`
   * when it went with the connection.
   */
  const end = (idle = false, lost = false) => {
    const p = pull;
    pull = null;
    if (p && p.brought > 0 && !lost) window.wentWell();
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
      // A pull that brought some is full; one that brought none waits for room for its next.
      if (pull.brought === 0) window.tooLarge();
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
    unreleased++;
    window.took(size);
    const h = run(msg).finally(() => {
      window.settled(size);
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
      const msg = new PulledMsg(m, tokens, handles);
      const size = sizeOf(m);
      backoff = 250;
      lastStatus = null;
      if (pull) {
        pull.msgs--;
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
        if (lostPull) window.lost();
        report(
          'reconnected',
          lostPull ? `lost a pull in progress; window now ${window.bytes} bytes` : 'connection re-established',
        );
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
      return window.inHand;
    },
    get status() {
      return lastStatus;
    },
    done: finished,
    poke: ask,
    stop: close,
  };
}
