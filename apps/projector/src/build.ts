// The projector's composition root: three durable pull consumers (events, facts, dead letters),
// each feeding a batcher that writes to Postgres. Tests and the all-in-one command call this.
import { type Broker, type ConsumerLoop, type InboundMsg, startConsumerLoop } from '@hookstream/broker';
import { type AttemptFact, type DeadLetter, type RoutedFact, STREAMS } from '@hookstream/contracts';
import type { Logger, Metrics, StreamName } from '@hookstream/observability';
import { type ApplyOptions, type EventInput, type Pool, type ProjectionBatch, applyBatch, countReadModels, readCheckpoints, truncateReadModels } from '@hookstream/store';
import { type Batcher, type BatcherStats, createBatcher } from './batcher.ts';
import { PROJECTED, type ProjectedStream, deleteProjectorConsumers, ensureProjectorConsumers } from './consumers.ts';
import { type Item, decodeMessage } from './decode.ts';

export { PROJECTED, ensureProjectorConsumers } from './consumers.ts';

export interface ProjectorDeps {
  broker: Broker;
  pool: Pool;
  log: Logger;
  /** Messages per transaction at most (default 500). */
  batchSize?: number;
  /** How long the first message of a batch waits for company (default 50 ms). */
  flushMs?: number;
  /** Payload bytes per transaction at most (default 16 MiB; event bodies reach 5 MB). */
  maxBatchBytes?: number;
  metrics?: Metrics;
  /** How often the lag gauges are refreshed when metrics are given (default 5 s). */
  lagIntervalMs?: number;
}

const METRIC_STREAM: Record<ProjectedStream, StreamName> = { HS_EVENTS: 'events', HS_FACTS: 'facts', HS_DEADLETTERS: 'dead_letters' };

export interface StreamLag {
  /** Highest sequence committed to the read models. */
  last_seq: number;
  /** Last sequence in the stream. */
  stream_last_seq: number;
  lag: number;
}

export interface Projector {
  start(): Promise<void>;
  /** Stops pulling, commits what is buffered (or hands it back if Postgres is away), then returns. */
  stop(): Promise<void>;
  lag(): Promise<Record<string, StreamLag>>;
  stats(): Record<string, BatcherStats>;
}

export function toBatch(stream: string, items: readonly Item[]): ProjectionBatch {
  let lastSeq = 0;
  const events: EventInput[] = [];
  const routed: RoutedFact[] = [];
  const attempts: AttemptFact[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const it of items) {
    lastSeq = Math.max(lastSeq, it.seq);
    if (it.kind === 'event') events.push(it.event);
    else if (it.kind === 'routed') routed.push(it.fact);
    else if (it.kind === 'attempt') attempts.push(it.fact);
    else if (it.kind === 'dead') deadLetters.push(it.letter);
  }
  return { stream, lastSeq, events, routed, attempts, deadLetters };
}

interface StreamRun {
  stream: ProjectedStream;
  consumer: string;
  batcher: Batcher;
  loop: ConsumerLoop;
}

/** Pulls one stream's durable consumer into a batcher that writes to Postgres. */
function startStream(deps: ProjectorDeps, stream: ProjectedStream, consumer: string, batchSize: number, apply: ApplyOptions = {}): StreamRun {
  const metrics = deps.metrics;
  const log = deps.log.child({ stream, consumer });
  const batcher = createBatcher({
    stream,
    batchSize,
    flushMs: deps.flushMs ?? 50,
    maxBytes: deps.maxBatchBytes ?? 16 * 1024 * 1024,
    log,
    write: async (items) => {
      const r = await applyBatch(deps.pool, toBatch(stream, items), apply);
      metrics?.projectionBatch(r.events + r.deliveries + r.attempts);
    },
  });
  const loop = startConsumerLoop({
    broker: deps.broker,
    stream,
    consumer,
    // Two batches in hand: one being written, the next gathering.
    maxInFlight: batchSize * 2,
    handle: (msg: InboundMsg) => batcher.add(msg, decodeMessage(stream, msg)),
    onError: (err) => log.error({ err }, 'projector consumer error'),
    onStatus: (kind, detail) => {
      if (kind === 'heartbeats_missed') metrics?.heartbeatMissed('projector');
      log.warn({ kind, detail }, 'projector consumer status');
    },
  });
  return { stream, consumer, batcher, loop };
}

async function stopStreams(runs: readonly StreamRun[]): Promise<void> {
  for (const r of runs) r.batcher.close();
  await Promise.all(runs.map((r) => r.loop.stop()));
}

export function buildProjector(deps: ProjectorDeps): Projector {
  const batchSize = deps.batchSize ?? 500;
  let runs: StreamRun[] = [];
  const batchers = new Map<ProjectedStream, Batcher>();
  let lagTimer: NodeJS.Timeout | undefined;
  const metrics = deps.metrics;

  return {
    async start() {
      await ensureProjectorConsumers(deps.broker);
      runs = PROJECTED.map(({ stream, consumer }) => startStream(deps, stream, consumer, batchSize));
      for (const r of runs) batchers.set(r.stream, r.batcher);
      if (metrics) {
        const refresh = async () => {
          try {
            const lag = await projectionLag(deps);
            for (const { stream } of PROJECTED) metrics.setProjectionLag(METRIC_STREAM[stream], lag[stream]?.lag ?? 0);
          } catch (err) {
            deps.log.debug({ err }, 'projection lag unavailable');
          }
        };
        lagTimer = setInterval(() => void refresh(), deps.lagIntervalMs ?? 5_000);
        lagTimer.unref();
      }
    },
    async stop() {
      clearInterval(lagTimer);
      await stopStreams(runs);
      runs = [];
    },
    lag: () => projectionLag(deps),
    stats: () => Object.fromEntries([...batchers].map(([s, b]) => [s, b.stats()])),
  };
}

/** How far the read models trail each stream (for /readyz and the benchmark). */
export async function projectionLag(deps: { broker: Broker; pool: Pool }): Promise<Record<string, StreamLag>> {
  const checkpoints = await readCheckpoints(deps.pool);
  const out: Record<string, StreamLag> = {};
  for (const { stream } of PROJECTED) {
    const info = await deps.broker.jsm.streams.info(stream);
    const last = checkpoints[stream]?.last_seq ?? 0;
    out[stream] = { last_seq: last, stream_last_seq: info.state.last_seq, lag: Math.max(0, info.state.last_seq - last) };
  }
  return out;
}

export interface RebuildOptions extends ProjectorDeps {
  /** Messages per transaction at most (default 5,000, and 1,000 for events). */
  batchSize?: number;
  /** Give up waiting for the catch-up after this long (default: no limit). */
  timeoutMs?: number;
}

export interface RebuildResult {
  events: number;
  deliveries: number;
  attempts: number;
  messages: number;
  duration_ms: number;
}

/** A rebuild writes far more per transaction than the live projector: fewer commits and round trips. */
const REBUILD_BATCH = 5_000;
// Two batches are held in memory per stream, and an event's body may reach 5 MB: events keep the
// in-flight bound of the live projector's order.
const REBUILD_EVENTS_BATCH = 1_000;

const STREAMS_ALL = PROJECTED.map((p) => p.stream);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drops the read models and projects every stream again from its first message: deletes the
 * projector consumers (running projectors lose theirs and re-attach to the new ones), truncates,
 * recreates the consumers with deliver-all, and projects until all three are drained.
 *
 * Facts and dead letters go first, events after them: an event row is then inserted with its final
 * status once, where events projected first would be updated by every fact that follows. Running
 * projectors that re-attach may take events earlier; that only costs the update back.
 */
export async function rebuild(deps: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  // Two batches in hand must fit under the consumers' max_ack_pending.
  const batchOf = (stream: ProjectedStream) => deps.batchSize ?? (stream === STREAMS.events ? REBUILD_EVENTS_BATCH : REBUILD_BATCH);
  deps.log.info('rebuild: dropping projector consumers and read models');
  await deleteProjectorConsumers(deps.broker);
  await truncateReadModels(deps.pool);
  await ensureProjectorConsumers(deps.broker);
  const runs: StreamRun[] = [];
  // Each batch holds one lock on all projection writes (running projectors wait for it) instead of
  // a lock per event: thousands per transaction would fill Postgres' lock table.
  const start = (which: readonly ProjectedStream[]) => {
    for (const { stream, consumer } of PROJECTED) if (which.includes(stream)) runs.push(startStream(deps, stream, consumer, batchOf(stream), { exclusive: true }));
  };
  /** Waits until each stream has at most `slack` messages left to project. */
  const drained = async (which: readonly ProjectedStream[], slack: number) => {
    for (;;) {
      const infos = await Promise.all(
        PROJECTED.filter(({ stream }) => which.includes(stream)).map(({ stream, consumer }) => deps.broker.jsm.consumers.info(stream, consumer)),
      );
      if (infos.every((i) => i.num_pending + i.num_ack_pending <= slack)) return;
      if (deps.timeoutMs !== undefined && Date.now() - started > deps.timeoutMs) throw new Error('rebuild: timed out waiting for the projection to catch up');
      await sleep(100);
    }
  };
  try {
    const facts = [STREAMS.facts, STREAMS.deadLetters] as const;
    start(facts);
    // Within a batch of the end is close enough: facts that arrive later are projected as usual.
    await drained(facts, batchOf(STREAMS.facts));
    start([STREAMS.events]);
    await drained(STREAMS_ALL, 0);
  } finally {
    await stopStreams(runs);
  }
  const counts = await countReadModels(deps.pool);
  const messages = runs.reduce((n, r) => n + r.batcher.stats().messages, 0);
  const result = { ...counts, messages, duration_ms: Date.now() - started };
  deps.log.info(result, 'rebuild: done');
  return result;
}
