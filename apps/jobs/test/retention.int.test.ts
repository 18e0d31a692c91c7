// Retention against the whole system: events "received" days ago (EventMeta with an old
// received_at, published as ingest would), routed, delivered and projected by the real roles.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createPublisher } from '@hookstream/broker';
import type { EventMeta } from '@hookstream/contracts';
import type { Pool } from '@hookstream/store';
import { startReceiver, streamMessages, waitFor } from '@hookstream/testkit';
import { created, directJobs, startSystem, streamsSettled, tenant } from './harness.ts';

const DAY = 86_400_000;

function meta(account: string, receivedAt: number, o: Partial<EventMeta> = {}): EventMeta {
  return {
    v: 1,
    event_id: randomUUID(),
    account_id: account,
    direction: 'outbound',
    source_id: null,
    event_type: 'order.created',
    received_at: new Date(receivedAt).toISOString(),
    content_type: 'application/json',
    headers: {},
    labels: null,
    idempotency_key: null,
    ...o,
  };
}

t.test('retention removes expired events from the read models and the stream, and keeps in-flight ones', async (t) => {
  // Every role but the jobs workers, so that no scheduled pass runs beside the ones this test makes.
  const gw = await startSystem(t, { roles: ['api', 'router', 'deliverer', 'projector'] });
  const pool = gw.pool as Pool;
  const receiver = await startReceiver(t);
  const jobs = await directJobs(t, gw);
  const publisher = createPublisher(gw.broker);
  const a = await tenant(gw, 'free-co', { plan: 'free' });
  const b = await tenant(gw, 'pro-co', { plan: 'pro' });
  const src = await created(a.api, '/v1/sources', { name: 'shop' });
  const dst = await created(a.api, '/v1/destinations', { name: 'orders', url: `${receiver.url}/orders` });
  await created(a.api, '/v1/routes', { source_id: src.id, destination_id: dst.id, event_type_pattern: null });

  const now = Date.now();
  const old = now - 3 * DAY;
  // In stream order: delivered-old, unrouted-old, in-flight-old, unrouted-old, new.
  const delivered = meta(a.accountId, old, { direction: 'inbound', source_id: src.id });
  const unrouted = meta(a.accountId, old + 1);
  const inFlight = meta(a.accountId, old + 2);
  const afterInFlight = meta(a.accountId, old + 3);
  const fresh = meta(a.accountId, now);
  const otherOld = meta(b.accountId, old);
  for (const m of [delivered, unrouted, inFlight, afterInFlight, fresh, otherOld]) {
    await publisher.publishEvent(m, Buffer.from('{"k":1}'), `test:${m.event_id}`);
  }
  await receiver.waitForCount(1, 20_000);
  await waitFor(
    async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM events e WHERE status IN ('delivered', 'unrouted')
         AND (status = 'unrouted' OR EXISTS (SELECT 1 FROM attempts a WHERE a.event_id = e.id))`,
      );
      return rows[0].n === 6;
    },
    { timeoutMs: 20_000, message: 'every event routed, delivered and projected' },
  );
  await streamsSettled(gw);
  // Simulates an event whose delivery is still being retried.
  await pool.query(`UPDATE events SET status = 'retry_scheduled' WHERE id = $1`, [inFlight.event_id]);

  const idsIn = async (account: string) =>
    (await pool.query('SELECT id FROM events WHERE account_id = $1 ORDER BY stream_seq', [account])).rows.map(
      (r) => r.id,
    );
  const streamIds = async (account: string) => {
    const out: string[] = [];
    for (const m of await streamMessages(gw.broker, 'HS_EVENTS')) {
      const hdr = m.headers['Hs-Meta'];
      if (hdr && JSON.parse(hdr).account_id === account) out.push(JSON.parse(hdr).event_id);
    }
    return out;
  };
  const countWhere = async (table: string, eventId: string) =>
    (await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE event_id = $1`, [eventId])).rows[0].n;
  t.equal(await countWhere('deliveries', delivered.event_id), 1, 'the delivered event has a delivery');
  t.equal(await countWhere('attempts', delivered.event_id), 1, 'and an attempt');

  const rollupsOf = async (account: string) =>
    (
      await pool.query('SELECT sum(received)::int AS n FROM event_rollups WHERE account_id = $1 AND minute < $2', [
        account,
        new Date(now - DAY),
      ])
    ).rows[0].n;
  t.equal(await rollupsOf(a.accountId), 4, 'the old events are in the rollups');
  // A dead letter of an expired event (its delivery dead-lettered long ago).
  await pool.query(
    `INSERT INTO dead_letters (delivery_id, account_id, event_id, destination_id, reason, attempts, dead_at)
     SELECT id, account_id, event_id, destination_id, 'exhausted', 1, now() - interval '3 days' FROM deliveries WHERE event_id = $1`,
    [delivered.event_id],
  );

  const report = await jobs.runRetention(now);
  const forA = report.accounts.find((x) => x.account_id === a.accountId);
  t.match(forA, { events: 3, deliveries: 1, attempts: 1, purged: 2 });
  t.notOk(
    report.accounts.find((x) => x.account_id === b.accountId),
    "the pro account's 3-day-old event is within its 30 days",
  );

  t.same(
    await idsIn(a.accountId),
    [inFlight.event_id, fresh.event_id],
    'read models: the in-flight and the new event stay',
  );
  t.equal(await countWhere('deliveries', delivered.event_id), 0, 'its deliveries went with it');
  t.equal(await countWhere('attempts', delivered.event_id), 0, 'and its attempts');
  t.equal(await countWhere('event_routings', unrouted.event_id), 0, 'and routing rows');
  t.equal(await countWhere('dead_letters', delivered.event_id), 0, 'and dead letters');
  t.equal(await rollupsOf(a.accountId), null, 'statistics keep no minute past the window');
  t.equal(await rollupsOf(b.accountId), 1, "the pro account's stay");
  t.same(
    await streamIds(a.accountId),
    [inFlight.event_id, afterInFlight.event_id, fresh.event_id],
    'stream: purged up to the in-flight event, which keeps what follows it',
  );
  t.same(await idsIn(b.accountId), [otherOld.event_id], 'the other account is untouched');
  t.same(await streamIds(b.accountId), [otherOld.event_id]);
  const gone = await a.api.call('GET', `/v1/events/${delivered.event_id}`);
  t.equal(gone.status, 404, 'the event log no longer has it');

  // Once it finishes, the next pass takes it, and the stream follows.
  await pool.query(`UPDATE events SET status = 'delivered' WHERE id = $1`, [inFlight.event_id]);
  const second = await jobs.runRetention(now);
  t.match(
    second.accounts.find((x) => x.account_id === a.accountId),
    { events: 1, purged: 2 },
  );
  t.same(await idsIn(a.accountId), [fresh.event_id]);
  t.same(await streamIds(a.accountId), [fresh.event_id]);

  const third = await jobs.runRetention(now);
  t.same(third.accounts, [], 'a pass with nothing to do does nothing');
  t.equal(receiver.requests.length, 1, 'no event was delivered again');
});
