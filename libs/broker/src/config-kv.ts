// Configuration state lives in a KV bucket; every process watches it into an in-memory view.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import {
  CONFIG_BUCKET,
  type ConfigKind,
  type ConfigRecordByKind,
  configKey,
  parseConfigKey,
} from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';

export interface ConfigChange {
  kind: ConfigKind;
  id: string;
  /** null when the record was deleted. */
  record: unknown;
  revision: number;
}

export interface ConfigKv {
  put<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<number>;
  /** Fails (returns null) when the key already exists. */
  create<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<number | null>;
  /** Compare-and-set on the revision last seen. Returns null on a conflict. */
  update<K extends ConfigKind>(
    kind: K,
    id: string,
    record: ConfigRecordByKind[K],
    previousRevision: number,
  ): Promise<number | null>;
  get<K extends ConfigKind>(kind: K, id: string): Promise<{ record: ConfigRecordByKind[K]; revision: number } | null>;
  delete(kind: ConfigKind, id: string): Promise<number>;
  /** Every current record as stored, with its revision. */
  list(): Promise<Array<{ kind: ConfigKind; id: string; record: unknown; revision: number }>>;
  /**
   * Drops every revision but the last of each key (a deleted key keeps only its delete marker), so
   * that values replaced since (plain-text or re-encrypted secrets) leave the bucket. Returns how many
   * messages went.
   */
  compact(): Promise<number>;
  /** Replays every current record, then streams changes. `onReady` fires once the initial state is loaded. */
  watch(onChange: (c: ConfigChange) => void, onReady: () => void): Promise<{ stop(): void }>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The compare-and-set lost: the key exists (create) or moved on since the revision given (update). */
function isWrongSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export async function openConfigKv(broker: Broker): Promise<ConfigKv> {
  const { nc, jsm } = handlesOf(broker);
  const kv: KV = await patiently(() => new Kvm(nc).open(CONFIG_BUCKET));
  return {
    put: (kind, id, record) => kv.put(configKey(kind, id), enc.encode(JSON.stringify(record))),
    async create(kind, id, record) {
      try {
        return await kv.create(configKey(kind, id), enc.encode(JSON.stringify(record)));
      } catch (err) {
        if (isWrongSequence(err)) return null;
        throw err;
      }
    },
    async update(kind, id, record, previousRevision) {
      try {
        return await kv.update(configKey(kind, id), enc.encode(JSON.stringify(record)), previousRevision);
      } catch (err) {
        if (isWrongSequence(err)) return null;
        throw err;
      }
    },
    async get<K extends ConfigKind>(kind: K, id: string) {
      const e = await kv.get(configKey(kind, id));
      if (!e || e.operation !== 'PUT') return null;
      return { record: JSON.parse(dec.decode(e.value)) as ConfigRecordByKind[K], revision: e.revision }; // as put() stored it
    },
    async list() {
      const out: Array<{ kind: ConfigKind; id: string; record: unknown; revision: number }> = [];
      for await (const key of await kv.keys()) {
        const parsed = parseConfigKey(key);
        if (!parsed) continue;
        const e = await kv.get(key);
        if (!e || e.operation !== 'PUT') continue;
        out.push({ ...parsed, record: JSON.parse(dec.decode(e.value)), revision: e.revision });
      }
      return out;
    },
    async compact() {
      const stream = `KV_${CONFIG_BUCKET}`;
      const info = await jsm.streams.info(stream, { subjects_filter: `$KV.${CONFIG_BUCKET}.>` });
      let purged = 0;
      for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
        if (count > 1) purged += (await jsm.streams.purge(stream, { filter: subject, keep: 1 })).purged;
      }
      return purged;
    },
    delete: async (kind, id) => {
      await kv.delete(configKey(kind, id));
      const e = await kv.get(configKey(kind, id));
      return e?.revision ?? 0;
    },
    async watch(onChange, onReady) {
      // The initial replay ends with the entry whose delta (messages still pending) is 0.
      let ready = false;
      const markReady = () => {
        if (!ready) {
          ready = true;
          onReady();
        }
      };
      const status = await patiently(() => kv.status());
      const iter = await patiently(() => kv.watch({ key: '>' }));
      if (status.values === 0) markReady();
      void (async () => {
        for await (const e of iter) {
          if (!ready && (e.delta ?? 0) === 0) queueMicrotask(markReady);
          const parsed = parseConfigKey(e.key);
          if (!parsed) continue;
          const record: unknown = e.operation === 'PUT' ? JSON.parse(dec.decode(e.value)) : null;
          onChange({ kind: parsed.kind, id: parsed.id, record, revision: e.revision });
        }
        markReady();
      })();
      return { stop: () => iter.stop() };
    },
  };
}
