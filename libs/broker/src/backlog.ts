// How much work waits in durable consumers, read from the server (consumer info): the backlog of a
// destination, and how far behind the projection is in time.
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import type { Broker } from './connection.ts';

/** Messages not yet acked by a durable consumer (waiting or in flight); null when it does not exist. */
async function backlogOf(
  broker: Pick<Broker, 'consumers'>,
  stream: string,
  consumer: string,
): Promise<{ waiting: number; ackFloor: number } | null> {
  try {
    const info = await broker.consumers.info(stream, consumer);
    return { waiting: info.num_pending + info.num_ack_pending, ackFloor: info.ack_floor.stream_seq };
  } catch {
    return null;
  }
}

/** Per destination, the deliveries waiting in its consumer or in flight; null where unknown. */
export async function destinationBacklogs(
  broker: Pick<Broker, 'consumers'>,
  destinationIds: readonly string[],
): Promise<Map<string, number | null>> {
  const out = await Promise.all(
    destinationIds.map(
      async (id) =>
        [id, (await backlogOf(broker, STREAMS.deliveries, CONSUMERS.destination(id)))?.waiting ?? null] as const,
    ),
  );
  return new Map(out);
}

const PROJECTOR_CONSUMERS: Array<[string, string]> = [
  [STREAMS.events, CONSUMERS.projectEvents],
  [STREAMS.facts, CONSUMERS.projectFacts],
  [STREAMS.deadLetters, CONSUMERS.projectDeadLetters],
  [STREAMS.audit, CONSUMERS.projectAudit],
];

/**
 * The age of the oldest message the projector has not committed, over its streams (0 when
 * it has none); null when its consumers cannot be read.
 */
export async function projectionLagMs(
  broker: Pick<Broker, 'consumers' | 'streams'>,
  nowMs: number,
): Promise<number | null> {
  const lags = await Promise.all(
    PROJECTOR_CONSUMERS.map(async ([stream, consumer]) => {
      const b = await backlogOf(broker, stream, consumer);
      if (!b) return null;
      if (b.waiting === 0) return 0;
      const oldest = await broker.streams.get(stream, b.ackFloor + 1).catch(() => null);
      return oldest ? Math.max(0, nowMs - oldest.timestampMs) : 0;
    }),
  );
  if (lags.some((l) => l === null)) return null;
  return Math.max(0, ...(lags as number[]));
}
