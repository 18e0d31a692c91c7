// Streams as the roles see them: their state, one stored message, a scan over a range, and trimming
// by subject. Shapes use the JetStream API's JSON field names, cut to what the roles read.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { Handles } from './connection.ts';
import { type StoredMessage, readStreamMessage } from './read.ts';
import { type ScanOptions, type ScanResult, firstSeqAtOrAfter, purgeSubjectBefore, scanStream } from './scan.ts';

/** No stream of that name. */
export class StreamMissing extends Error {
  readonly stream: string;
  constructor(stream: string, options?: ErrorOptions) {
    super(`stream ${stream} does not exist`, options);
    this.name = 'StreamMissing';
    this.stream = stream;
  }
}

export interface StreamState {
  config: {
    name: string;
    subjects: string[];
    num_replicas: number;
    /** Nanoseconds; 0: no age limit. */
    max_age: number;
    duplicate_window?: number;
    max_msg_size?: number;
    /** A KV bucket's history. */
    max_msgs_per_subject?: number;
  };
  state: {
    messages: number;
    bytes: number;
    first_seq: number;
    last_seq: number;
    consumer_count: number;
    /** Messages per subject, when asked for with `subjects`. */
    subjects?: Record<string, number>;
  };
  /** Where the stream is replicated (a cluster only). */
  cluster?: {
    leader?: string;
    replicas?: Array<{ name: string; current: boolean; offline?: boolean; lag?: number }>;
  };
}

/** Every method throws StreamMissing when the stream does not exist. */
export interface StreamReader {
  /** `subjects` (a filter) adds the message count per matching subject. */
  info(stream: string, opts?: { subjects?: string }): Promise<StreamState>;
  /** The stream's last sequence now (0 when it is empty). */
  lastSeq(stream: string): Promise<number>;
  /** The message stored under `seq`; null when there is none (never stored, removed, expired). */
  get(stream: string, seq: number): Promise<StoredMessage | null>;
  /** Reads a range in order, in batches (scan.ts). */
  scan(stream: string, o: ScanOptions): Promise<ScanResult>;
  /** Sequence of the first message on `filterSubject` stored at or after `timeMs`, or null. */
  firstSeqAtOrAfter(stream: string, filterSubject: string, timeMs: number): Promise<number | null>;
  /** Removes the messages on `filterSubject` below `keepFromSeq`; returns how many went. */
  purgeSubjectBefore(stream: string, filterSubject: string, keepFromSeq: number): Promise<number>;
}

function isStreamMissing(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Runs a request about `stream`, its absence told as a StreamMissing whatever the request. */
async function about<T>(stream: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw isStreamMissing(err) ? new StreamMissing(stream, { cause: err }) : err;
  }
}

export function createStreamReader(h: Handles): StreamReader {
  const { jsm } = h;
  const info = (stream: string, opts?: { subjects?: string }): Promise<StreamState> =>
    about(stream, () => jsm.streams.info(stream, opts?.subjects ? { subjects_filter: opts.subjects } : undefined));
  return {
    info,
    lastSeq: async (stream) => (await info(stream)).state.last_seq,
    get: (stream, seq) => about(stream, () => readStreamMessage(jsm, stream, seq)),
    scan: (stream, o) => about(stream, () => scanStream(h, stream, o)),
    firstSeqAtOrAfter: (stream, filterSubject, timeMs) =>
      about(stream, () => firstSeqAtOrAfter(h, stream, filterSubject, timeMs)),
    purgeSubjectBefore: (stream, filterSubject, keepFromSeq) =>
      about(stream, () => purgeSubjectBefore(jsm, stream, filterSubject, keepFromSeq)),
  };
}
