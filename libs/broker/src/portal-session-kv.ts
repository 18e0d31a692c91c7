// Portal sessions in a KV bucket, so every api copy sees a session, its exchange and its revocation
// at once. Values are JSON the caller checks; this file only stores them. The bucket's max age is
// the longest a session may live: nats-server before 2.11 has no per-key TTL, so every entry is
// dropped by the server at the latest that long after its last write, and the api refuses a
// session past its own expiry before then.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { PORTAL_SESSION_BUCKET } from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';

export interface PortalSessionKv {
  get(key: string): Promise<{ value: unknown; revision: number } | null>;
  /** Writes only when the key holds nothing; false when it does. */
  create(key: string, value: unknown): Promise<boolean>;
  /** Compare-and-set on the revision last read; false when the entry changed or went meanwhile. */
  update(key: string, value: unknown, previousRevision: number): Promise<boolean>;
  /** Removes the entry and its history. */
  delete(key: string): Promise<void>;
  /** The keys that start with the prefix (a prefix ends with '.'). */
  keys(prefix: string): Promise<string[]>;
}

export interface PortalSessionKvOptions {
  replicas: number;
  /** The longest a session may live. */
  maxAgeMs: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const NS = 1_000_000;

function isWrongSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}

/** Creates the bucket when missing, brings its max age to the longest session, and opens it. */
export async function openPortalSessionKv(broker: Broker, o: PortalSessionKvOptions): Promise<PortalSessionKv> {
  const { nc, jsm } = handlesOf(broker);
  const kv: KV = await patiently(() =>
    new Kvm(nc).create(PORTAL_SESSION_BUCKET, {
      history: 1,
      ttl: o.maxAgeMs,
      replicas: o.replicas,
      storage: 'file',
    } as never),
  );
  const stream = `KV_${PORTAL_SESSION_BUCKET}`;
  const info = await patiently(() => jsm.streams.info(stream));
  if (info.config.max_age !== o.maxAgeMs * NS) {
    await patiently(() => jsm.streams.update(stream, { ...info.config, max_age: o.maxAgeMs * NS }));
  }
  return {
    async get(key) {
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT') return null;
      try {
        return { value: JSON.parse(dec.decode(e.value)) as unknown, revision: e.revision };
      } catch {
        return null;
      }
    },
    async create(key, value) {
      try {
        await kv.create(key, enc.encode(JSON.stringify(value)));
        return true;
      } catch (err) {
        if (isWrongSequence(err)) return false;
        throw err;
      }
    },
    async update(key, value, previousRevision) {
      try {
        await kv.update(key, enc.encode(JSON.stringify(value)), previousRevision);
        return true;
      } catch (err) {
        if (isWrongSequence(err)) return false;
        throw err;
      }
    },
    async delete(key) {
      await kv.purge(key);
    },
    async keys(prefix) {
      const out: string[] = [];
      for await (const k of await kv.keys(`${prefix}>`)) out.push(k);
      return out;
    },
  };
}
