// Streams, consumers and buckets as code: created or updated idempotently at start.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type ConsumerConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CONFIG_BUCKET, CONSUMERS, STREAMS, SUBJECTS } from '@hookstream/contracts';
import { ConsumerMissing, type ConsumerSpec } from './admin.ts';
import { type Broker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';

export interface TopologyOptions {
  replicas: number;
  /** Dedupe window of ingest idempotency keys (and of every Nats-Msg-Id). */
  duplicateWindowS: number;
}

const NS = 1_000_000;
const DAY_NS = 86_400 * 1_000_000_000;
/** 5 MiB bodies plus headers. Servers must allow it too (max_payload 8MB in their config). */
export const MAX_MSG_BYTES = 6 * 1024 * 1024;

export function streamSpecs(o: TopologyOptions): Partial<StreamConfig>[] {
  const common = { storage: StorageType.File, num_replicas: o.replicas, discard: DiscardPolicy.Old };
  return [
    {
      ...common,
      name: STREAMS.events,
      subjects: [SUBJECTS.eventsAll],
      retention: RetentionPolicy.Limits,
      duplicate_window: o.duplicateWindowS * 1000 * NS,
      max_msg_size: MAX_MSG_BYTES,
      // Retention is per account, applied by the cleaner; no global age limit here.
      max_age: 0,
    },
    {
      ...common,
      name: STREAMS.deliveries,
      subjects: [SUBJECTS.deliveriesAll],
      retention: RetentionPolicy.Limits,
      duplicate_window: 3600 * 1000 * NS,
      max_msg_size: MAX_MSG_BYTES,
      // Kept after delivery so that a MAX_DELIVERIES advisory can still find its message.
      max_age: 14 * DAY_NS,
    },
    {
      ...common,
      name: STREAMS.facts,
      subjects: [SUBJECTS.factsAll],
      retention: RetentionPolicy.Limits,
      duplicate_window: 3600 * 1000 * NS,
      max_age: 0,
    },
    {
      ...common,
      name: STREAMS.deadLetters,
      subjects: [SUBJECTS.deadLettersAll],
      retention: RetentionPolicy.Limits,
      duplicate_window: 24 * 3600 * 1000 * NS,
      max_age: 0,
    },
    {
      ...common,
      name: STREAMS.audit,
      subjects: [SUBJECTS.auditAll],
      retention: RetentionPolicy.Limits,
      duplicate_window: 3600 * 1000 * NS,
      // An audit trail outlives the events it mentions: kept until an operator decides otherwise.
      max_age: 0,
    },
    {
      ...common,
      name: STREAMS.advisories,
      subjects: [SUBJECTS.maxDeliveriesAdvisory],
      retention: RetentionPolicy.Limits,
      max_age: 14 * DAY_NS,
    },
  ];
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/** Creates the stream, or updates what differs; asked again while the cluster cannot answer (patience.ts). */
export async function ensureStream(jsm: JetStreamManager, spec: Partial<StreamConfig>): Promise<void> {
  await patiently(() => ensureStreamOnce(jsm, spec));
}

async function ensureStreamOnce(jsm: JetStreamManager, spec: Partial<StreamConfig>): Promise<void> {
  const name = spec.name as string;
  try {
    const info = await jsm.streams.info(name);
    const { name: _n, storage: _s, retention: _r, ...mutable } = spec;
    const current = info.config as unknown as Record<string, unknown>;
    const changed = Object.entries(mutable).some(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v));
    if (changed) await jsm.streams.update(name, { ...info.config, ...mutable });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(spec as StreamConfig);
  }
}

/** Creates the durable consumer, or updates what differs; asked again while the cluster cannot answer. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  await patiently(() => ensureConsumerOnce(jsm, stream, config));
}

async function ensureConsumerOnce(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  const name = config.durable_name as string;
  try {
    const info = await jsm.consumers.info(stream, name);
    const current = info.config as unknown as Record<string, unknown>;
    const mutable = Object.fromEntries(
      Object.entries(config).filter(
        ([k]) => !['durable_name', 'name', 'deliver_policy', 'opt_start_seq', 'ack_policy'].includes(k),
      ),
    );
    const changed = Object.entries(mutable).some(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v));
    if (changed) await jsm.consumers.update(stream, name, mutable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
  }
}

export async function ensureTopology(broker: Broker, o: TopologyOptions): Promise<void> {
  const { jsm, nc } = handlesOf(broker);
  for (const spec of streamSpecs(o)) await ensureStream(jsm, spec);
  const kvm = new Kvm(nc);
  await patiently(() => kvm.create(CONFIG_BUCKET, { history: 5, replicas: o.replicas, storage: 'file' } as never));
  await ensureConsumer(jsm, STREAMS.events, {
    durable_name: CONSUMERS.router,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * NS,
    max_ack_pending: 2_000,
    // Router failures are infrastructure failures (publish timeouts); retry for a long while, never forever.
    max_deliver: 1_000,
  });
  await ensureConsumer(jsm, STREAMS.advisories, {
    durable_name: CONSUMERS.deadLetterWatch,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * NS,
    max_deliver: 1_000,
  });
}

export interface DestinationConsumerSpec {
  destinationId: string;
  maxAttempts: number;
  timeoutMs: number;
  maxInFlight: number;
}

/** Margin between the HTTP timeout and AckWait, so a slow attempt is never redelivered while in flight. */
export const ACK_WAIT_MARGIN_MS = 15_000;

export function destinationConsumerConfig(d: DestinationConsumerSpec): ConsumerSpec {
  return {
    durable_name: CONSUMERS.destination(d.destinationId),
    filter_subject: `hs.deliveries.${d.destinationId}`,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    ack_wait: (d.timeoutMs + ACK_WAIT_MARGIN_MS) * NS,
    max_deliver: d.maxAttempts,
    max_ack_pending: Math.max(d.maxInFlight * 4, 64),
  };
}

export async function ensureDestinationConsumer(broker: Broker, d: DestinationConsumerSpec): Promise<void> {
  await broker.consumers.ensure(STREAMS.deliveries, destinationConsumerConfig(d));
}

export async function deleteDestinationConsumer(broker: Broker, destinationId: string): Promise<void> {
  try {
    await broker.consumers.delete(STREAMS.deliveries, CONSUMERS.destination(destinationId));
  } catch (err) {
    if (!(err instanceof ConsumerMissing)) throw err;
  }
}
