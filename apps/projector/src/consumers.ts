// The projector's durable consumers: one per stream it reads. Copies of the projector share them,
// so work is split between copies, never duplicated.
// Only libs/broker imports the NATS client; its types reach us through the broker's signatures.
import { type Broker, ensureConsumer } from '@hookstream/broker';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';

export type ProjectedStream = typeof STREAMS.events | typeof STREAMS.facts | typeof STREAMS.deadLetters;

export const PROJECTED: ReadonlyArray<{ stream: ProjectedStream; consumer: string }> = [
  { stream: STREAMS.events, consumer: CONSUMERS.projectEvents },
  { stream: STREAMS.facts, consumer: CONSUMERS.projectFacts },
  { stream: STREAMS.deadLetters, consumer: CONSUMERS.projectDeadLetters },
];

const NS = 1_000_000;

type ConsumerConfig = Parameters<typeof ensureConsumer>[2];

export function projectorConsumerConfig(consumer: string): ConsumerConfig {
  return {
    durable_name: consumer,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    // A batch waiting on Postgres is kept alive with working() between retries.
    ack_wait: 60_000 * NS,
    max_ack_pending: 10_000,
    // Unreadable messages are terminated explicitly and a Postgres outage holds messages rather than
    // nak'ing them, so redeliveries only come from crashes: a large bound, never unlimited.
    max_deliver: 1_000,
  };
}

export async function ensureProjectorConsumers(broker: Broker): Promise<void> {
  for (const { stream, consumer } of PROJECTED) await ensureConsumer(broker.jsm, stream, projectorConsumerConfig(consumer));
}

export async function deleteProjectorConsumers(broker: Broker): Promise<void> {
  for (const { stream, consumer } of PROJECTED) {
    try {
      await broker.jsm.consumers.delete(stream, consumer);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** JetStream API error codes: consumer not found, stream not found. */
export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 10014 || code === 10059;
}
