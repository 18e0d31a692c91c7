// Scale-out for real (issue 7): a 3-node JetStream cluster on loopback, streams with 3 replicas, and
// two copies of every role as separate processes. Events go in through both APIs; mid-run the
// leader of the events stream is stopped (and later started again) and one deliverer is killed -9.
// Every accepted event must still reach every destination its routes match, and the read models
// must show it delivered.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { connectBroker } from '@hookstream/broker';
import { CONFIG_BUCKET, DELIVERY_HEADERS, OBJECT_BUCKET, STREAMS } from '@hookstream/contracts';
import { createTestDatabase, startNatsCluster, startReceiver, waitFor } from '@hookstream/testkit';
import { type RoleProcess, metricSum, runCommand, startRole, tail } from './processes.ts';

const EVENTS = 600;
const CONCURRENCY = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(
  base: string,
  key: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

t.test('two copies of every role on a 3-node cluster lose nothing through a node stop and a kill -9', async (t) => {
  const began = Date.now();
  const logDir = await mkdtemp(path.join(tmpdir(), 'hs-scale-out-'));
  t.teardown(() => (t.passing() ? rm(logDir, { recursive: true, force: true }) : t.comment(`logs kept in ${logDir}`)));

  const common = {
    SECRETS_KEY: randomBytes(32).toString('base64'),
    STREAM_REPLICAS: '3',
    ALLOW_PRIVATE_DESTINATIONS: 'true',
    LOG_LEVEL: 'warn',
    DATA_DIR: path.join(logDir, 'data'),
  };
  const [cluster, databaseUrl] = await Promise.all([
    startNatsCluster(t, 3),
    createTestDatabase(t).then(async (url) => {
      await runCommand(['migrate'], { ...common, DATABASE_URL: url }, path.join(logDir, 'migrate.log'));
      return url;
    }),
  ]);
  const env = { ...common, NATS_URL: cluster.urls.join(','), DATABASE_URL: databaseUrl };

  const broker = await connectBroker({ servers: cluster.urls, name: 'scale-out-test' });
  t.teardown(() => broker.close());

  // The first API creates the streams (3 replicas) and the configuration; every other process
  // starts after it, so each loads the routes before it handles an event.
  const start = (name: string, role: string) => startRole(t, { name, role, env, logDir });
  const api1 = await start('api1', 'api');
  t.comment(`cluster, database and the first API up after ${Date.now() - began} ms`);

  const healthy = await startReceiver(t);
  const flaky = await startReceiver(t);
  const delivered = { healthy: new Map<string, Set<string>>(), flaky: new Map<string, Set<string>>() };
  const record = (to: Map<string, Set<string>>, req: { headers: Record<string, unknown>; body: Buffer }) => {
    const eventId = String(req.headers[DELIVERY_HEADERS.eventId]);
    const key = (JSON.parse(req.body.toString()) as { key: string }).key;
    let ids = to.get(key);
    if (!ids) to.set(key, (ids = new Set()));
    ids.add(eventId);
  };
  healthy.respond((req) => {
    record(delivered.healthy, req);
    return { status: 200, body: 'ok' };
  });
  // The first attempt of one order delivery in ten fails. Not all of them: five failures in a row
  // would open the destination's circuit, whose probes would then mostly be first attempts again.
  const failedOnce = new Set<string>();
  flaky.respond((req) => {
    const deliveryId = String(req.headers[DELIVERY_HEADERS.deliveryId]);
    const n = (JSON.parse(req.body.toString()) as { n: number }).n;
    if (n % 20 === 0 && !failedOnce.has(deliveryId)) {
      failedOnce.add(deliveryId);
      return { status: 500, body: 'first attempt fails' };
    }
    record(delivered.flaky, req);
    return { status: 200, body: 'ok' };
  });

  const acct = await fetch(`${api1.url}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"scale"}',
  });
  t.equal(acct.status, 201, 'account created');
  const { api_key: key } = ((await acct.json()) as { data: { api_key: string } }).data;
  const src = (await call(api1.url, key, 'POST', '/v1/sources', { name: 'shop' })).json.data;
  // Short timeouts keep AckWait (timeout + 15 s) short: what the killed deliverer held comes back soon.
  const policy = { timeout_ms: 2_000, retry_policy: { max_attempts: 10, delays_ms: [200, 500, 1_000] } };
  const dHealthy = await call(api1.url, key, 'POST', '/v1/destinations', {
    name: 'healthy',
    url: `${healthy.url}/in`,
    ...policy,
  });
  const dFlaky = await call(api1.url, key, 'POST', '/v1/destinations', {
    name: 'flaky',
    url: `${flaky.url}/in`,
    ...policy,
  });
  t.equal(dHealthy.status, 201);
  t.equal(dFlaky.status, 201);
  t.equal(
    (await call(api1.url, key, 'POST', '/v1/routes', { source_id: src.id, destination_id: dHealthy.json.data.id }))
      .status,
    201,
  );
  const flakyRoute = { source_id: src.id, destination_id: dFlaky.json.data.id, event_type_pattern: 'order.*' };
  t.equal((await call(api1.url, key, 'POST', '/v1/routes', flakyRoute)).status, 201);

  const [api2, router1, router2, deliverer1, deliverer2, projector1, projector2, jobs] = await Promise.all([
    start('api2', 'api'),
    start('router1', 'router'),
    start('router2', 'router'),
    start('deliverer1', 'deliverer'),
    start('deliverer2', 'deliverer'),
    start('projector1', 'projector'),
    start('projector2', 'projector'),
    start('jobs', 'jobs'),
  ]);
  const all: RoleProcess[] = [api1, api2, router1, router2, deliverer1, deliverer2, projector1, projector2, jobs];
  const apis = [api1, api2];
  t.teardown(async () => {
    if (!t.passing())
      for (const p of all) t.comment(`--- ${p.name} (last lines of ${p.logFile})\n${await tail(p.logFile, 15)}`);
  });
  t.comment(`cluster and ${all.length} role processes up after ${Date.now() - began} ms`);

  const replicated = [...Object.values(STREAMS), `KV_${CONFIG_BUCKET}`, `OBJ_${OBJECT_BUCKET}`];
  for (const name of replicated)
    t.equal((await broker.streams.info(name)).config.num_replicas, 3, `${name} has 3 replicas`);

  // The node to stop: the one leading the events stream, so that ingest must fail over.
  const leader = (await broker.streams.info(STREAMS.events)).cluster?.leader;
  const victim = cluster.servers.find((s) => s.serverName === leader) ?? cluster.servers[1];
  if (!victim) throw new Error('the cluster has fewer than two servers');

  // Ingest through both APIs; a request that fails (503 while a leader is elected, a reset
  // connection) is retried with the same idempotency key, so an event is stored at most once.
  const accepted = new Map<string, string>(); // key → event id
  const duplicates = new Set<string>();
  const unanswered: string[] = [];
  let failures = 0;
  let next = 0;
  let finished = 0;
  const keyOf = (i: number) => `k-${i}`;
  const typeOf = (i: number) => (i % 2 === 0 ? 'order.created' : 'user.created');
  const ingestOne = async (i: number) => {
    const k = keyOf(i);
    const body = JSON.stringify({ key: k, n: i });
    const deadline = Date.now() + 90_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const api = apis[(i + attempt) % 2] as RoleProcess;
      try {
        const res = await fetch(`${api.url}/ingest/${src.path_token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-event-type': typeOf(i), 'x-webhook-id': k },
          body,
          signal: AbortSignal.timeout(20_000),
        });
        const json = (await res.json()) as { data?: { id?: string; note?: string } };
        if (res.status === 202 && json.data?.id) return void accepted.set(k, json.data.id);
        if (res.status === 202 && json.data?.note === 'duplicate') return void duplicates.add(k);
      } catch {
        /* connection refused or reset: retried below */
      }
      failures++;
      await sleep(Math.min(200 * (attempt + 1), 2_000));
    }
    unanswered.push(k);
  };
  const worker = async () => {
    while (next < EVENTS) {
      await ingestOne(next++);
      finished++;
    }
  };
  const until = async (n: number) => {
    while (finished < n) await sleep(20);
  };
  const faults = (async () => {
    await until(EVENTS / 4);
    await victim.stop();
    t.comment(`stopped ${victim.serverName} (events stream leader) after ${finished} events`);
    await until(EVENTS / 2);
    const before = await metricSum(deliverer1.url, 'hookstream_deliveries_total').catch(() => NaN);
    await deliverer1.kill9();
    t.comment(`killed -9 ${deliverer1.name} after ${finished} events, it had made ${before} attempts`);
    await until((3 * EVENTS) / 4);
    await victim.start();
    t.comment(`started ${victim.serverName} again after ${finished} events`);
  })();
  const ingestStarted = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await faults;
  t.comment(
    `ingest: ${accepted.size} accepted, ${duplicates.size} duplicates of a write whose answer was lost, ${failures} failed requests retried, ${Date.now() - ingestStarted} ms`,
  );
  t.same(unanswered, [], 'every event was eventually accepted by one of the APIs');

  const orders = [...accepted].filter(([k]) => Number(k.slice(2)) % 2 === 0);
  const missing = () => ({
    healthy: [...accepted].filter(([k, id]) => !delivered.healthy.get(k)?.has(id)).length,
    flaky: orders.filter(([k, id]) => !delivered.flaky.get(k)?.has(id)).length,
  });
  await waitFor(
    () => {
      const m = missing();
      if (m.healthy + m.flaky > 0)
        throw new Error(`not yet delivered: ${JSON.stringify(m)}; flaky saw ${flaky.requests.length} requests`);
      return true;
    },
    { timeoutMs: 150_000, intervalMs: 250, message: 'every accepted event delivered to every matching destination' },
  );
  t.same(missing(), { healthy: 0, flaky: 0 }, 'every accepted event reached every destination its routes match');

  // Keys answered as duplicates were stored by an attempt whose answer was lost: delivered too.
  const stored = new Set([...accepted.keys(), ...duplicates]);
  t.equal(stored.size, EVENTS, 'every key was stored');
  const reached = [...stored].filter(
    (k) => delivered.healthy.has(k) && (Number(k.slice(2)) % 2 === 1 || delivered.flaky.has(k)),
  );
  t.equal(reached.length, EVENTS, 'every stored key was delivered, also those whose 202 was lost');
  const twice = [...delivered.healthy].filter(([, ids]) => ids.size > 1).map(([k]) => k);
  t.same(twice, [], 'each idempotency key was stored once: one event id per key');
  t.ok(failedOnce.size >= EVENTS / 20, 'the flaky destination made one order delivery in ten retry');

  // Read models: every event projected, delivered, with one delivery per matching destination.
  const eventsById = new Map<string, { status: string; delivery_count: number }>();
  await waitFor(
    async () => {
      eventsById.clear();
      let cursor: string | null = null;
      do {
        const r = await call(
          api2.url,
          key,
          'GET',
          `/v1/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        if (r.status !== 200) throw new Error(`GET /v1/events answered ${r.status}`);
        for (const e of r.json.data) eventsById.set(e.id, e);
        cursor = r.json.next_cursor;
      } while (cursor);
      const notYet = [...accepted.values()].filter((id) => eventsById.get(id)?.status !== 'delivered');
      if (notYet.length > 0) throw new Error(`${notYet.length} accepted events not yet projected as delivered`);
      // Events whose 202 was lost (their keys answered as duplicates later) must be projected too,
      // and nothing above waited for them: they may come after the others.
      if (eventsById.size < EVENTS) throw new Error(`${eventsById.size} of ${EVENTS} stored events projected`);
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 1_000, message: 'read models show every accepted event delivered' },
  );
  t.equal(eventsById.size, EVENTS, 'the read models hold each stored event once');
  const wrongCount = [...accepted].filter(
    ([k, id]) => eventsById.get(id)?.delivery_count !== (Number(k.slice(2)) % 2 === 0 ? 2 : 1),
  );
  t.same(wrongCount, [], 'orders have two deliveries, other events one');

  // The restarted node caught up: every replicated stream has its two followers current again.
  await waitFor(
    async () => {
      for (const name of replicated) {
        const replicas = (await broker.streams.info(name)).cluster?.replicas ?? [];
        if (replicas.length !== 2 || !replicas.every((r) => r.current)) return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500, message: 'every stream has two current followers after the restart' },
  );
  t.pass('every stream has a leader and two current followers');

  // Both copies of the API took traffic; the work counters of the others are reported.
  for (const api of apis)
    t.ok((await metricSum(api.url, 'hookstream_ingest_requests_total')) > 0, `${api.name} accepted ingest traffic`);
  const counts: string[] = [];
  for (const p of all.filter((x) => x !== deliverer1 && x.role !== 'api' && x.role !== 'jobs')) {
    const metric =
      p.role === 'router'
        ? 'hookstream_router_events_total'
        : p.role === 'deliverer'
          ? 'hookstream_deliveries_total'
          : 'hookstream_projection_batch_rows_sum';
    counts.push(`${p.name}=${await metricSum(p.url, metric).catch(() => NaN)}`);
  }
  t.comment(`work per process: ${counts.join(' ')}; total ${Date.now() - began} ms`);
});
