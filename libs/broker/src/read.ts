// Direct reads of stored messages by sequence (replay, dead-letter watch).
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { fromHeaders } from './publish.ts';

export interface StoredMessage {
  seq: number;
  subject: string;
  timestampMs: number;
  headers: Record<string, string>;
  data: Uint8Array;
}

export async function readStreamMessage(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
): Promise<StoredMessage | null> {
  try {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m) return null;
    return {
      seq: m.seq,
      subject: m.subject,
      timestampMs: m.time.getTime(),
      headers: fromHeaders(m.header),
      data: m.data,
    };
  } catch (err) {
    if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.NoMessageFound || err.code === 404))
      return null;
    throw err;
  }
}
