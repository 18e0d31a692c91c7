// Bulk replay through the whole system: ingest → deliver, then POST /v1/replays over a window.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createPublisher } from '@hookstream/broker';
import { createLogger } from '@hookstream/observability';
import { type Pool, createReplay } from '@hookstream/store';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { runReplay } from '../src/replays.ts';
import { type Tenant, created, startSystem, tenant, until } from './harness.ts';

const done = (r: { status: string }) => ['completed', 'cancelled', 'failed'].includes(r.status);

t.test(
  'a bulk replay re-delivers exactly the events of its window, counts them, and stays in its account',
  async (t) => {
    const gw = await startSystem(t);
    const receiver = await startReceiver(t);
    const a = await tenant(gw, 'acme');
    const b = await tenant(gw, 'other');
    const src = await created(a.api, '/v1/sources', { name: 'shop' });
    const dst = await created(a.api, '/v1/destinations', { name: 'orders', url: `${receiver.url}/orders` });
    await created(a.api, '/v1/routes', { source_id: src.id, destination_id: dst.id, event_type_pattern: null });

    // Three batches, each strictly later than the one before (the clock ticks between them).
    const batches: Array<Array<{ id: string; type: string; received_at: string }>> = [];
    for (const types of [
      ['order.created', 'order.created'],
      ['order.created', 'order.paid', 'order.paid', 'order.created'],
      ['order.paid'],
    ]) {
      const batch = [];
      for (const [i, type] of types.entries()) {
        const r = await a.api.ingest(src.path_token, JSON.stringify({ n: i, type }), {
          'content-type': 'application/json',
          'x-event-type': type,
        });
        t.equal(r.status, 202);
        const ev = await until(
          a.api,
          `/v1/events/${r.json.data.id}`,
          (e) => e.status === 'delivered',
          'event delivered and projected',
        );
        batch.push({ id: ev.id, type, received_at: ev.received_at });
      }
      batches.push(batch);
      const last = Date.parse(batch[batch.length - 1]?.received_at as string);
      await waitFor(() => Date.now() > last + 1, { message: 'the clock moved on' });
    }
    t.equal(receiver.requests.length, 7, 'every event delivered once');
    const window = batches[1] as Array<{ id: string; type: string; received_at: string }>;
    const since = window[0]?.received_at as string;
    const until_ = new Date(Date.parse(window[window.length - 1]?.received_at as string) + 1).toISOString();

    const post = await a.api.call('POST', '/v1/replays', { since, until: until_ });
    t.equal(post.status, 202, JSON.stringify(post.json));
    t.equal(post.json.data.status, 'queued');
    t.match(post.json.data, { processed: 0, total: null }, 'no extent before it starts');
    t.same(post.json.data.filter, { since, until: until_ });
    const replay = await until(a.api, `/v1/replays/${post.json.data.id}`, done, 'replay finished');
    t.match(replay, { status: 'completed', scanned: 4, matched: 4, replayed: 4, deliveries: 4, error: null });
    t.ok(replay.started_at && replay.finished_at, 'started and finished times recorded');
    t.ok(replay.total >= 4, 'its extent spans at least the events of its window');
    t.equal(replay.processed, replay.total, 'a completed replay is processed to its total');
    const late = await a.api.call('DELETE', `/v1/replays/${replay.id}`);
    t.equal(late.status, 409, 'a finished replay cannot be cancelled');

    const all = await receiver.waitForCount(11, 20_000);
    const again = all.slice(7);
    const ids = (reqs: typeof all) => reqs.map((r) => r.headers['x-hookstream-event-id']).sort();
    t.same(ids(again), window.map((e) => e.id).sort(), 'exactly the events of the window, once each');
    const firstDeliveryIds = new Set(all.slice(0, 7).map((r) => r.headers['x-hookstream-delivery-id']));
    t.ok(
      again.every((r) => !firstDeliveryIds.has(r.headers['x-hookstream-delivery-id'])),
      'each replay is a new delivery with its own id',
    );

    // Narrower: one event type, one source.
    const paid = await a.api.call('POST', '/v1/replays', {
      since,
      until: until_,
      event_type: 'order.paid',
      source_id: src.id,
    });
    t.equal(paid.status, 202);
    t.match(await until(a.api, `/v1/replays/${paid.json.data.id}`, done, 'typed replay finished'), {
      status: 'completed',
      scanned: 4,
      matched: 2,
      replayed: 2,
    });
    // Filtered by status and destination through the read models: nothing of the window dead-lettered.
    const dead = await a.api.call('POST', '/v1/replays', {
      since,
      until: until_,
      destination_id: dst.id,
      status: 'dead_letter',
    });
    t.match(await until(a.api, `/v1/replays/${dead.json.data.id}`, done, 'status replay finished'), {
      status: 'completed',
      scanned: 4,
      matched: 0,
    });
    await receiver.waitForCount(13, 20_000);

    const list = await a.api.call('GET', '/v1/replays?limit=2');
    t.equal(list.status, 200);
    t.equal(list.json.data.length, 2);
    t.equal(list.json.data[0].id, dead.json.data.id, 'newest first');
    const rest = await a.api.call('GET', `/v1/replays?limit=2&cursor=${list.json.next_cursor}`);
    t.same(
      rest.json.data.map((r: { id: string }) => r.id),
      [post.json.data.id],
    );
    t.equal(rest.json.next_cursor, null);

    // Tenancy: account B sees none of it, cannot cancel it, cannot aim at A's destination.
    t.equal((await b.api.call('GET', `/v1/replays/${post.json.data.id}`)).status, 404);
    t.equal((await b.api.call('DELETE', `/v1/replays/${post.json.data.id}`)).status, 404);
    t.same((await b.api.call('GET', '/v1/replays')).json.data, []);
    const foreign = await b.api.call('POST', '/v1/replays', { since, until: until_, destination_id: dst.id });
    t.equal(foreign.status, 400);
    const bReplay = await b.api.call('POST', '/v1/replays', { since, until: until_ });
    t.match(await until(b.api, `/v1/replays/${bReplay.json.data.id}`, done, 'B replay finished'), {
      status: 'completed',
      scanned: 0,
      matched: 0,
    });
    await waitFor(() => receiver.requests.length === 13, { message: 'no more deliveries' });
    t.equal(receiver.requests.length, 13, "B's replay re-delivered none of A's events");
  },
);

t.test('bad replay requests are refused with a 400 in the envelope', async (t) => {
  const gw = await startSystem(t);
  const a: Tenant = await tenant(gw, 'acme');
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const [body, why] of [
    [{ since: iso(now) }, 'until missing'],
    [{ since: iso(now), until: iso(now - 1000) }, 'until before since'],
    [{ since: iso(now - 40 * 86_400_000), until: iso(now) }, 'window over 31 days'],
    [{ since: 'yesterday', until: iso(now) }, 'not a time'],
    [
      { since: iso(now - 1000), until: iso(now), destination_id: '00000000-0000-4000-8000-000000000000' },
      'unknown destination',
    ],
    [{ since: iso(now - 1000), until: iso(now), status: 'lost' }, 'unknown status'],
    [{ since: iso(now - 1000), until: iso(now), colour: 'red' }, 'unknown field'],
  ] as const) {
    const r = await a.api.call('POST', '/v1/replays', body);
    t.equal(r.status, 400, why);
    t.type(r.json.error, 'string', `${why}: ${r.json.error}`);
  }
  t.equal((await a.api.call('GET', '/v1/replays/not-a-replay')).status, 404);
  t.equal((await a.api.call('DELETE', '/v1/replays/00000000-0000-4000-8000-000000000000')).status, 404);
});

t.test('a cancelled replay stops between batches and reports what it did', async (t) => {
  // No jobs workers: this test runs the replay itself, at the moments it chooses.
  const gw = await startSystem(t, { roles: ['api', 'router', 'deliverer', 'projector'] });
  const receiver = await startReceiver(t);
  const a = await tenant(gw, 'acme');
  const src = await created(a.api, '/v1/sources', { name: 'shop' });
  const dst = await created(a.api, '/v1/destinations', { name: 'orders', url: `${receiver.url}/orders` });
  await created(a.api, '/v1/routes', { source_id: src.id, destination_id: dst.id, event_type_pattern: null });
  const since = new Date(Date.now() - 1000).toISOString();
  for (let i = 0; i < 6; i++) t.equal((await a.api.ingest(src.path_token, `{"n":${i}}`)).status, 202);
  await receiver.waitForCount(6, 20_000);
  const until_ = new Date(Date.now() + 1000).toISOString();

  // Queued: a cancel is final before the job even starts.
  const queued = await a.api.call('POST', '/v1/replays', { since, until: until_ });
  const cancelled = await a.api.call('DELETE', `/v1/replays/${queued.json.data.id}`);
  t.equal(cancelled.status, 200);
  t.equal(cancelled.json.data.status, 'cancelled');
  t.equal(
    (await a.api.call('DELETE', `/v1/replays/${queued.json.data.id}`)).json.data.status,
    'cancelled',
    'cancelling twice is harmless',
  );

  // Running: cancelled after its first batch of two, it stops there.
  const pool = gw.pool as Pool;
  const rec = await createReplay(pool, randomUUID(), a.accountId, { since, until: until_ });
  const outcome = await runReplay(
    {
      broker: gw.broker,
      pool,
      catalog: gw.catalog,
      publisher: createPublisher(gw.broker),
      log: createLogger('silent'),
      now: () => Date.now(),
      batchSize: 2,
      afterBatch: async (id) => {
        const r = await a.api.call('DELETE', `/v1/replays/${id}`);
        t.equal(r.status, 200, 'cancelled while running');
      },
    },
    rec.id,
  );
  t.equal(outcome, 'cancelled');
  const after = await a.api.call('GET', `/v1/replays/${rec.id}`);
  t.match(after.json.data, { status: 'cancelled', scanned: 2, matched: 2, replayed: 2, deliveries: 2 });
  t.ok(after.json.data.total >= 6, 'the extent covers the six events');
  t.ok(
    after.json.data.processed >= 2 && after.json.data.processed < after.json.data.total,
    'progress stopped part way',
  );
  t.ok(after.json.data.finished_at);
  await receiver.waitForCount(8, 20_000);
  const deps = {
    broker: gw.broker,
    pool,
    catalog: gw.catalog,
    publisher: createPublisher(gw.broker),
    log: createLogger('silent'),
    now: Date.now,
  };
  t.equal(await runReplay(deps, rec.id), 'skipped', 'a cancelled replay never runs again');
  t.equal(receiver.requests.length, 8, 'nothing replayed beyond the first batch');
});
