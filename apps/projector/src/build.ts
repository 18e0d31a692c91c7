// The projector's composition root: three durable pull consumers (events, facts, dead letters)
// feeding one batcher, whose transactions mix the streams: an event and the facts that follow it
// within a batch are written together, each row once. Tests and the all-in-one command call this.
import { type Broker, type Consumer, type InboundMsg, isServerAnswer, startConsumer } from '@hookstream/broker';
import { type AttemptFact, type DeadLetter, type RoutedFact, STREAMS } from '@hookstream/contracts';
import type { Logger, Metrics, StreamName } from '@hookstream/observability';
import {
  type ApplyOptions,
  type EventInput,
  type Pool,
  type ProjectionBatch,
  WRITER_SLOTS,
  applyBatch,
  countReadModels,
  readCheckpoints,
  truncateReadModels,
} from '@hookstream/store';
import { type Batcher, type BatcherStats, createBatcher } from './batcher.ts';
import { PROJECTED, type ProjectedStream, deleteProjectorConsumers, ensureProjectorConsumers } from './consumers.ts';
import { type Item, decodeMessage } from './decode.ts';
import { partsBySlot, splitMessage } from './slots.ts';
import { type AuditPipe, ensureAuditConsumer, rebuildAudit, startAuditPipe } from './audit.ts';

export { PROJECTED, ensureProjectorConsumers } from './consumers.ts';

export interface ProjectorDeps {
  broker: Broker;
  pool: Pool;
  log: Logger;
  /** Messages per transaction at most (default 500). */
  batchSize?: number;
  /**
   * How long the first message of a batch waits for company (default 100 ms): long enough for most
   * events' routing and first attempt to join them, short next to the projection's 1 s budget.
   */
  flushMs?: number;
  /** Payload bytes per transaction at most (default 16 MiB; event bodies reach 5 MB). */
  maxBatchBytes?: number;
  metrics?: Metrics;
  /** How often the lag gauges are refreshed when metrics are given (default 5 s). */
  lagIntervalMs?: number;
}

const METRIC_STREAM: Record<ProjectedStream, StreamName> = {
  HS_EVENTS: 'events',
  HS_FACTS: 'facts',
  HS_DEADLETTERS: 'dead_letters',
};

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
  /** The live batcher's counters (all three streams). */
  stats(): BatcherStats;
}

export function toBatch(items: readonly Item[]): ProjectionBatch {
  const checkpoints: Record<string, number> = {};
  const events: EventInput[] = [];
  const routed: RoutedFact[] = [];
  const attempts: AttemptFact[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const it of items) {
    checkpoints[it.stream] = Math.max(checkpoints[it.stream] ?? 0, it.seq);
    if (it.kind === 'event') events.push(it.event);
    else if (it.kind === 'routed') routed.push(it.fact);
    else if (it.kind === 'routings') for (const f of it.facts) routed.push(f);
    else if (it.kind === 'attempt') attempts.push(it.fact);
    else if (it.kind === 'attempts') for (const f of it.facts) attempts.push(f);
    else if (it.kind === 'dead') deadLetters.push(it.letter);
  }
  return { checkpoints, events, routed, attempts, deadLetters };
}

/** Batchers writing to Postgres, fed by the consumer loops of one or more streams. */
interface Pipe {
  batchers: Batcher[];
  loops: Consumer[];
}

function createWriter(deps: ProjectorDeps, name: string, batchSize: number, apply: ApplyOptions = {}): Batcher {
  return createBatcher({
    name,
    batchSize,
    flushMs: deps.flushMs ?? 100,
    maxBytes: deps.maxBatchBytes ?? 16 * 1024 * 1024,
    log: deps.log.child({ batcher: name }),
    write: async (items) => {
      const r = await applyBatch(deps.pool, toBatch(items), apply);
      deps.metrics?.projectionBatch(r.events + r.deliveries + r.attempts);
    },
  });
}

/** Pulls one stream's durable consumer into `handle`, with at most `inHand` of its messages held. */
function pull(
  deps: ProjectorDeps,
  stream: ProjectedStream,
  consumer: string,
  inHand: number,
  handle: (msg: InboundMsg) => Promise<void>,
): Consumer {
  const metrics = deps.metrics;
  const log = deps.log.child({ stream, consumer });
  return startConsumer({
    broker: deps.broker,
    stream,
    consumer,
    maxMessages: inHand,
    handle,
    onError: (err) => log.error({ err }, 'projector consumer error'),
    onStatus: (s) => {
      if (s.kind === 'heartbeats_missed') metrics?.heartbeatMissed('projector');
      log.warn(s, 'projector consumer status');
    },
  });
}

async function stopPipes(pipes: readonly Pipe[]): Promise<void> {
  for (const p of pipes) for (const b of p.batchers) b.close();
  await Promise.all(pipes.flatMap((p) => p.loops.map((l) => l.stop())));
}

export function buildProjector(deps: ProjectorDeps): Projector {
  const batchSize = deps.batchSize ?? 500;
  const batcher = createWriter(deps, 'projection', batchSize);
  let pipe: Pipe | undefined;
  let audit: AuditPipe | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  const metrics = deps.metrics;

  return {
    async start() {
      await ensureProjectorConsumers(deps.broker.consumers);
      await ensureAuditConsumer(deps.broker.consumers);
      audit = startAuditPipe(deps);
      // A batch's worth per stream: with three streams into one batcher, the next batch gathers while
      // one is written.
      pipe = {
        batchers: [batcher],
        loops: PROJECTED.map(({ stream, consumer }) =>
          pull(deps, stream, consumer, batchSize, (msg) => batcher.add(msg, decodeMessage(stream, msg))),
        ),
      };
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
      if (pipe) await stopPipes([pipe]);
      await audit?.stop();
      pipe = undefined;
      audit = undefined;
    },
    lag: () => projectionLag(deps),
    stats: () => batcher.stats(),
  };
}

/** The role's entry point for the gateway: built and started; stop() ends it. */
export async function start(deps: ProjectorDeps): Promise<Projector> {
  const projector = buildProjector(deps);
  await projector.start();
  return projector;
}

/** How far the read models trail each stream (for /readyz and the benchmark). */
export async function projectionLag(deps: {
  broker: Pick<Broker, 'streams'>;
  pool: Pool;
}): Promise<Record<string, StreamLag>> {
  const checkpoints = await readCheckpoints(deps.pool);
  const out: Record<string, StreamLag> = {};
  for (const { stream } of PROJECTED) {
    const streamLast = await deps.broker.streams.lastSeq(stream);
    const last = checkpoints[stream]?.last_seq ?? 0;
    out[stream] = { last_seq: last, stream_last_seq: streamLast, lag: Math.max(0, streamLast - last) };
  }
  return out;
}

export interface RebuildOptions extends ProjectorDeps {
  /** Messages per transaction at most (default 2,500, and 500 for events). */
  batchSize?: number;
  /** Give up waiting for the catch-up after this long (default: no limit). */
  timeoutMs?: number;
  /** Hears when the events phase starts (facts and dead letters are then projected). */
  onEventsPhase?(): void;
}

export interface RebuildResult {
  events: number;
  deliveries: number;
  attempts: number;
  messages: number;
  duration_ms: number;
}

/** A rebuild writes far more per transaction than the live projector: fewer commits and round trips. */
const REBUILD_BATCH = 2_500;
// Event bodies reach 5 MB: events keep the in-flight bound of the live projector's order.
const REBUILD_EVENTS_BATCH = 500;
// What a pull asks for is bounded in bytes too (DEFAULT_WINDOW_BYTES of libs/broker): with the
// writers' whole in-hand bound of fact messages (10,000, up to 256 KB each) asked for at once, a
// rebuild busy decoding was cut off as a slow consumer.

/**
 * One stream's consumer feeding a writer per slot of the writers' lock: while one waits on Postgres
 * the other works, and Postgres runs both. `inHand` bounds the messages held (it must fit under the
 * consumer's max_ack_pending); `counted` hears of each message once it is acked.
 */
function pullBySlot(
  deps: ProjectorDeps,
  stream: ProjectedStream,
  consumer: string,
  batchSize: number,
  inHand: number,
  counted: () => void,
): Pipe {
  const batchers = Array.from({ length: WRITER_SLOTS }, (_, slot) =>
    createWriter(deps, `rebuild ${stream} ${slot}`, batchSize, { exclusive: true, slot }),
  );
  const handle = async (msg: InboundMsg) => {
    const parts = partsBySlot(decodeMessage(stream, msg));
    const msgs = splitMessage(msg, parts.length, counted);
    await Promise.all(parts.map(([slot, item], i) => (batchers[slot] as Batcher).add(msgs[i] as InboundMsg, item)));
  };
  return { batchers, loops: [pull(deps, stream, consumer, inHand, handle)] };
}

const STREAMS_ALL = PROJECTED.map((p) => p.stream);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rebuild did not catch up with the streams within its `timeoutMs`. */
export class RebuildTimeout extends Error {
  override name = 'RebuildTimeout';
}

/**
 * Drops the read models and projects every stream again from its first message: deletes the
 * projector consumers (running projectors lose theirs and re-attach to the new ones), truncates,
 * recreates the consumers with deliver-all, and projects until all three are drained.
 *
 * Facts and dead letters go first, events after them: an event row is then inserted with its final
 * status once, where events projected first would be updated by every fact that follows. Running
 * projectors that re-attach may take events earlier; that only costs the update back. Every stream
 * goes through a writer per slot of the writers' lock (libs/store locks.ts), each taking the
 * messages of the events of its slot: the writers of different slots share no event and run at once.
 */
export async function rebuild(deps: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  const batchOf = (stream: ProjectedStream) =>
    deps.batchSize ?? (stream === STREAMS.events ? REBUILD_EVENTS_BATCH : REBUILD_BATCH);
  deps.log.info('rebuild: dropping projector consumers and read models');
  await deleteProjectorConsumers(deps.broker.consumers);
  await truncateReadModels(deps.pool);
  await ensureProjectorConsumers(deps.broker.consumers);
  const pipes: Pipe[] = [];
  let messages = 0;
  const counted = () => void messages++;
  // One pipe per stream, so that facts and events each come in their own large batches. Each batch
  // holds one slot of the writers' lock (running projectors wait for it) instead of a lock per event:
  // thousands per transaction would fill Postgres' lock table.
  const start = (which: readonly ProjectedStream[]) => {
    for (const { stream, consumer } of PROJECTED) {
      if (!which.includes(stream)) continue;
      // Two batches in hand per writer, one being written while the next gathers (under the
      // consumers' max_ack_pending).
      const inHand = 2 * WRITER_SLOTS * batchOf(stream);
      pipes.push(pullBySlot(deps, stream, consumer, batchOf(stream), inHand, counted));
    }
  };
  /** Waits until each stream has at most `slack` messages left to project. */
  const drained = async (which: readonly ProjectedStream[], slack: number) => {
    for (;;) {
      try {
        const infos = await Promise.all(
          PROJECTED.filter(({ stream }) => which.includes(stream)).map(({ stream, consumer }) =>
            deps.broker.consumers.info(stream, consumer),
          ),
        );
        if (infos.every((i) => i.num_pending + i.num_ack_pending <= slack)) return;
      } catch (err) {
        // A request lost while the connection is re-established (the pipes resume by themselves)
        // does not end the rebuild; an answer of the server (a consumer gone) does.
        if (isServerAnswer(err)) throw err;
        deps.log.warn({ err: (err as Error).message }, 'rebuild: reading the consumers failed; asking again');
      }
      if (deps.timeoutMs !== undefined && Date.now() - started > deps.timeoutMs)
        throw new RebuildTimeout('rebuild: timed out waiting for the projection to catch up');
      await sleep(100);
    }
  };
  try {
    const facts = [STREAMS.facts, STREAMS.deadLetters] as const;
    start(facts);
    // Within a batch of the end is close enough: facts that arrive later are projected as usual.
    await drained(facts, batchOf(STREAMS.facts));
    deps.onEventsPhase?.();
    start([STREAMS.events]);
    await drained(STREAMS_ALL, 0);
  } finally {
    await stopPipes(pipes);
  }
  deps.log.info('rebuild: the audit log');
  await rebuildAudit(deps);
  const counts = await countReadModels(deps.pool);
  const result = { ...counts, messages, duration_ms: Date.now() - started };
  deps.log.info(result, 'rebuild: done');
  return result;
}
