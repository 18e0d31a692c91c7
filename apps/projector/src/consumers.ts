// The projector's durable consumers: one per stream it reads. Copies of the projector share them,
// so work is split between copies, never duplicated.
import { type ConsumerAdmin, ConsumerMissing, type ConsumerSpec } from '@hookstream/broker';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';

export type ProjectedStream = typeof STREAMS.events | typeof STREAMS.facts | typeof STREAMS.deadLetters;

export const PROJECTED: ReadonlyArray<{ stream: ProjectedStream; consumer: string }> = [
  { stream: STREAMS.events, consumer: CONSUMERS.projectEvents },
  { stream: STREAMS.facts, consumer: CONSUMERS.projectFacts },
  { stream: STREAMS.deadLetters, consumer: CONSUMERS.projectDeadLetters },
];

const NS = 1_000_000;

export function projectorConsumerConfig(consumer: string): ConsumerSpec {
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

export async function ensureProjectorConsumers(consumers: ConsumerAdmin): Promise<void> {
  for (const { stream, consumer } of PROJECTED) await consumers.ensure(stream, projectorConsumerConfig(consumer));
}

export async function deleteProjectorConsumers(consumers: ConsumerAdmin): Promise<void> {
  for (const { stream, consumer } of PROJECTED) {
    try {
      await consumers.delete(stream, consumer);
    } catch (err) {
      if (!(err instanceof ConsumerMissing)) throw err;
    }
  }
}
