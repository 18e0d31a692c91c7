// The audit log's projection: its own durable consumer on HS_AUDIT and its own batcher, whose
// transactions write audit_log rows with the stream's checkpoint. Separate from the events' pipe:
// an audit entry shares nothing with events, and a busy event stream must not hold it back.
import {
  type Broker,
  type ConsumerAdmin,
  ConsumerMissing,
  type Consumer,
  type InboundMsg,
  startConsumer,
} from '@hookstream/broker';
import { AuditEntry, CONSUMERS, ContractError, STREAMS, checkFact } from '@hookstream/contracts';
import type { Logger, Metrics } from '@hookstream/observability';
import { type AuditInput, type Pool, applyAuditBatch, isUuid, truncateAuditLog } from '@hookstream/store';
import { type Batcher, createBatcher } from './batcher.ts';
import { projectorConsumerConfig } from './consumers.ts';
import type { Item } from './decode.ts';

const dec = new TextDecoder();

/** The message as an item; one that cannot be read is a skip (it moves the checkpoint, and is logged). */
export function decodeAudit(msg: InboundMsg): Item {
  const at = { stream: STREAMS.audit, seq: msg.streamSeq } as const;
  try {
    const entry = checkFact<AuditEntry>(AuditEntry, JSON.parse(dec.decode(msg.data)), 'audit entry');
    if (!isUuid(entry.id) || !isUuid(entry.account_id))
      return { ...at, kind: 'skip', reason: 'audit entry ids are not UUIDs' };
    if (Number.isNaN(Date.parse(entry.at))) return { ...at, kind: 'skip', reason: 'audit entry time does not parse' };
    return { ...at, kind: 'audit', entry };
  } catch (err) {
    if (err instanceof ContractError || err instanceof SyntaxError) return { ...at, kind: 'skip', reason: err.message };
    throw err;
  }
}

export async function writeAudit(pool: Pool, items: readonly Item[]): Promise<number> {
  let last = 0;
  const entries: AuditInput[] = [];
  for (const it of items) {
    last = Math.max(last, it.seq);
    if (it.kind === 'audit') entries.push({ entry: it.entry, seq: it.seq });
  }
  return applyAuditBatch(pool, STREAMS.audit, last, entries);
}

export interface AuditPipe {
  stop(): Promise<void>;
}

interface PipeDeps {
  broker: Broker;
  pool: Pool;
  log: Logger;
  metrics?: Metrics | undefined;
  flushMs?: number | undefined;
}

export async function ensureAuditConsumer(consumers: ConsumerAdmin): Promise<void> {
  await consumers.ensure(STREAMS.audit, projectorConsumerConfig(CONSUMERS.projectAudit));
}

export function startAuditPipe(deps: PipeDeps, batchSize = 500): AuditPipe {
  const log = deps.log.child({ stream: STREAMS.audit, consumer: CONSUMERS.projectAudit });
  const batcher: Batcher = createBatcher({
    name: 'audit',
    batchSize,
    flushMs: deps.flushMs ?? 100,
    maxBytes: 16 * 1024 * 1024,
    log,
    write: async (items) => {
      await writeAudit(deps.pool, items);
    },
  });
  const loop: Consumer = startConsumer({
    broker: deps.broker,
    stream: STREAMS.audit,
    consumer: CONSUMERS.projectAudit,
    maxMessages: batchSize,
    handle: (msg) => batcher.add(msg, decodeAudit(msg)),
    onError: (err) => log.error({ err }, 'projector consumer error'),
    onStatus: (s) => {
      if (s.kind === 'heartbeats_missed') deps.metrics?.heartbeatMissed('projector');
      log.warn(s, 'projector consumer status');
    },
  });
  return {
    async stop() {
      batcher.close();
      await loop.stop();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Empties audit_log and projects HS_AUDIT again from its first message, until it is drained. */
export async function rebuildAudit(deps: PipeDeps & { timeoutMs?: number | undefined }): Promise<void> {
  const started = Date.now();
  try {
    await deps.broker.consumers.delete(STREAMS.audit, CONSUMERS.projectAudit);
  } catch (err) {
    if (!(err instanceof ConsumerMissing)) throw err;
  }
  await truncateAuditLog(deps.pool, STREAMS.audit);
  await ensureAuditConsumer(deps.broker.consumers);
  const pipe = startAuditPipe(deps, 2_500);
  try {
    for (;;) {
      const i = await deps.broker.consumers.info(STREAMS.audit, CONSUMERS.projectAudit);
      if (i.num_pending + i.num_ack_pending === 0) return;
      if (deps.timeoutMs !== undefined && Date.now() - started > deps.timeoutMs)
        throw new Error('rebuild: timed out waiting for the audit log to catch up');
      await sleep(100);
    }
  } finally {
    await pipe.stop();
  }
}
