// Postgres goes away while events keep coming: nothing is acked that was not written, and when it
// is back the read models catch up with every event exactly once.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { STREAMS } from '@hookstream/contracts';
import { startNats, startOwnPostgres } from '@hookstream/testkit';
import { buildProjector } from '../src/build.ts';
import {
  type Message,
  attemptFact,
  connectTest,
  eventMeta,
  migratedPool,
  projected,
  publish,
  routedFact,
  silent,
  target,
} from './fixtures.ts';

const nats = await startNats(t);
const pg = await startOwnPostgres(t);
const broker = await connectTest(nats.url);
const pool = await migratedPool(pg.url, 1_000);
const projector = buildProjector({ broker, pool, log: silent, flushMs: 10, batchSize: 50 });
await projector.start();
t.teardown(async () => {
  await projector.stop();
  await broker.close();
  await pool.end();
});

const account = randomUUID();
const published: string[] = [];

function story(): Message[] {
  const meta = eventMeta(account);
  const x = target();
  published.push(meta.event_id);
  return [
    { kind: 'event', meta, body: Buffer.from(`{"n":${published.length}}`) },
    { kind: 'routed', fact: routedFact(meta, [x]) },
    { kind: 'attempt', fact: attemptFact(meta, x, 1, 'delivered', 204) },
  ];
}

const publishStories = async (n: number) => {
  for (let i = 0; i < n; i++) await publish(broker, story());
};

t.test('a Postgres outage while publishing: caught up afterwards, no gap, no duplicate', async (t) => {
  await publishStories(100);
  await projected(projector);
  await pg.stop();
  // Intake goes on while the projection cannot write.
  await publishStories(150);
  const lagWhileDown = await broker.consumers.info(STREAMS.events, 'projector_events');
  t.ok(lagWhileDown.num_pending + lagWhileDown.num_ack_pending > 0, 'events wait in JetStream, not acked');
  // What the projector holds while it cannot write is bounded: about a batch's worth per stream (a
  // batch in its handlers, at most as many more pulled behind them); the rest waits on the server.
  let held = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = (await broker.consumers.info(STREAMS.events, 'projector_events')).num_ack_pending;
    if (now === held) break;
    held = now;
  }
  t.ok(held > 0 && held <= 2 * 50, `the projector holds ${held} of the 150 events it cannot write`);
  t.ok(
    (await broker.consumers.info(STREAMS.events, 'projector_events')).num_pending > 0,
    'the rest waits on the server',
  );
  await pg.start();
  await publishStories(50);
  await projected(projector, 60_000);

  t.ok(projector.stats().writeFailures > 0, 'the projector did hit the outage');
  const ids = await pool.query<{ id: string }>('SELECT id FROM events WHERE account_id = $1 ORDER BY received_at', [
    account,
  ]);
  t.equal(ids.rows.length, 300);
  t.same(
    ids.rows.map((r) => r.id),
    published,
    'every event exactly once, none missing',
  );
  const counts = await pool.query<{ deliveries: number; attempts: number; delivered: number }>(
    `SELECT (SELECT count(*)::int FROM deliveries WHERE account_id = $1) AS deliveries,
            (SELECT count(*)::int FROM attempts WHERE account_id = $1) AS attempts,
            (SELECT count(*)::int FROM events WHERE account_id = $1 AND status = 'delivered') AS delivered`,
    [account],
  );
  t.same(counts.rows[0], { deliveries: 300, attempts: 300, delivered: 300 });
  for (const consumer of ['projector_events', 'projector_facts']) {
    const info = await broker.consumers.info(
      consumer === 'projector_events' ? STREAMS.events : STREAMS.facts,
      consumer,
    );
    t.equal(info.num_pending + info.num_ack_pending, 0, `${consumer} drained`);
  }
});
