// Durable consumers as the roles see them: create or update, read, remove, list. The shapes are
// the JetStream API's own JSON field names, cut to what the roles read, so that no role needs the
// client's types; a missing consumer is a ConsumerMissing, never an error code to compare.
import { JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { ensureConsumer } from './topology.ts';

/** The consumer, or the stream it would read, does not exist. */
export class ConsumerMissing extends Error {
  readonly stream: string;
  readonly consumer: string;
  constructor(stream: string, consumer: string, options?: ErrorOptions) {
    super(`consumer ${consumer} on stream ${stream} does not exist`, options);
    this.name = 'ConsumerMissing';
    this.stream = stream;
    this.consumer = consumer;
  }
}

/** The settings of a durable pull consumer that the roles choose (durations in nanoseconds). */
export interface ConsumerSpec {
  durable_name: string;
  ack_policy: 'explicit' | 'all' | 'none';
  deliver_policy: 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';
  opt_start_seq?: number;
  filter_subject?: string;
  ack_wait?: number;
  max_deliver?: number;
  max_ack_pending?: number;
  /** Redelivery delays after a missed ack, in nanoseconds. */
  backoff?: number[];
}

export interface SequencePair {
  stream_seq: number;
  consumer_seq: number;
}

export interface ConsumerState {
  name: string;
  stream_name: string;
  config: Partial<ConsumerSpec>;
  /** Stored messages the consumer has not delivered yet. */
  num_pending: number;
  /** Delivered, not acknowledged yet. */
  num_ack_pending: number;
  num_redelivered: number;
  /** Pull requests waiting on the server. */
  num_waiting: number;
  delivered: SequencePair;
  /** Every message up to here is acknowledged. */
  ack_floor: SequencePair;
  /** Where the consumer is replicated (a cluster only). */
  cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean; offline?: boolean; lag?: number }> };
}

export interface ConsumerAdmin {
  /** Creates the durable consumer, or updates what differs; asked again while the cluster cannot answer. */
  ensure(stream: string, spec: ConsumerSpec): Promise<void>;
  /** Throws ConsumerMissing when there is no such consumer (or stream). */
  info(stream: string, consumer: string): Promise<ConsumerState>;
  /** Throws ConsumerMissing when there is no such consumer (or stream). */
  delete(stream: string, consumer: string): Promise<void>;
  /** Every consumer of the stream (none when the stream is missing). */
  list(stream: string): Promise<ConsumerState[]>;
}

/** The answer of a request naming a consumer or stream that does not exist. */
export function isMissing(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.ConsumerNotFound || err.code === JetStreamApiCodes.StreamNotFound)
  );
}

function missingOr(err: unknown, stream: string, consumer: string): Error {
  return isMissing(err) ? new ConsumerMissing(stream, consumer, { cause: err }) : (err as Error);
}

/** The client's enums hold the same strings as ConsumerSpec's unions (its AckPolicy adds a "not set"). */
const stateOf = (c: ConsumerInfo): ConsumerState => c as unknown as ConsumerState;

export function createConsumerAdmin(jsm: JetStreamManager): ConsumerAdmin {
  return {
    ensure: (stream, spec) => ensureConsumer(jsm, stream, spec),
    async info(stream, consumer) {
      try {
        return stateOf(await jsm.consumers.info(stream, consumer));
      } catch (err) {
        throw missingOr(err, stream, consumer);
      }
    },
    async delete(stream, consumer) {
      try {
        await jsm.consumers.delete(stream, consumer);
      } catch (err) {
        throw missingOr(err, stream, consumer);
      }
    },
    async list(stream) {
      const out: ConsumerState[] = [];
      try {
        for await (const c of jsm.consumers.list(stream)) out.push(stateOf(c));
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
      return out;
    },
  };
}
