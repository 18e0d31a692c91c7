// Attempt facts, stored together when they finish together (libs/broker turns.ts): one message per
// account for the attempts that end in the same turn. An attempt finishing alone is stored alone.
//
// An attempt that may be its destination's last is never put in a batch: when a deliverer dies
// during it, the dead-letter watch tells "recorded" from "lost" by re-publishing that attempt's
// fact under its own message id (watch.ts). Such attempts bypass this module.
import { randomUUID } from 'node:crypto';
import { type Publisher, type Stored, createTurnBatcher } from '@hookstream/broker';
import type { AttemptFact } from '@hookstream/contracts';

/** At most this many attempts per message, and about this many bytes. */
const MAX_ATTEMPTS = 100;
const MAX_BYTES = 256 * 1024;

/** An upper bound of a fact's JSON size: text counted at 3 bytes a character, as UTF-8 may take. */
function approxBytes(fact: AttemptFact): number {
  let n = 512 + fact.response_excerpt.length * 3 + (fact.error?.length ?? 0) * 3;
  for (const k in fact.response_headers) n += k.length + (fact.response_headers[k] as string).length * 3 + 8;
  return n;
}

export interface AttemptRecorder {
  /**
   * Resolves once the fact is stored: with its PubAck when it was stored alone, with null when it
   * was stored with others. Rejects when it could not be stored (after `durably`'s retries).
   */
  record(fact: AttemptFact): Promise<Stored | null>;
}

/** `durably` retries a publish a few times before giving up (attempt.ts). */
export function createAttemptRecorder(
  publisher: Publisher,
  durably: <T>(publish: () => Promise<T>) => Promise<T>,
): AttemptRecorder {
  const batcher = createTurnBatcher<AttemptFact, Stored>({
    keyOf: (fact) => fact.account_id,
    sizeOf: approxBytes,
    maxFacts: MAX_ATTEMPTS,
    maxBytes: MAX_BYTES,
    one: (fact) => durably(() => publisher.publishAttempt(fact)),
    many: (attempts) => {
      // One id for the message, kept across retries: a publish that timed out but was stored is
      // not stored twice.
      const batchId = randomUUID();
      const account_id = (attempts[0] as AttemptFact).account_id;
      return durably(() => publisher.publishAttempts({ v: 1, kind: 'attempts', account_id, attempts }, batchId));
    },
  });
  return { record: (fact) => batcher.store(fact) };
}
