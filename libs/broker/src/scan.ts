// Reading a stream over a range with an ordered (ephemeral, flow-controlled) consumer, and trimming
// it by subject: bulk replay re-reads HS_EVENTS, retention finds and removes what is past its window.
import { DeliverPolicy, JetStreamApiError, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Handles } from './connection.ts';
import type { StoredMessage } from './read.ts';
import { fromHeaders } from './publish.ts';

export interface ScanOptions {
  filterSubject: string;
  /** Start at this sequence (wins over startTime). */
  startSeq?: number;
  /** Start at the first message stored at or after this time (ms since the epoch). */
  startTime?: number;
  /** Stop after this sequence (inclusive); default: the stream's last sequence when the scan starts. */
  endSeq?: number;
  /** Stop at the first message stored after this time (ms since the epoch). */
  endTime?: number;
  /** Messages per callback (default 256). */
  batch?: number;
  /** Called with each batch in stream order; resolve false to stop the scan. */
  onBatch(messages: StoredMessage[]): Promise<boolean | void>;
}

export interface ScanResult {
  /** Messages handed to onBatch. */
  count: number;
  /** Sequence of the last message handed over (0: none). */
  lastSeq: number;
  /** True when onBatch asked to stop. */
  stopped: boolean;
}

const toStored = (m: JsMsg): StoredMessage => ({
  seq: m.info.streamSequence,
  subject: m.subject,
  timestampMs: m.time.getTime(),
  headers: fromHeaders(m.headers),
  data: m.data,
});

/**
 * Reads `stream` in order from a start position to an end (a sequence, a time, or the end of the
 * stream as it was when the scan began), in batches, with at most one batch in memory.
 */
export async function scanStream(h: Pick<Handles, 'js' | 'jsm'>, stream: string, o: ScanOptions): Promise<ScanResult> {
  const batch = Math.max(1, o.batch ?? 256);
  const endSeq = o.endSeq ?? (await h.jsm.streams.info(stream)).state.last_seq;
  const result: ScanResult = { count: 0, lastSeq: 0, stopped: false };
  if (o.startSeq !== undefined && o.startSeq > endSeq) return result;
  const start =
    o.startSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, o.startSeq) }
      : o.startTime !== undefined
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Math.max(0, o.startTime)).toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  const consumer = await h.js.consumers.get(stream, { filter_subjects: o.filterSubject, ...start });
  try {
    for (;;) {
      const messages: StoredMessage[] = [];
      let done = false;
      const iter = await consumer.fetch({ max_messages: batch, expires: 2_000 });
      for await (const m of iter) {
        const seq = m.info.streamSequence;
        if (seq > endSeq || (o.endTime !== undefined && m.time.getTime() > o.endTime)) {
          done = true;
          break;
        }
        messages.push(toStored(m));
        if (m.info.pending === 0 || seq === endSeq) {
          done = true;
          break;
        }
      }
      if (done) await iter.close().catch(() => {});
      if (messages.length > 0) {
        result.count += messages.length;
        result.lastSeq = (messages[messages.length - 1] as StoredMessage).seq;
        if ((await o.onBatch(messages)) === false) {
          result.stopped = true;
          return result;
        }
      }
      // An empty fetch means nothing (more) matches the filter.
      if (done || messages.length === 0) return result;
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
}

/** Sequence of the first message on `filterSubject` stored at or after `timeMs`, or null when there is none. */
export async function firstSeqAtOrAfter(
  h: Pick<Handles, 'js' | 'jsm'>,
  stream: string,
  filterSubject: string,
  timeMs: number,
): Promise<number | null> {
  let seq: number | null = null;
  await scanStream(h, stream, {
    filterSubject,
    startTime: timeMs,
    batch: 1,
    onBatch: ([m]) => {
      seq = m?.seq ?? null;
      return Promise.resolve(false);
    },
  });
  return seq;
}

/**
 * Removes the messages on `filterSubject` with a sequence below `keepFromSeq`; the others stay.
 * Returns how many were removed.
 */
export async function purgeSubjectBefore(
  jsm: JetStreamManager,
  stream: string,
  filterSubject: string,
  keepFromSeq: number,
): Promise<number> {
  if (keepFromSeq <= 1) return 0;
  try {
    const r = await jsm.streams.purge(stream, { filter: filterSubject, seq: keepFromSeq });
    return r.purged;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === 404) return 0;
    throw err;
  }
}
