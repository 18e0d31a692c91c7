// Attempt facts, stored together when they finish together. Under load many attempts end in the
// same turn of the event loop; storing them in one message per account costs nats-server one
// stored message, one PubAck, one delivery to the projector and one ack for all of them, where each
// attempt cost one of each. An attempt finishing alone is stored alone, as before.
//
// An attempt that may be its destination's last is never put in a batch: when a deliverer dies
// during it, the dead-letter watch tells "recorded" from "lost" by re-publishing that attempt's
// fact under its own message id (watch.ts). Such attempts bypass this module.
import { randomUUID } from 'node:crypto';
import type { Publisher, Stored } from '@hookstream/broker';
import type { AttemptFact, AttemptFacts } from '@hookstream/contracts';

/** At most this many attempts per message, and about this many bytes (servers' max_payload is 1 MB by default). */
const MAX_ATTEMPTS = 100;
const MAX_BYTES = 256 * 1024;

/** An upper bound of a fact's JSON size: text counted at 3 bytes a character, as UTF-8 may take. */
function approxBytes(fact: AttemptFact): number {
  let n = 512 + fact.response_excerpt.length * 3 + (fact.error?.length ?? 0) * 3;
  for (const k in fact.response_headers) n += k.length + (fact.response_headers[k] as string).length * 3 + 8;
  return n;
}

interface Waiting {
  fact: AttemptFact;
  resolve: (stored: Stored | null) => void;
  reject: (err: unknown) => void;
}

interface Pending {
  waiting: Waiting[];
  bytes: number;
}

export interface AttemptRecorder {
  /**
   * Resolves once the fact is stored: with its PubAck when it was stored alone, with null when it
   * was stored with others. Rejects when it could not be stored (after `durably`'s retries).
   */
  record(fact: AttemptFact): Promise<Stored | null>;
}

/** `durably` retries a publish a few times before giving up (attempt.ts). */
export function createAttemptRecorder(publisher: Publisher, durably: <T>(publish: () => Promise<T>) => Promise<T>): AttemptRecorder {
  let pending = new Map<string, Pending>();
  let scheduled = false;

  const send = async (waiting: Waiting[]): Promise<void> => {
    try {
      if (waiting.length === 1) {
        const only = waiting[0] as Waiting;
        only.resolve(await durably(() => publisher.publishAttempt(only.fact)));
        return;
      }
      const facts: AttemptFacts = { v: 1, kind: 'attempts', account_id: (waiting[0] as Waiting).fact.account_id, attempts: waiting.map((w) => w.fact) };
      // One id for the message, kept across retries: a publish that timed out but was stored is
      // not stored twice.
      const batchId = randomUUID();
      await durably(() => publisher.publishAttempts(facts, batchId));
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
    record(fact) {
      return new Promise((resolve, reject) => {
        const bytes = approxBytes(fact);
        let p = pending.get(fact.account_id);
        if (p !== undefined && (p.waiting.length >= MAX_ATTEMPTS || p.bytes + bytes > MAX_BYTES)) {
          pending.delete(fact.account_id);
          void send(p.waiting);
          p = undefined;
        }
        if (p === undefined) {
          p = { waiting: [], bytes: 0 };
          pending.set(fact.account_id, p);
        }
        p.waiting.push({ fact, resolve, reject });
        p.bytes += bytes;
        if (!scheduled) {
          scheduled = true;
          // After the I/O callbacks of this turn: the attempts that finished with this one join it.
          setImmediate(flush);
        }
      });
    },
  };
}
