// Console sessions in a KV bucket, so every api copy sees a sign-in and a sign-out at once. The
// bucket's max age is the idle period: a session touched now and then is rewritten and lives on,
// an idle one is dropped by the server.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { CONSOLE_SESSION_BUCKET, type ConsoleSessionRecord } from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';

export interface ConsoleSessionKv {
  get(key: string): Promise<{ record: ConsoleSessionRecord; revision: number } | null>;
  put(key: string, record: ConsoleSessionRecord): Promise<void>;
  /** Compare-and-set on the revision last read; false when the entry changed or went meanwhile. */
  update(key: string, record: ConsoleSessionRecord, previousRevision: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Files the key under its member, so that removing the member can find the member's sessions. */
  indexByMember(memberId: string, key: string): Promise<void>;
  /** Removes every session filed under the member (and the index entries); answers how many. */
  deleteForMember(memberId: string): Promise<number>;
}

/** Index entries live beside the sessions, under a prefix no session key (a hex digest) can have. */
const memberPrefix = (memberId: string) => `bymember.${memberId}`;

export interface ConsoleSessionKvOptions {
  replicas: number;
  idleMs: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const NS = 1_000_000;

function isRecord(v: unknown): v is ConsoleSessionRecord {
  const r = v as Record<string, unknown>;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.account_id === 'string' &&
    typeof r.api_key_id === 'string' &&
    typeof r.created_at === 'string' &&
    typeof r.last_seen_at === 'string'
  );
}

function isWrongSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}

/** Creates the bucket when missing, brings its max age to the idle period, and opens it. */
export async function openConsoleSessionKv(broker: Broker, o: ConsoleSessionKvOptions): Promise<ConsoleSessionKv> {
  const { nc, jsm } = handlesOf(broker);
  const kv: KV = await patiently(() =>
    new Kvm(nc).create(CONSOLE_SESSION_BUCKET, {
      history: 1,
      ttl: o.idleMs,
      replicas: o.replicas,
      storage: 'file',
    } as never),
  );
  // An existing bucket keeps the settings it was made with; follow a changed idle period.
  const stream = `KV_${CONSOLE_SESSION_BUCKET}`;
  const info = await patiently(() => jsm.streams.info(stream));
  if (info.config.max_age !== o.idleMs * NS) {
    await patiently(() => jsm.streams.update(stream, { ...info.config, max_age: o.idleMs * NS }));
  }
  return {
    async get(key) {
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT') return null;
      try {
        const v: unknown = JSON.parse(dec.decode(e.value));
        return isRecord(v) ? { record: v, revision: e.revision } : null;
      } catch {
        return null;
      }
    },
    async put(key, record) {
      await kv.put(key, enc.encode(JSON.stringify(record)));
    },
    async update(key, record, previousRevision) {
      try {
        await kv.update(key, enc.encode(JSON.stringify(record)), previousRevision);
        return true;
      } catch (err) {
        if (isWrongSequence(err)) return false;
        throw err;
      }
    },
    async delete(key) {
      // purge, not delete: nothing of the session stays behind in the bucket.
      await kv.purge(key);
    },
    async indexByMember(memberId, key) {
      await kv.put(`${memberPrefix(memberId)}.${key}`, enc.encode('{}'));
    },
    async deleteForMember(memberId) {
      const prefix = memberPrefix(memberId);
      const found: string[] = [];
      for await (const k of await kv.keys(`${prefix}.*`)) found.push(k);
      for (const k of found) {
        await kv.purge(k.slice(prefix.length + 1));
        await kv.purge(k);
      }
      return found.length;
    },
  };
}
