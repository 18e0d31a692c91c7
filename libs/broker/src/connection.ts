// The NATS connection: one per process, watched so that outages are visible rather than fatal.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { type ConsumerAdmin, ConsumerMissing, createConsumerAdmin } from './admin.ts';
import { type Coalescer, createCoalescer } from './coalesce.ts';
import { patiently } from './patience.ts';
import { type StreamReader, StreamMissing, createStreamReader } from './reader.ts';

/**
 * The client's handles. Only this library's modules reach them (through handlesOf); index.ts does
 * not export them, so the roles work through the capabilities below.
 */
export interface Handles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Publishes and acks of one turn of the event loop leave in one socket write (coalesce.ts). */
  writes: Coalescer;
}

/**
 * A connection as the roles see it: capabilities, not the client. Publishing, buckets and pulls are
 * opened from it (createPublisher, openConfigKv, startConsumer, …).
 */
export interface Broker {
  /** Durable consumers: ensure, info, delete, list. */
  readonly consumers: ConsumerAdmin;
  /** Stored messages: stream state, get by sequence, scan, trim by subject. */
  readonly streams: StreamReader;
  /** True while the client is connected (false during reconnects). */
  connected(): boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  servers: string | string[];
  name: string;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

const known = new WeakMap<Broker, Handles>();

/** The client's handles behind a broker from connectBroker: for this library's modules only. */
export function handlesOf(broker: Broker): Handles {
  const h = known.get(broker);
  if (!h) throw new TypeError('not a broker made by connectBroker');
  return h;
}

export async function connectBroker(opts: ConnectOptions): Promise<Broker> {
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    // A role that starts while NATS restarts waits for it rather than exiting.
    waitOnFirstConnect: true,
    // An Error with a stack for every request is a large share of ingest's CPU; failures still
    // carry their message and code.
    noAsyncTraces: true,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  });
  let up = true;
  const log = opts.log ?? (() => {});
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        up = false;
        log('warn', 'nats disconnected');
      } else if (s.type === 'reconnect') {
        up = true;
        log('info', 'nats reconnected');
      } else if (s.type === 'error') {
        log('error', `nats error: ${s.error.message}`);
      }
    }
  })().catch(() => {});
  const js = jetstream(nc, { timeout: 10_000 });
  // Its first request (account info) waits for a cluster that is still electing its meta leader.
  const jsm = await patiently(() => jetstreamManager(nc, { timeout: 10_000 }), {
    onRetry: (err, attempt) =>
      log('warn', `JetStream did not answer yet (${(err as Error).message}), asking again (attempt ${attempt + 1})`),
  });
  const writes = createCoalescer();
  const handles: Handles = { nc, js, jsm, writes };
  const broker: Broker = {
    consumers: createConsumerAdmin(jsm),
    streams: createStreamReader(handles),
    connected: () => up && !nc.isClosed(),
    close: async () => {
      if (nc.isClosed()) return;
      writes.flush();
      await nc.drain().catch(() => nc.close());
    },
  };
  known.set(broker, handles);
  return broker;
}

/** The server answered with an error (a consumer or stream missing, a refusal), as opposed to no answer (a timeout, a lost connection). */
export function isServerAnswer(err: unknown): boolean {
  return err instanceof JetStreamApiError || err instanceof ConsumerMissing || err instanceof StreamMissing;
}
