// Groups stream messages into transactions: up to batchSize messages (or maxBytes), or whatever
// arrived within flushMs of the first one, also when the previous write ended sooner: a batch that
// spans the window holds an event together with the facts that follow it by milliseconds (one row
// version instead of several), and the transactions stay few. While a write is in flight the next
// batch gathers. Acks follow the commit. When Postgres is away the batch is held (working() keeps JetStream
// from redelivering it) and the write retried with backoff, so the projection resumes with no gap.
// A batch that fails on its data is split to find the message at fault, which alone is skipped.
import type { InboundMsg } from '@hookstream/broker';
import type { Logger } from '@hookstream/observability';
import { isDataError } from '@hookstream/store';
import { type Item, itemBytes } from './decode.ts';

export interface BatcherOptions {
  /** Names the batcher in logs. */
  name: string;
  batchSize: number;
  flushMs: number;
  maxBytes: number;
  /** Writes the items and their streams' checkpoints in one transaction. */
  write(items: readonly Item[]): Promise<void>;
  log: Logger;
  maxBackoffMs?: number;
}

export interface BatcherStats {
  batches: number;
  messages: number;
  skipped: number;
  writeFailures: number;
}

export interface Batcher {
  /** Resolves once the message was committed and acked (or skipped, or handed back on close). */
  add(msg: InboundMsg, item: Item): Promise<void>;
  /** Flush what is buffered now; give up (nak) instead of retrying when Postgres is away. */
  close(): void;
  stats(): BatcherStats;
}

interface Pending {
  msg: InboundMsg;
  item: Item;
  bytes: number;
  /** performance.now() when it arrived. */
  at: number;
  done(): void;
}

type WriteOutcome = 'ok' | 'data_error' | 'abandoned';

export function createBatcher(o: BatcherOptions): Batcher {
  const buf: Pending[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closing = false;
  let wake: (() => void) | undefined;
  const stats: BatcherStats = { batches: 0, messages: 0, skipped: 0, writeFailures: 0 };
  const maxBackoff = o.maxBackoffMs ?? 5_000;

  const full = () => buf.length >= o.batchSize || bytes >= o.maxBytes;
  const waited = () => performance.now() - (buf[0] as Pending).at;
  const due = () => buf.length > 0 && (closing || full() || waited() >= o.flushMs);

  const schedule = () => {
    if (running) return; // the running loop takes the next batch when its write ends
    if (due()) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      void run();
    } else if (!timer && buf.length > 0) {
      timer = setTimeout(
        () => {
          timer = undefined;
          void run();
        },
        Math.max(0, o.flushMs - waited()),
      );
    }
  };

  const take = (): Pending[] => {
    let n = 0;
    let size = 0;
    while (n < buf.length && n < o.batchSize && (n === 0 || size + (buf[n] as Pending).bytes <= o.maxBytes)) {
      size += (buf[n] as Pending).bytes;
      n++;
    }
    bytes -= size;
    return buf.splice(0, n);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    }).finally(() => {
      wake = undefined;
    });

  // Retries infrastructure failures until they pass or the batcher closes.
  const writeWithRetry = async (batch: readonly Pending[], items: readonly Item[]): Promise<WriteOutcome> => {
    let delay = 100;
    for (let failures = 0; ;) {
      try {
        await o.write(items);
        return 'ok';
      } catch (err) {
        if (isDataError(err)) return 'data_error';
        failures++;
        stats.writeFailures++;
        if (failures === 1 || failures % 20 === 0) {
          o.log.warn(
            { err, batcher: o.name, failures, messages: batch.length },
            'projection write failed; holding the batch and retrying',
          );
        }
        if (closing) return 'abandoned';
        for (const p of batch) p.msg.working();
        await sleep(delay);
        delay = Math.min(delay * 2, maxBackoff);
      }
    }
  };

  const settle = (batch: readonly Pending[], outcome: 'ok' | 'abandoned') => {
    for (const p of batch) {
      try {
        if (outcome === 'abandoned') p.msg.nak();
        // No reason string: servers before 2.10 ignore a +TERM that carries one (the reason is logged above).
        else if (p.item.kind === 'skip') p.msg.term();
        else p.msg.ack();
      } catch {
        // Connection gone: the server redelivers after AckWait, and re-applying is harmless.
      }
      p.done();
    }
    if (outcome === 'ok') {
      stats.batches++;
      stats.messages += batch.length;
      stats.skipped += batch.filter((p) => p.item.kind === 'skip').length;
    }
  };

  const logSkip = (p: Pending, reason: string) =>
    o.log.error(
      { stream: p.item.stream, seq: p.msg.streamSeq, subject: p.msg.subject, reason },
      'unprojectable message skipped',
    );

  const commit = async (batch: Pending[]): Promise<void> => {
    for (const p of batch) if (p.item.kind === 'skip') logSkip(p, p.item.reason);
    const outcome = await writeWithRetry(
      batch,
      batch.map((p) => p.item),
    );
    if (outcome !== 'data_error') return settle(batch, outcome);
    if (batch.length > 1) {
      // Halve until the message at fault is alone; the others commit normally.
      const mid = Math.ceil(batch.length / 2);
      await commit(batch.slice(0, mid));
      await commit(batch.slice(mid));
      return;
    }
    const p = batch[0] as Pending;
    const skip: Item = { stream: p.item.stream, kind: 'skip', seq: p.item.seq, reason: 'rejected by Postgres' };
    logSkip(p, skip.reason);
    p.item = skip;
    const again = await writeWithRetry(batch, [skip]);
    settle(batch, again === 'ok' ? 'ok' : 'abandoned');
  };

  const run = async () => {
    if (running) return;
    running = true;
    try {
      while (due()) await commit(take());
    } catch (err) {
      // Not a write failure (those are retried above): hand the messages back for redelivery.
      o.log.error({ err, batcher: o.name }, 'projection batch failed');
      for (const p of buf.splice(0)) {
        p.msg.nak(1_000);
        p.done();
      }
      bytes = 0;
    } finally {
      running = false;
      if (buf.length > 0) schedule();
    }
  };

  return {
    add(msg, item) {
      return new Promise<void>((done) => {
        const size = itemBytes(item);
        buf.push({ msg, item, bytes: size, at: performance.now(), done });
        bytes += size;
        schedule();
      });
    },
    close() {
      closing = true;
      wake?.();
      schedule();
    },
    stats: () => ({ ...stats }),
  };
}
