// Facts stored together when they are ready together. Under load a role finishes many facts in the
// same turn of its event loop (the router routes a pull's worth of events, the deliverer gets many
// answers at once); storing them in one message per account costs nats-server one stored message,
// one PubAck, one delivery to the projector and one ack for all of them, where each fact cost one of
// each. A fact ready alone is stored alone, under its own message id, as if it had no company.

export interface TurnBatcherOptions<F, R> {
  /** Facts of one key (their account: a message's subject, and so its retention, is its account's) share messages. */
  keyOf(fact: F): string;
  /** An upper bound of the fact's size in the message, in bytes. */
  sizeOf(fact: F): number;
  /** At most this many facts per message. */
  maxFacts: number;
  /** At most about this many bytes per message (servers' max_payload is 1 MB by default). */
  maxBytes: number;
  /** Stores one fact alone; its result is handed to the caller. */
  one(fact: F): Promise<R>;
  /** Stores several facts of one key in one message. */
  many(facts: F[]): Promise<unknown>;
}

export interface TurnBatcher<F, R> {
  /**
   * Resolves once the fact is stored: with `one`'s result when it was stored alone, with null when
   * it was stored with others. Rejects when its message could not be stored (every fact in it does).
   */
  store(fact: F): Promise<R | null>;
}

interface Waiting<F, R> {
  fact: F;
  resolve: (stored: R | null) => void;
  reject: (err: unknown) => void;
}

interface Pending<F, R> {
  waiting: Array<Waiting<F, R>>;
  bytes: number;
}

export function createTurnBatcher<F, R>(o: TurnBatcherOptions<F, R>): TurnBatcher<F, R> {
  let pending = new Map<string, Pending<F, R>>();
  let scheduled = false;

  const send = async (waiting: Array<Waiting<F, R>>): Promise<void> => {
    try {
      if (waiting.length === 1) {
        const only = waiting[0] as Waiting<F, R>;
        only.resolve(await o.one(only.fact));
        return;
      }
      await o.many(waiting.map((w) => w.fact));
      for (const w of waiting) w.resolve(null);
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  };

  const flush = (): void => {
    scheduled = false;
    const due = pending;
    pending = new Map();
    for (const p of due.values()) void send(p.waiting);
  };

  return {
    store(fact) {
      return new Promise((resolve, reject) => {
        const key = o.keyOf(fact);
        const bytes = o.sizeOf(fact);
        let p = pending.get(key);
        if (p !== undefined && (p.waiting.length >= o.maxFacts || p.bytes + bytes > o.maxBytes)) {
          pending.delete(key);
          void send(p.waiting);
          p = undefined;
        }
        if (p === undefined) {
          p = { waiting: [], bytes: 0 };
          pending.set(key, p);
        }
        p.waiting.push({ fact, resolve, reject });
        p.bytes += bytes;
        if (!scheduled) {
          scheduled = true;
          // After the I/O callbacks of this turn: the facts ready with this one join it.
          setImmediate(flush);
        }
      });
    },
  };
}
