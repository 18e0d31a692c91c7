// What tests read and write on a broker beyond the roles' own ports: every message of a stream,
// messages no role would publish (malformed, without headers), raw values of a KV bucket, a stream
// removed under a running role. Tests use these instead of the NATS client.
import { type Broker, type StoredMessage, StreamMissing } from '@hookstream/broker';
import { handlesOf } from '@hookstream/broker/internal';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders } from '@nats-io/transport-node';

/** Every message the stream holds now, in order (removed sequences skipped); none when it is missing. */
export async function streamMessages(broker: Broker, stream: string): Promise<StoredMessage[]> {
  let state;
  try {
    state = (await broker.streams.info(stream)).state;
  } catch (err) {
    if (err instanceof StreamMissing) return [];
    throw err;
  }
  const out: StoredMessage[] = [];
  for (let seq = state.first_seq; seq > 0 && seq <= state.last_seq; seq++) {
    const m = await broker.streams.get(stream, seq);
    if (m) out.push(m);
  }
  return out;
}

export interface RawPublishOptions {
  headers?: Record<string, string>;
  /** Nats-Msg-Id: the stream's duplicate window applies. */
  msgId?: string;
}

/** Publishes bytes as they are to a stream's subject and waits for the stream to store them. */
export async function publishRaw(
  broker: Broker,
  subject: string,
  data: Uint8Array | string,
  o: RawPublishOptions = {},
): Promise<{ stream: string; seq: number; duplicate: boolean }> {
  const { js } = handlesOf(broker);
  let h;
  if (o.headers) {
    h = natsHeaders();
    for (const [k, v] of Object.entries(o.headers)) h.set(k, v);
  }
  const ack = await js.publish(subject, typeof data === 'string' ? new TextEncoder().encode(data) : data, {
    ...(h ? { headers: h } : {}),
    ...(o.msgId ? { msgID: o.msgId } : {}),
  });
  return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
}

/** Removes a stream (or a KV bucket's stream) under whatever uses it. */
export async function deleteStream(broker: Broker, stream: string): Promise<void> {
  await handlesOf(broker).jsm.streams.delete(stream);
}

export interface RawBucketEntry {
  key: string;
  operation: 'PUT' | 'DEL' | 'PURGE';
  revision: number;
  /** The stored bytes as text. */
  value: string;
}

/** A KV bucket's values as stored, bypassing the roles' views (and their sealing of secrets). */
export interface RawBucket {
  /** The current value, or null when absent or deleted. */
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  /** Keys with a current value. */
  keys(): Promise<string[]>;
  /** Every revision the bucket still holds, of every key. */
  history(): Promise<RawBucketEntry[]>;
}

const dec = new TextDecoder();

export async function openRawBucket(broker: Broker, bucket: string): Promise<RawBucket> {
  const kv = await new Kvm(handlesOf(broker).nc).open(bucket);
  return {
    async get(key) {
      const e = await kv.get(key);
      return e && e.operation === 'PUT' ? dec.decode(e.value) : null;
    },
    async put(key, value) {
      await kv.put(key, value);
    },
    async keys() {
      const out: string[] = [];
      for await (const k of await kv.keys()) out.push(k);
      return out;
    },
    async history() {
      const out: RawBucketEntry[] = [];
      for await (const e of await kv.history({ key: '>' })) {
        out.push({ key: e.key, operation: e.operation, revision: e.revision, value: dec.decode(e.value) });
      }
      return out;
    },
  };
}
