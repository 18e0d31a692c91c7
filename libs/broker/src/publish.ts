// Publishing: every publish that may be repeated carries a deterministic Nats-Msg-Id, and a
// PubAck with duplicate=true is success. Acknowledgements come through pubacks.ts.
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import {
  type AttemptFact,
  type AttemptFacts,
  type DeadLetter,
  type DeliveryMeta,
  type EventMeta,
  type RoutedFact,
  type RoutedFacts,
  attemptFactSubject,
  deadLetterSubject,
  deliverySubject,
  encodeDeliveryHeaders,
  encodeEventHeaders,
  eventSubject,
  routedFactSubject,
} from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { type Stored, pubAcksOf } from './pubacks.ts';

export type { Stored } from './pubacks.ts';

function toHeaders(h: Record<string, string> | undefined, msgId: string | null): MsgHdrs | undefined {
  if (!h && msgId === null) return undefined;
  const out = natsHeaders();
  if (h) for (const k in h) out.set(k, h[k] as string);
  if (msgId !== null) out.set('Nats-Msg-Id', msgId);
  return out;
}

export function fromHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

export interface Publisher {
  /**
   * `msgId` is the idempotency key's id, or null: an event without a key cannot be sent twice
   * under the same id, and an id in the stream's duplicate window costs nats-server memory for
   * the whole window (24 h by default) — at 1,000 events/s, 86 million entries.
   */
  publishEvent(meta: EventMeta, body: Uint8Array, msgId: string | null): Promise<Stored>;
  publishDelivery(meta: EventMeta, delivery: DeliveryMeta, body: Uint8Array): Promise<Stored>;
  publishRouted(fact: RoutedFact): Promise<Stored>;
  /**
   * Several events' routings of one account in one message. No message id: a batch is never
   * published again as such (its events are routed again in other batches when it fails).
   */
  publishRoutings(facts: RoutedFacts): Promise<Stored>;
  /** `retake` distinguishes a second attempt that reuses a number (the server lost a delivery count). */
  publishAttempt(fact: AttemptFact, opts?: { retake?: string }): Promise<Stored>;
  /** Several attempts of one account in one message; `batchId` dedupes a retried publish of it. */
  publishAttempts(facts: AttemptFacts, batchId: string): Promise<Stored>;
  publishDeadLetter(dl: DeadLetter): Promise<Stored>;
}

const enc = new TextEncoder();

export function createPublisher(broker: Broker, timeoutMs = 10_000): Publisher {
  const { nc, writes } = handlesOf(broker);
  const acks = pubAcksOf(nc);
  const pub = (
    subject: string,
    data: Uint8Array,
    hdrs: Record<string, string> | undefined,
    msgId: string | null,
  ): Promise<Stored> =>
    new Promise((resolve, reject) => {
      const headers = toHeaders(hdrs, msgId);
      // Deferred: the publishes of one turn share one socket write.
      writes.defer(() => void acks.publish(subject, data, headers, timeoutMs).then(resolve, reject));
    });
  return {
    publishEvent: (meta, body, msgId) =>
      pub(eventSubject(meta.account_id, meta.direction, meta.source_id), body, encodeEventHeaders(meta), msgId),
    publishDelivery: (meta, delivery, body) =>
      pub(
        deliverySubject(delivery.destination_id),
        body,
        encodeDeliveryHeaders(meta, delivery),
        `dlv:${delivery.delivery_id}`,
      ),
    publishRouted: (fact) =>
      pub(
        routedFactSubject(fact.account_id),
        enc.encode(JSON.stringify(fact)),
        undefined,
        `routed:${fact.event_id}:${fact.replay_id ?? '-'}`,
      ),
    publishRoutings: (facts) =>
      pub(routedFactSubject(facts.account_id), enc.encode(JSON.stringify(facts)), undefined, null),
    publishAttempt: (fact, opts) =>
      pub(
        attemptFactSubject(fact.account_id),
        enc.encode(JSON.stringify(fact)),
        undefined,
        `attempt:${fact.delivery_id}:${fact.attempt}${opts?.retake ? `:${opts.retake}` : ''}`,
      ),
    publishAttempts: (facts, batchId) =>
      pub(attemptFactSubject(facts.account_id), enc.encode(JSON.stringify(facts)), undefined, `attempts:${batchId}`),
    publishDeadLetter: (dl) =>
      pub(deadLetterSubject(dl.account_id), enc.encode(JSON.stringify(dl)), undefined, `dead:${dl.delivery_id}`),
  };
}
