// The NATS connection: one per process, watched so that outages are visible rather than fatal.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { type Coalescer, createCoalescer } from './coalesce.ts';
import { patiently } from './patience.ts';

export interface Broker {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Publishes and acks of one turn of the event loop leave in one socket write (coalesce.ts). */
  writes: Coalescer;
  /** True while the client is connected (false during reconnects). */
  connected(): boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  servers: string | string[];
  name: string;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
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
    onRetry: (err, attempt) => log('warn', `JetStream did not answer yet (${(err as Error).message}), asking again (attempt ${attempt + 1})`),
  });
  const writes = createCoalescer();
  return {
    nc,
    js,
    jsm,
    writes,
    connected: () => up && !nc.isClosed(),
    close: async () => {
      if (nc.isClosed()) return;
      writes.flush();
      await nc.drain().catch(() => nc.close());
    },
  };
}

/** The server answered with an error (a consumer or stream missing, a refusal), as opposed to no answer (a timeout, a lost connection). */
export function isServerAnswer(err: unknown): boolean {
  return err instanceof JetStreamApiError;
}
