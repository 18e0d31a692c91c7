// Composition root of the deliverer role: one consumer per active destination (its own durable
// consumer dst_<id>, shared by every copy of the role), the dead-letter watch, and graceful stop.
import type { Broker, Consumer, Publisher } from '@hookstream/broker';
import type { ConfigView } from '@hookstream/catalog';
import {
  type AttemptFact,
  CONSUMERS,
  type ConfigKind,
  type DestinationRecord,
  RESPONSE_EXCERPT_BYTES,
  STREAMS,
} from '@hookstream/contracts';
import { type DeliveryClient, createDeliveryClient } from '@hookstream/delivery-http';
import { type CircuitOptions, type CircuitState, createCircuit } from '@hookstream/domain';
import type { Logger, Metrics } from '@hookstream/observability';
import { type AttemptDeps, type DestinationGate, durably, handleDelivery } from './attempt.ts';
import { createAttemptRecorder } from './facts.ts';
import { Semaphore } from './gates.ts';
import { startDeadLetterWatch } from './watch.ts';
import { DestinationWorker } from './worker.ts';

export interface DelivererDeps {
  broker: Broker;
  view: ConfigView;
  publisher: Publisher;
  log: Logger;
  /** Let destinations on loopback and private addresses through (ALLOW_PRIVATE_DESTINATIONS). */
  allowPrivate: boolean;
  /** HTTP requests in flight across all destinations of this process. */
  maxInFlight: number;
  random?: () => number;
  now?: () => number;
  metrics?: Metrics;
  /** How long an idle destination's pull waits on the server (default 5 s): a stop waits for it. */
  pullExpiresMs?: number;
  /**
   * Bytes one destination pulls ahead and holds at most, or one larger message alone (default 4 MB):
   * with sixteen destinations pulling at once, what the server queues for the connection stays
   * within its default max_pending of 64 MB.
   */
  pullBytes?: number;
  /** Circuit breaker settings per destination (default: domain's DEFAULT_CIRCUIT_OPTIONS). */
  circuit?: CircuitOptions;
  /** Run the dead-letter watch in this process (default true). */
  deadLetterWatch?: boolean;
  /** One info line per attempt (LOG_DELIVERIES); otherwise they are at debug. */
  logDeliveries?: boolean;
}

export interface Deliverer {
  start(): Promise<void>;
  /** Stops pulling, finishes the requests in flight and records their outcomes, then returns. */
  stop(): Promise<void>;
  /** Destinations being pulled (for health and tests). */
  activeDestinations(): string[];
  /** The circuit of a destination in this process, if it has a worker. */
  circuitState(destinationId: string): CircuitState | null;
}

const HEARTBEAT_MS = 5_000;
const DEFAULT_PULL_BYTES = 4 * 1024 * 1024;

export function buildDeliverer(deps: DelivererDeps): Deliverer {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.log;
  const workers = new Map<string, DestinationWorker>();
  const chains = new Map<string, Promise<void>>();
  let client: DeliveryClient | null = null;
  let watch: Consumer | null = null;
  let started = false;
  let stopping = false;

  const fallbackGates = new Map<string, DestinationGate>();
  const attemptDeps = (c: DeliveryClient): AttemptDeps => {
    const d: AttemptDeps = {
      findDestination: (id) => deps.view.destinations.get(id),
      gateFor: (id) => {
        const w = workers.get(id);
        if (w) return w.gate;
        let g = fallbackGates.get(id);
        if (!g) fallbackGates.set(id, (g = { circuit: createCircuit(deps.circuit), bucket: null }));
        return g;
      },
      slots: new Semaphore(deps.maxInFlight),
      client: c,
      publisher: deps.publisher,
      log,
      attemptLogLevel: deps.logDeliveries ? 'info' : 'debug',
      now,
      random,
      stopping: () => stopping,
      heartbeatMs: HEARTBEAT_MS,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      readFact: async (seq) => {
        const m = await deps.broker.streams.get(STREAMS.facts, seq);
        if (!m) return null;
        try {
          return JSON.parse(Buffer.from(m.data).toString('utf8')) as AttemptFact;
        } catch {
          return null;
        }
      },
    };
    d.attempts = createAttemptRecorder(deps.publisher, (publish) => durably(publish, d));
    return d;
  };
  let handlerDeps: AttemptDeps | null = null;

  const workerFor = (id: string, record: DestinationRecord | null): DestinationWorker => {
    let w = workers.get(id);
    if (!w) {
      w = new DestinationWorker(id, record, {
        broker: deps.broker,
        log,
        now,
        handle: (msg, release) => handleDelivery(msg, handlerDeps as AttemptDeps, release),
        pullExpiresMs: deps.pullExpiresMs ?? 5_000,
        pullBytes: deps.pullBytes ?? DEFAULT_PULL_BYTES,
        circuit: deps.circuit,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      });
      workers.set(id, w);
    }
    return w;
  };

  /** Changes to one destination apply in order; different destinations do not wait for each other. */
  const enqueue = (id: string, task: () => Promise<void>): Promise<void> => {
    const next = (chains.get(id) ?? Promise.resolve())
      .then(() => (stopping ? undefined : task()))
      .catch((err: unknown) =>
        log.error({ destination_id: id, err: (err as Error).message }, 'destination worker change failed'),
      );
    chains.set(id, next);
    void next.finally(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
    return next;
  };

  /** Starts pulling a destination; a failure (NATS unreachable at that moment) is retried, never dropped. */
  const startWorker = async (d: DestinationRecord, retryMs = 1_000): Promise<void> => {
    try {
      await workerFor(d.id, d).start(d);
    } catch (err) {
      log.warn(
        { destination_id: d.id, err: (err as Error).message, retry_in_ms: retryMs },
        'destination loop did not start; retrying',
      );
      setTimeout(() => {
        const current = deps.view.destinations.get(d.id);
        if (!stopping && current?.active && !workers.get(d.id)?.running)
          void enqueue(d.id, () => startWorker(current, Math.min(retryMs * 2, 30_000)));
      }, retryMs).unref();
    }
  };

  const drain = (id: string) =>
    enqueue(id, async () => {
      const w = workerFor(id, null);
      await w.drain();
      void w.finished.then(() => {
        if (workers.get(id) === w && !deps.view.destinations.has(id)) workers.delete(id);
      });
    });

  const onChange = (kind: ConfigKind, id: string, record: unknown, previous: unknown) => {
    if (kind !== 'destination') return;
    const d = record as DestinationRecord | null;
    const prev = previous as DestinationRecord | null;
    if (d === null) {
      void drain(id);
      return;
    }
    void enqueue(id, async () => {
      const w = workers.get(id);
      if (!d.active) {
        // Paused: deliveries wait on the server, untouched, until it is active again.
        if (w) {
          await w.stop();
          workers.delete(id);
        }
        return;
      }
      if (w?.running) await w.reconfigure(d, prev);
      else await startWorker(d);
    });
  };

  /** Consumers of destinations deleted while no deliverer ran: drain them too. */
  const sweepOrphans = async () => {
    const prefix = CONSUMERS.destination('');
    for (const info of await deps.broker.consumers.list(STREAMS.deliveries)) {
      const id = info.name.startsWith(prefix) ? info.name.slice(prefix.length) : null;
      if (id !== null && !deps.view.destinations.has(id) && !workers.has(id)) void drain(id);
    }
  };

  return {
    async start() {
      if (started) return;
      started = true;
      client = createDeliveryClient({ allowPrivate: deps.allowPrivate, maxResponseBytes: RESPONSE_EXCERPT_BYTES });
      handlerDeps = attemptDeps(client);
      deps.view.on('change', onChange);
      const initial = [...deps.view.destinations.values()].filter((d) => d.active);
      await Promise.all(initial.map((d) => enqueue(d.id, () => startWorker(d))));
      await sweepOrphans().catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'orphan consumer sweep failed'),
      );
      if (deps.deadLetterWatch !== false)
        watch = startDeadLetterWatch({
          broker: deps.broker,
          publisher: deps.publisher,
          log,
          now,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
        });
      log.info({ destinations: initial.length }, 'deliverer started');
    },
    async stop() {
      if (!started || stopping) return;
      stopping = true;
      deps.view.off('change', onChange);
      await Promise.allSettled([...chains.values()]);
      await Promise.allSettled([watch?.stop(), ...[...workers.values()].map((w) => w.stop())]);
      workers.clear();
      await client?.close();
      log.info('deliverer stopped');
    },
    activeDestinations: () => [...workers.values()].filter((w) => w.running).map((w) => w.id),
    circuitState: (id) => workers.get(id)?.gate.circuit.state ?? null,
  };
}

/** The role's entry point for the gateway: built and started; stop() ends it. */
export async function start(deps: DelivererDeps): Promise<Deliverer> {
  const deliverer = buildDeliverer(deps);
  await deliverer.start();
  return deliverer;
}
