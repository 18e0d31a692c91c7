// Files in a JetStream Object Store bucket (exports): written from an async source chunk by chunk,
// each chunk acknowledged before the next is read, so memory stays flat whatever the file size;
// any instance can serve them back.
import { Objm, type ObjectStore, StorageType } from '@nats-io/obj';
import { type Broker, handlesOf } from './connection.ts';

export interface ObjectBucketOptions {
  bucket: string;
  replicas: number;
  /** Objects older than this are dropped by the server, a backstop to explicit removal (0: never). */
  maxAgeMs?: number;
}

export interface StoredObject {
  name: string;
  size: number;
  digest: string;
}

export interface ObjectBucket {
  /** Writes the object from `source`, replacing an object of the same name once the new one is complete. */
  put(name: string, source: AsyncIterable<Uint8Array>, opts?: { contentType?: string }): Promise<StoredObject>;
  /** The object's bytes as a stream, or null when there is no such object. */
  get(name: string): Promise<{ size: number; data: ReadableStream<Uint8Array>; error: Promise<Error | null> } | null>;
  info(name: string): Promise<StoredObject | null>;
  /** Removes the object; no-op when it is absent. */
  remove(name: string): Promise<void>;
}

/** Creates the bucket when missing (idempotent) and opens it. */
export async function openObjectBucket(broker: Broker, o: ObjectBucketOptions): Promise<ObjectBucket> {
  const objm = new Objm(handlesOf(broker).js);
  const store: ObjectStore = await objm.create(o.bucket, {
    storage: StorageType.File,
    replicas: o.replicas,
    ...(o.maxAgeMs ? { ttl: o.maxAgeMs * 1_000_000 } : {}),
  });
  return {
    async put(name, source, opts) {
      const info = await store.put(
        { name, ...(opts?.contentType ? { metadata: { 'content-type': opts.contentType } } : {}) },
        ReadableStream.from(source),
      );
      return { name, size: info.size, digest: info.digest };
    },
    async get(name) {
      const r = await store.get(name);
      if (!r) return null;
      return { size: r.info.size, data: r.data, error: r.error };
    },
    async info(name) {
      const i = await store.info(name);
      return i && !i.deleted ? { name, size: i.size, digest: i.digest } : null;
    },
    async remove(name) {
      const i = await store.info(name);
      if (i && !i.deleted) await store.delete(name);
    },
  };
}
