// Rebuild rate: drops the read models and projects the streams again from sequence 1 with the
// projector's own rebuild(), for at most `budgetS` (then the rate is taken over what it did).
import { rebuild } from '@hookstream/app-projector';
import { connectBroker } from '@hookstream/broker';
import { STREAMS } from '@hookstream/contracts';
import { createLogger } from '@hookstream/observability';
import { createPool, readCheckpoints } from '@hookstream/store';
import { oneShot } from './ipc.ts';

interface Args {
  natsUrl: string;
  databaseUrl: string;
  budgetS: number;
}

oneShot<Args>(async (a) => {
  const broker = await connectBroker({ servers: a.natsUrl, name: 'hookstream-bench-rebuild' });
  const pool = createPool(a.databaseUrl, {});
  const log = createLogger('warn', 'bench-rebuild');
  const t0 = performance.now();
  let completed = true;
  try {
    await rebuild({ broker, pool, log, timeoutMs: a.budgetS * 1000 });
  } catch (err) {
    if (!/timed out/.test((err as Error).message)) throw err;
    completed = false;
  }
  const seconds = (performance.now() - t0) / 1000;
  // Streams start at sequence 1 and nothing was purged: a checkpoint is the count of messages projected.
  const cp = await readCheckpoints(pool);
  const n = (s: string) => Number(cp[s]?.last_seq ?? 0);
  const messages = n(STREAMS.events) + n(STREAMS.facts) + n(STREAMS.deadLetters);
  await pool.end();
  await broker.close();
  return {
    completed,
    seconds: Math.round(seconds * 10) / 10,
    messages,
    events: n(STREAMS.events),
    messages_per_s: Math.round(messages / seconds),
    events_per_s: Math.round(n(STREAMS.events) / seconds),
  };
});
