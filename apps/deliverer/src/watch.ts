// The dead-letter watch: JetStream emits a MAX_DELIVERIES advisory when a delivery used its last
// attempt without an ack or a term — the deliverer died (or could not store facts) during it. The
// advisory is captured in HS_ADVISORIES; here it becomes a durable DeadLetter, so a crash on the
// last attempt still ends dead-lettered.
import { type Broker, type Consumer, type InboundMsg, type Publisher, startConsumer } from '@hookstream/broker';
import { type AttemptFact, CONSUMERS, STREAMS, decodeDeliveryMeta } from '@hookstream/contracts';
import type { Logger, Metrics } from '@hookstream/observability';
import { deadLetter } from './attempt.ts';

export interface WatchDeps {
  broker: Broker;
  publisher: Publisher;
  log: Logger;
  now: () => number;
  metrics?: Metrics;
}

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
  timestamp?: string;
}

function parseAdvisory(data: Uint8Array): MaxDeliveriesAdvisory | null {
  try {
    const a = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<MaxDeliveriesAdvisory>;
    if (
      typeof a.stream !== 'string' ||
      typeof a.consumer !== 'string' ||
      typeof a.stream_seq !== 'number' ||
      typeof a.deliveries !== 'number'
    ) {
      return null;
    }
    return a as MaxDeliveriesAdvisory;
  } catch {
    return null;
  }
}

export async function handleAdvisory(msg: InboundMsg, deps: WatchDeps): Promise<void> {
  const a = parseAdvisory(msg.data);
  if (!a) {
    deps.log.error({ stream_seq: msg.streamSeq }, 'unreadable MAX_DELIVERIES advisory: terminated');
    msg.term();
    return;
  }
  if (a.stream !== STREAMS.deliveries || !a.consumer.startsWith(CONSUMERS.destination(''))) {
    deps.log.error(
      { stream: a.stream, consumer: a.consumer, stream_seq: a.stream_seq },
      'a consumer gave up on a message',
    );
    msg.ack();
    return;
  }
  const stored = await deps.broker.streams.get(STREAMS.deliveries, a.stream_seq);
  if (!stored) {
    deps.log.warn({ stream_seq: a.stream_seq, consumer: a.consumer }, 'advisory for a delivery no longer stored');
    msg.ack();
    return;
  }
  let meta: ReturnType<typeof decodeDeliveryMeta>;
  try {
    meta = decodeDeliveryMeta(stored.headers);
  } catch (err) {
    deps.log.error({ stream_seq: a.stream_seq, err: (err as Error).message }, 'advisory for an unreadable delivery');
    msg.ack();
    return;
  }
  const { event, delivery } = meta;
  const nowMs = deps.now();
  const error = 'no outcome recorded: the deliverer stopped during this attempt';
  // Record the last attempt. Its fact id is deterministic, so if the deliverer did record an outcome
  // before dying, this publish is a duplicate and the PubAck points at that fact: a delivery that
  // was delivered (but whose ack was lost) must not be dead-lettered.
  const probe: AttemptFact = {
    v: 1,
    kind: 'attempt',
    account_id: event.account_id,
    event_id: event.event_id,
    delivery_id: delivery.delivery_id,
    destination_id: delivery.destination_id,
    attempt: Math.max(1, a.deliveries),
    started_at: a.timestamp ?? new Date(nowMs).toISOString(),
    duration_ms: 0,
    outcome: 'dead_letter',
    status_code: null,
    error_class: 'interrupted',
    error,
    response_headers: {},
    response_excerpt: '',
    next_attempt_at: null,
  };
  const stored2 = await deps.publisher.publishAttempt(probe);
  let recorded: AttemptFact | null = null;
  if (stored2.duplicate && stored2.seq > 0) {
    const prior = await deps.broker.streams.get(STREAMS.facts, stored2.seq);
    if (prior) {
      try {
        recorded = JSON.parse(Buffer.from(prior.data).toString('utf8')) as AttemptFact;
      } catch {
        recorded = null;
      }
    }
  }
  if (
    recorded?.kind === 'attempt' &&
    recorded.delivery_id === delivery.delivery_id &&
    recorded.outcome === 'delivered'
  ) {
    deps.log.info(
      { delivery_id: delivery.delivery_id },
      'max deliveries after a recorded delivery: nothing to dead-letter',
    );
    msg.ack();
    return;
  }
  const lastStatus = recorded?.status_code ?? null;
  const lastError = recorded ? recorded.error : error;
  await deps.publisher.publishDeadLetter(
    deadLetter(event, delivery, a.deliveries, 'max_deliveries_advisory', lastStatus, lastError, nowMs),
  );
  deps.metrics?.deadLetter('max_deliveries_advisory');
  deps.log.warn(
    {
      event_id: event.event_id,
      delivery_id: delivery.delivery_id,
      destination_id: delivery.destination_id,
      attempt: a.deliveries,
    },
    'dead-lettered from a MAX_DELIVERIES advisory',
  );
  await msg.ackSync();
}

export function startDeadLetterWatch(deps: WatchDeps): Consumer {
  return startConsumer({
    broker: deps.broker,
    stream: STREAMS.advisories,
    consumer: CONSUMERS.deadLetterWatch,
    maxMessages: 16,
    handle: (msg) => handleAdvisory(msg, deps),
    onError: (err) =>
      deps.log.warn({ err: (err as Error).message }, 'dead-letter watch failed; the advisory will be offered again'),
    onStatus: (s) => {
      if (s.kind === 'heartbeats_missed') deps.metrics?.heartbeatMissed('dead_letter_watch');
      deps.log.warn(s, 'dead-letter watch consumer status');
    },
  });
}
