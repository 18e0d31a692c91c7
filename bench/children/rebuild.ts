// Rebuild rate: drops the read models and projects the streams again from sequence 1 with the
// projector's own rebuild(), for at most `budgetS` (then the rate is taken over what it did).
// Rates are given in records (events, routings, attempts, dead letters) and in stream messages,
// over the whole rebuild, and in webhook events over the rebuild's events phase.
import { RebuildTimeout, rebuild } from '@hookstream/app-projector';
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
  let eventsFrom: number | null = null;
  try {
    await rebuild({
      broker,
      pool,
      log,
      timeoutMs: a.budgetS * 1000,
      onEventsPhase: () => (eventsFrom = performance.now()),
    });
  } catch (err) {
    if (!(err instanceof RebuildTimeout)) throw err;
    completed = false;
  }
  const t1 = performance.now();
  const seconds = (t1 - t0) / 1000;
  // Streams start at sequence 1 and nothing was purged: a checkpoint is the count of messages projected.
  const cp = await readCheckpoints(pool);
  const n = (s: string) => Number(cp[s]?.last_seq ?? 0);
  const messages = n(STREAMS.events) + n(STREAMS.facts) + n(STREAMS.deadLetters);
  // Records: what the messages carry. A fact message may hold many attempts (one deliverer turn's),
  // so messages alone undercount the work: events, routings and attempts are counted as rows.
  const { rows } = await pool.query<{ events: string; routings: string; attempts: string }>(
    'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_routings) AS routings, (SELECT count(*) FROM attempts) AS attempts',
  );
  const r = rows[0] as { events: string; routings: string; attempts: string };
  const records = Number(r.events) + Number(r.routings) + Number(r.attempts) + n(STREAMS.deadLetters);
  await pool.end();
  await broker.close();
  return {
    completed,
    seconds: Math.round(seconds * 10) / 10,
    messages,
    records,
    events: n(STREAMS.events),
    messages_per_s: Math.round(messages / seconds),
    records_per_s: Math.round(records / seconds),
    // Over the events phase only (null when the budget ended before it). Events projected before
    // it, by a projector re-attaching, count toward it: none run here.
    events_per_s: eventsFrom === null ? null : Math.round(n(STREAMS.events) / ((t1 - eventsFrom) / 1000)),
  };
});
