// The console's data endpoints over the whole system: dead letters, replay to one destination,
// test events, the payload-filter tester, live events (SSE) and statistics from the rollups.
import t from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { type Client, client, startSystem } from './harness.ts';

interface Sse {
  events: Array<{ event: string; data: any }>;
  comments: number;
  ended: boolean;
  close(): void;
}

/** Reads a text/event-stream into a list as it arrives. */
async function openSse(url: string, key: string): Promise<{ status: number; sse: Sse }> {
  const ctl = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
    signal: ctl.signal,
  });
  const sse: Sse = { events: [], comments: 0, ended: false, close: () => ctl.abort() };
  if (res.status !== 200 || !res.body) return { status: res.status, sse };
  void (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          if (block.startsWith(':')) {
            sse.comments++;
            continue;
          }
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          sse.events.push({ event, data: data ? JSON.parse(data) : null });
        }
      }
    } catch {
      /* aborted */
    }
    sse.ended = true;
  })();
  return { status: res.status, sse };
}

t.test('console data endpoints', async (t) => {
  const gw = await startSystem(t);
  const base = gw.url as string;
  const rx = await startReceiver(t);
  // Events with {"hold": true} wait at /ok until the test lets them through.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  rx.respond(async (req) => {
    if (req.url === '/bad') return { status: 500, body: 'boom' };
    if (req.body.toString().includes('"hold":true')) await held;
    return { status: 200, body: 'fine' };
  });
  const signup = async (name: string) => (await client(base).call('POST', '/v1/accounts', { name })).json.data;
  const a = await signup('acme');
  const b = await signup('other');
  const api = client(base, a.api_key);
  const other = client(base, b.api_key);
  const dest = async (c: Client, name: string, extra: Record<string, unknown> = {}) =>
    (await c.call('POST', '/v1/destinations', { name, url: `${rx.url}/${name}`, ...extra })).json.data;
  const ok = await dest(api, 'ok');
  const bad = await dest(api, 'bad', { retry_policy: { max_attempts: 2, delays_ms: [50] } });
  const foreign = await dest(other, 'ok');
  // Catch-all routes: every event of A goes to both.
  for (const d of [ok, bad]) t.equal((await api.call('POST', '/v1/routes', { destination_id: d.id })).status, 201);

  const published: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await api.call('POST', '/v1/outbound-events', { event_type: 'order.created', payload: { n: i } });
    t.equal(r.status, 202);
    published.push(r.json.data.id);
  }

  await t.test('dead letters list the deliveries that gave up, with reason and last response', async (t) => {
    const list = await waitFor(
      async () => {
        const r = await api.call('GET', '/v1/dead-letters');
        return r.status === 200 && r.json.data.length === 3 ? r.json : null;
      },
      { timeoutMs: 20_000, message: 'three dead letters' },
    );
    t.equal(list.next_cursor, null);
    for (const d of list.data) {
      t.equal(d.destination_id, bad.id);
      t.equal(d.reason, 'exhausted');
      t.equal(d.attempts, 2);
      t.equal(d.last_status_code, 500);
      t.equal(d.last_response_excerpt, 'boom');
      t.equal(d.event_type, 'order.created');
      t.equal(d.direction, 'outbound');
      t.ok(published.includes(d.event_id));
      t.ok(Date.parse(d.dead_lettered_at) > 0);
    }
    const times = list.data.map((d: { dead_lettered_at: string }) => d.dead_lettered_at);
    t.same(times, [...times].sort().reverse(), 'newest first');
    const first = await api.call('GET', '/v1/dead-letters?limit=2');
    t.equal(first.json.data.length, 2);
    t.type(first.json.next_cursor, 'string');
    const second = await api.call('GET', `/v1/dead-letters?limit=2&cursor=${first.json.next_cursor}`);
    t.equal(second.json.data.length, 1);
    t.equal(second.json.next_cursor, null);
    t.same(
      [...first.json.data, ...second.json.data].map((d: { id: string }) => d.id),
      list.data.map((d: { id: string }) => d.id),
      'the pages are the whole list',
    );
    t.equal(
      (await api.call('GET', `/v1/dead-letters?destination_id=${ok.id}`)).json.data.length,
      0,
      'filtered by destination',
    );
    t.equal(
      (await api.call('GET', `/v1/dead-letters?destination_id=${bad.id}&event_type=order.created`)).json.data.length,
      3,
    );
    t.equal((await api.call('GET', '/v1/dead-letters?event_type=nope')).json.data.length, 0, 'filtered by event type');
    t.equal(
      (await api.call('GET', `/v1/dead-letters?event_type=${encodeURIComponent('order.*')}`)).json.data.length,
      3,
      'or by a pattern, as routes match',
    );
    t.equal(
      (
        await api.call(
          'GET',
          `/v1/dead-letters?until=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
        )
      ).json.data.length,
      0,
      'filtered by time',
    );
    t.equal((await other.call('GET', '/v1/dead-letters')).json.data.length, 0, 'another account sees none');
    for (const q of ['destination_id=nope', 'since=yesterday', 'cursor=garbage', 'limit=0', 'colour=red']) {
      const r = await api.call('GET', `/v1/dead-letters?${q}`);
      t.equal(r.status, 400, q);
      t.type(r.json.error, 'string');
      t.type(r.json.duration_ms, 'number');
    }
    t.equal((await client(base).call('GET', '/v1/dead-letters')).status, 401);
  });

  await t.test('a replay to one destination delivers to that destination only', async (t) => {
    const event = published[0] as string;
    const before = rx.requests.length;
    const r = await api.call('POST', `/v1/events/${event}/replay`, { destination_id: ok.id });
    t.equal(r.status, 202);
    t.same(
      r.json.data.deliveries.map((d: { destination_id: string }) => d.destination_id),
      [ok.id],
    );
    const [req] = await waitFor(() => {
      const got = rx.requests
        .slice(before)
        .filter((q) => q.headers['x-hookstream-delivery-id'] === r.json.data.deliveries[0].id);
      return got.length > 0 ? got : null;
    });
    t.equal(req?.url, '/ok');
    t.equal(
      (await api.call('POST', `/v1/events/${event}/replay`, { destination_id: foreign.id })).status,
      400,
      'not another account’s destination',
    );
    t.equal(
      (await api.call('POST', `/v1/outbound-events/${event}/replay`, { destination_id: ok.id })).status,
      202,
      'the outbound twin too',
    );
  });

  await t.test('a test event goes to the one destination and shows in the event log', async (t) => {
    const r = await api.call('POST', `/v1/destinations/${ok.id}/test`, {});
    t.equal(r.status, 202);
    const { event_id, delivery_id } = r.json.data;
    const [req] = await waitFor(() => {
      const got = rx.requests.filter((q) => q.headers['x-hookstream-event-id'] === event_id);
      return got.length > 0 ? got : null;
    });
    t.equal(req?.url, '/ok');
    t.equal(req?.headers['x-hookstream-delivery-id'], delivery_id, 'the delivery id answered is the one delivered');
    t.equal(JSON.parse(req?.body.toString() ?? '{}').destination_id, ok.id);
    const ev = await waitFor(async () => {
      const e = await api.call('GET', `/v1/events/${event_id}`);
      return e.status === 200 && e.json.data.status === 'delivered' ? e.json.data : null;
    });
    t.equal(ev.event_type, 'hookstream.test');
    t.same(
      ev.deliveries.map((d: { id: string }) => d.id),
      [delivery_id],
      'one delivery, although the catch-all route names two destinations',
    );
    await new Promise((r) => setTimeout(r, 300));
    t.equal(
      rx.requests.filter((q) => q.headers['x-hookstream-event-id'] === event_id).length,
      1,
      'nothing went to the other destination',
    );

    const custom = await api.call('POST', `/v1/destinations/${ok.id}/test`, {
      event_type: 'invoice.paid',
      payload: { amount: 42 },
    });
    t.equal(custom.status, 202);
    const [creq] = await waitFor(() => {
      const got = rx.requests.filter((q) => q.headers['x-hookstream-event-id'] === custom.json.data.event_id);
      return got.length > 0 ? got : null;
    });
    t.same(JSON.parse(creq?.body.toString() ?? '{}'), { amount: 42 });
    t.equal(creq?.headers['x-event-type'], 'invoice.paid');

    t.equal(
      (await api.call('POST', `/v1/destinations/${foreign.id}/test`, {})).status,
      404,
      'not another account’s destination',
    );
    t.equal((await api.call('POST', '/v1/destinations/nope/test', {})).status, 404);
    t.equal(
      (await api.call('POST', `/v1/destinations/${ok.id}/test`, { payload: [1] })).status,
      400,
      'the payload is an object',
    );
    t.equal((await api.call('POST', `/v1/destinations/${ok.id}/test`, { event_type: 'bad type!' })).status, 400);
    t.equal((await api.call('POST', `/v1/destinations/${ok.id}/test`, { colour: 'red' })).status, 400);
    const paused = await dest(api, 'paused', { active: false });
    const p = await api.call('POST', `/v1/destinations/${paused.id}/test`, {});
    t.equal(p.status, 409);
    t.match(p.json.error, /paused/);
  });

  await t.test('the payload-filter tester answers whether a payload matches', async (t) => {
    const filter = { amount: { $gte: 100 }, $or: [{ currency: 'eur' }, { currency: { $in: ['usd'] } }] };
    const yes = await api.call('POST', '/v1/payload-filters/test', {
      payload_filter: filter,
      payload: { amount: 150, currency: 'usd' },
    });
    t.equal(yes.status, 200);
    t.same(yes.json.data, { matches: true });
    const no = await api.call('POST', '/v1/payload-filters/test', {
      payload_filter: filter,
      payload: { amount: 50, currency: 'usd' },
    });
    t.same(no.json.data, { matches: false });
    const invalid = await api.call('POST', '/v1/payload-filters/test', {
      payload_filter: { amount: { $near: 1 } },
      payload: {},
    });
    t.equal(invalid.status, 400);
    t.match(invalid.json.error, /^payload_filter: .*\$near/);
    t.equal(
      (await api.call('POST', '/v1/payload-filters/test', { payload_filter: {} })).status,
      400,
      'payload is required',
    );
    t.equal((await api.call('POST', '/v1/payload-filters/test', { payload_filter: [], payload: {} })).status, 400);
  });

  await t.test('live events: new events and status changes, filtered, per account', async (t) => {
    const all = await openSse(`${base}/v1/events/live`, a.api_key);
    const typed = await openSse(`${base}/v1/events/live?event_type=only.this`, a.api_key);
    const theirs = await openSse(`${base}/v1/events/live`, b.api_key);
    t.teardown(() => {
      for (const s of [all, typed, theirs]) s.sse.close();
    });
    t.equal(all.status, 200);
    const e1 = (await api.call('POST', '/v1/outbound-events', { event_type: 'other.type', payload: { hold: true } }))
      .json.data.id;
    const e2 = (await api.call('POST', '/v1/outbound-events', { event_type: 'only.this', payload: {} })).json.data.id;
    const seenBy = (s: Sse, id: string) => s.events.filter((e) => e.event === 'event' && e.data.id === id);
    // e1 waits at ok (held) while bad fails it twice: it shows up unfinished first.
    const early = await waitFor(() => seenBy(all.sse, e1)[0], { timeoutMs: 20_000, message: 'e1 appears live' });
    t.match(early.data, { id: e1, direction: 'outbound', event_type: 'other.type' }, 'the items of GET /v1/events');
    t.not(early.data.status, 'dead_letter');
    // While ok holds it, its delivery is in flight: the destination's backlog says so.
    const inFlight = await waitFor(async () => {
      const d = (await api.call('GET', `/v1/destinations/${ok.id}/stats?range=1h`)).json.data;
      return d.pending >= 1 ? d : null;
    });
    t.ok(inFlight.pending >= 1, 'pending counts the delivery in flight');
    const inStats = (await api.call('GET', '/v1/stats?range=1h')).json.data.destinations.find(
      (d: { destination_id: string }) => d.destination_id === ok.id,
    );
    t.ok(inStats.pending >= 1, 'in /v1/stats too');
    release();
    const final = await waitFor(() => seenBy(all.sse, e1).find((e) => e.data.status === 'dead_letter'), {
      timeoutMs: 20_000,
      message: 'e1 reaches its final status live',
    });
    t.equal(final.data.delivery_count, 2, 'and again when its status changed');
    await waitFor(() => seenBy(typed.sse, e2).find((e) => e.data.status === 'dead_letter'), { timeoutMs: 20_000 });
    t.equal(seenBy(typed.sse, e1).length, 0, 'the filter holds');
    t.equal(theirs.sse.events.length, 0, 'another account sees none of it');
    const bad = await api.call('GET', '/v1/events/live?since=yesterday');
    t.equal(bad.status, 400);
    t.equal((await api.call('GET', '/v1/events/live?status=nope')).status, 400);
    t.equal((await openSse(`${base}/v1/events/live`, 'hk_wrongwrongwrongwrong')).status, 401);
    const key = (await api.call('POST', '/v1/api-keys', { name: 'watcher' })).json.data;
    const watcher = await openSse(`${base}/v1/events/live`, key.key);
    t.equal(watcher.status, 200);
    t.equal((await api.call('DELETE', `/v1/api-keys/${key.id}`)).status < 300, true);
    await waitFor(() => watcher.sse.ended, { message: 'the stream of a revoked key ends' });
    t.equal(all.sse.ended, false, 'the others go on');
  });

  await t.test('live events: a change to an event older than the newest hundred is sent too', async (t) => {
    // In the other account, which has no routes: every event is unrouted at once.
    const old = (await other.call('POST', '/v1/outbound-events', { event_type: 'old.one', payload: {} })).json.data.id;
    for (let i = 0; i < 100; i++)
      t.equal((await other.call('POST', '/v1/outbound-events', { event_type: 'filler', payload: { i } })).status, 202);
    await waitFor(
      async () => {
        const r = await other.call('GET', '/v1/events?limit=500');
        return r.json.data.length === 101 && r.json.data.every((e: { status: string }) => e.status === 'unrouted');
      },
      { timeoutMs: 20_000, message: 'all projected' },
    );
    const live = await openSse(`${base}/v1/events/live`, b.api_key);
    t.teardown(() => live.sse.close());
    await new Promise((r) => setTimeout(r, 1_500));
    t.equal(live.sse.events.length, 0, 'nothing changed yet');
    t.equal((await other.call('POST', `/v1/events/${old}/replay`, { destination_id: foreign.id })).status, 202);
    const seen = await waitFor(() => live.sse.events.find((e) => e.data.id === old && e.data.delivery_count === 1), {
      timeoutMs: 15_000,
      message: 'the old event’s new delivery sent live',
    });
    t.equal(seen.data.event_type, 'old.one');
  });

  await t.test('live events: a comment every 15 s keeps a quiet stream open', async (t) => {
    const quiet = await openSse(`${base}/v1/events/live?event_type=never.sent`, a.api_key);
    t.teardown(() => quiet.sse.close());
    const opened = Date.now();
    await waitFor(() => quiet.sse.comments >= 2, {
      timeoutMs: 25_000,
      message: 'a heartbeat after the opening comment',
    });
    t.ok(Date.now() - opened >= 14_000, 'not before its time');
    t.equal(quiet.sse.events.length, 0);
    t.equal(quiet.sse.ended, false);
  });

  await t.test('statistics equal what the events imply, per account', async (t) => {
    // Every event's deliveries are final: the rollups then hold every attempt.
    const list = await waitFor(
      async () => {
        const r = await api.call('GET', '/v1/events?limit=500');
        const items = r.json.data as Array<{ id: string; status: string }>;
        return items.every((e) => e.status === 'delivered' || e.status === 'dead_letter') ? items : null;
      },
      { timeoutMs: 20_000 },
    );
    const expected = { received: list.length, delivered: 0, retrying: 0, dead_lettered: 0, failed_attempts: 0 };
    const perDest = new Map<string, { attempts: number; succeeded: number }>();
    for (const e of list) {
      const detail = (await api.call('GET', `/v1/events/${e.id}`)).json.data;
      for (const d of detail.deliveries) {
        if (d.status === 'dead_letter') expected.dead_lettered++;
        const pd = perDest.get(d.destination_id) ?? { attempts: 0, succeeded: 0 };
        for (const at of d.attempts) {
          pd.attempts++;
          if (at.outcome === 'delivered') {
            expected.delivered++;
            pd.succeeded++;
          } else expected.failed_attempts++;
          if (at.outcome === 'retry_scheduled') expected.retrying++;
        }
        perDest.set(d.destination_id, pd);
      }
    }
    const stats = await waitFor(async () => {
      const r = await api.call('GET', '/v1/stats?range=1h');
      return r.status === 200 &&
        r.json.data.totals.dead_lettered === expected.dead_lettered &&
        r.json.data.totals.delivered === expected.delivered
        ? r.json.data
        : null;
    });
    t.same(stats.totals, expected);
    t.equal(stats.range, '1h');
    t.equal(stats.interval_s, 60);
    t.equal(stats.series.length, 60);
    const sum = (k: string) => stats.series.reduce((n: number, p: Record<string, number>) => n + (p[k] as number), 0);
    t.same(
      {
        received: sum('received'),
        delivered: sum('delivered'),
        retrying: sum('retrying'),
        dead_lettered: sum('dead_lettered'),
      },
      {
        received: expected.received,
        delivered: expected.delivered,
        retrying: expected.retrying,
        dead_lettered: expected.dead_lettered,
      },
      'the series adds up to the totals',
    );
    const okRow = stats.destinations.find((d: { destination_id: string }) => d.destination_id === ok.id);
    const badRow = stats.destinations.find((d: { destination_id: string }) => d.destination_id === bad.id);
    t.match(okRow, {
      name: 'ok',
      attempts: perDest.get(ok.id)?.attempts,
      succeeded: perDest.get(ok.id)?.succeeded,
      success_rate: 1,
      circuit: 'closed',
      pending: 0,
    });
    t.ok(okRow.p50_ms >= 0 && okRow.p95_ms >= okRow.p50_ms, 'latency percentiles');
    t.match(badRow, { name: 'bad', succeeded: 0, success_rate: 0, last_status_code: 500, pending: 0 });
    t.equal(badRow.attempts, perDest.get(bad.id)?.attempts);
    t.ok(Date.parse(badRow.last_error_at) > 0);
    t.type(badRow.last_error, 'string');
    t.equal(badRow.circuit, 'open', 'ten failures in a row and no success: failing now');
    t.equal(stats.pipeline.ready, true);
    t.equal(stats.pipeline.checks.nats, true);
    t.type(stats.pipeline.projection_lag_ms, 'number');

    const ds = (await api.call('GET', `/v1/destinations/${bad.id}/stats?range=24h`)).json.data;
    t.equal(ds.interval_s, 3600);
    t.equal(ds.series.length, 24);
    t.equal(
      ds.series.reduce((n: number, p: { s5xx: number }) => n + p.s5xx, 0),
      perDest.get(bad.id)?.attempts,
      'every attempt a 5xx',
    );
    t.equal(ds.success_rate, 0);
    t.ok(ds.recent_failures.length > 0 && ds.recent_failures.length <= 10);
    t.match(ds.recent_failures[0], { status_code: 500, response_excerpt: 'boom' });
    t.ok(list.some((e) => e.id === ds.recent_failures[0].event_id));
    const dsOk = (await api.call('GET', `/v1/destinations/${ok.id}/stats?range=7d`)).json.data;
    t.equal(dsOk.series.length, 168);
    t.equal(dsOk.recent_failures.length, 0);
    t.equal(
      dsOk.series.reduce((n: number, p: { s2xx: number }) => n + p.s2xx, 0),
      perDest.get(ok.id)?.attempts,
    );

    const theirs = await waitFor(async () => {
      const r = (await other.call('GET', '/v1/stats?range=7d')).json.data;
      return r.totals.delivered === 1 ? r : null;
    });
    t.same(
      theirs.totals,
      { received: 101, delivered: 1, retrying: 0, dead_lettered: 0, failed_attempts: 0 },
      'another account sees only its own',
    );
    t.same(
      theirs.destinations.map((d: { destination_id: string }) => d.destination_id),
      [foreign.id],
    );
    t.equal(theirs.destinations[0].circuit, 'closed');
    t.equal((await other.call('GET', `/v1/destinations/${bad.id}/stats`)).status, 404);
    t.equal((await api.call('GET', '/v1/stats?range=2d')).status, 400);
    t.equal((await api.call('GET', `/v1/destinations/${ok.id}/stats?range=30d`)).status, 400);
  });

  // Last: its failed attempts would change the circuit counted above.
  await t.test('dead letters say whether their event was replayed to that destination since', async (t) => {
    const second = published[1] as string;
    t.equal((await api.call('POST', `/v1/events/${second}/replay`, { destination_id: bad.id })).status, 202);
    const marked = await waitFor(async () => {
      const r = await api.call('GET', '/v1/dead-letters?replayed=true');
      return r.json.data.length > 0 ? r.json.data : null;
    });
    t.same(
      marked.map((d: { event_id: string; replayed: boolean }) => [d.event_id, d.replayed]),
      [[second, true]],
    );
    const open = (await api.call('GET', '/v1/dead-letters?replayed=false')).json.data;
    t.ok(
      open.length >= 2 && open.every((d: { replayed: boolean; id: string }) => !d.replayed && d.id !== marked[0].id),
      'the others are not',
    );
    t.equal((await api.call('GET', '/v1/dead-letters?replayed=maybe')).status, 400);
  });
});
