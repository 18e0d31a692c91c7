// Failed console sign-ins, counted per (email, address) in a KV bucket so that every api copy
// agrees on a lockout. The bucket's max age is the lockout window: a counter not bumped for that
// long disappears, which is the lockout ending.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { SIGNIN_FAILURE_BUCKET } from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';

export interface SignInFailureKv {
  /** Failures recorded under the key within the window. */
  count(key: string): Promise<number>;
  /** Adds one failure (compare-and-set, so concurrent failures on two copies both count); answers the new count. */
  fail(key: string): Promise<number>;
  clear(key: string): Promise<void>;
}

const NS = 1_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

function isConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}

export async function openSignInFailureKv(
  broker: Broker,
  o: { replicas: number; windowMs: number },
): Promise<SignInFailureKv> {
  const { nc, jsm } = handlesOf(broker);
  const kv: KV = await patiently(() =>
    new Kvm(nc).create(SIGNIN_FAILURE_BUCKET, {
      history: 1,
      ttl: o.windowMs,
      replicas: o.replicas,
      storage: 'file',
    } as never),
  );
  const stream = `KV_${SIGNIN_FAILURE_BUCKET}`;
  const info = await patiently(() => jsm.streams.info(stream));
  if (info.config.max_age !== o.windowMs * NS) {
    await patiently(() => jsm.streams.update(stream, { ...info.config, max_age: o.windowMs * NS }));
  }
  const read = async (key: string): Promise<{ n: number; revision: number }> => {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT') return { n: 0, revision: 0 };
    const n = Number(dec.decode(e.value));
    return { n: Number.isSafeInteger(n) && n > 0 ? n : 0, revision: e.revision };
  };
  return {
    count: async (key) => (await read(key)).n,
    async fail(key) {
      for (let i = 0; i < 10; i++) {
        const { n, revision } = await read(key);
        try {
          if (revision === 0) await kv.create(key, enc.encode(String(n + 1)));
          else await kv.update(key, enc.encode(String(n + 1)), revision);
          return n + 1;
        } catch (err) {
          // Another copy counted a failure meanwhile (create() on a key that exists fails the same way): read again.
          if (!isConflict(err)) throw err;
        }
      }
      return (await read(key)).n;
    },
    async clear(key) {
      await kv.purge(key);
    },
  };
}
