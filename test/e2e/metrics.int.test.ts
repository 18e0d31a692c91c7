// Issue 7's "done when": scraping /metrics during a run shows every Hookstream metric family moving.
// One whole system (every role in one process) is driven through every outcome a family counts —
// ingest accepted/duplicate/404/401/413, routed and unrouted events, a 500-then-200 receiver, a
// dead-lettered delivery, an opened circuit, a rate-limited burst, an export, a bulk replay, a config
// change sealed under a key the system lacks and missed consumer heartbeats (the nats-server is
// paused) — then GET /metrics must show a moving sample in every family of METRIC_NAMES, with labels
// only from their fixed sets: never an account id, a URL or a uuid.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { connectBroker } from '@hookstream/broker';
import { Keyring, decodeKey, openCatalog } from '@hookstream/catalog';
import { testSettings } from '@hookstream/config';
import { METRIC_LABELS, METRIC_NAMES } from '@hookstream/observability';
import { startNats, startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format: `# TYPE` lines and samples (name, labels, value). */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** Why a family has not moved yet, or null when it has (counters/histograms > 0; gauges present). */
function stillFlat(name: string, types: Map<string, string>, samples: Sample[]): string | null {
  const kind = types.get(name);
  if (!kind) return 'not exposed';
  const sum = (n: string) => samples.filter((s) => s.name === n).reduce((a, s) => a + s.value, 0);
  if (kind === 'counter') return sum(name) > 0 ? null : 'counter is 0';
  if (kind === 'histogram') return sum(`${name}_count`) > 0 ? null : 'histogram has no observation';
  return samples.some((s) => s.name === name) ? null : 'gauge has no sample';
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const URLISH = /:\/\/|^\/|127\.0\.0\.1|localhost/i;

t.test('every hookstream_* family moves during a run, with bounded labels only', async (t) => {
  // A nats-server of the test's own, so that it can be paused to make heartbeats go missing.
  const nats = await startNats(t);
  const gw = await startSystem(t, {}, { natsUrl: nats.url });
  const base = gw.url as string;
  const anon = client(base);

  const ok = await startReceiver(t);
  const flaky = await startReceiver(t);
  const seen = new Set<string>();
  flaky.respond((req) => {
    const id = String(req.headers['x-hookstream-delivery-id']);
    if (seen.has(id)) return { status: 200, body: 'ok' };
    seen.add(id);
    return { status: 500, body: 'first attempt fails' };
  });
  const dead = await startReceiver(t);
  dead.respond(() => ({ status: 500, body: 'always down' }));
  const down = await startReceiver(t);
  down.respond(() => ({ status: 503, body: 'down' }));
  const limited = await startReceiver(t);

  const acct = await anon.call('POST', '/v1/accounts', { name: 'metrics' });
  t.equal(acct.status, 201);
  const accountId: string = acct.json.data.account.id;
  const api = client(base, acct.json.data.api_key);
  const src = (await api.call('POST', '/v1/sources', { name: 'shop' })).json.data;
  const signed = (
    await api.call('POST', '/v1/sources', {
      name: 'signed',
      auth_mode: 'shared_secret',
      verification_config: { provider: 'github', secret: 'gh-secret-123' },
    })
  ).json.data;
  t.ok(signed?.path_token, 'signed source created');

  const fast = { delays_ms: [100] };
  const destinations: Array<[string, string, Record<string, unknown>]> = [
    ['ok', ok.url, { retry_policy: { max_attempts: 5, ...fast } }],
    ['flaky', flaky.url, { retry_policy: { max_attempts: 5, ...fast } }],
    ['dead', dead.url, { retry_policy: { max_attempts: 2, ...fast } }],
    // Five 503s in a row open its circuit (the default threshold); attempts remain for after it.
    ['down', down.url, { retry_policy: { max_attempts: 20, ...fast } }],
    ['limited', limited.url, { retry_policy: { max_attempts: 5, ...fast }, rate_limit_per_s: 1 }],
  ];
  const ids: Record<string, string> = {};
  for (const [name, url, extra] of destinations) {
    const d = await api.call('POST', '/v1/destinations', { name, url: `${url}/hook`, timeout_ms: 2000, ...extra });
    t.equal(d.status, 201, `destination ${name} created`);
    ids[name] = d.json.data.id;
  }
  const routes: Array<[string, string]> = [
    ['ok', 'order.*'],
    ['flaky', 'order.*'],
    ['dead', 'dead.*'],
    ['down', 'down.*'],
    ['limited', 'limited.*'],
  ];
  for (const [name, pattern] of routes) {
    const r = await api.call('POST', '/v1/routes', {
      source_id: src.id,
      destination_id: ids[name],
      event_type_pattern: pattern,
    });
    t.equal(r.status, 201, `route to ${name}`);
  }

  const send = (type: string, key?: string, token = src.path_token as string) =>
    anon.ingest(token, JSON.stringify({ type, key }), {
      'content-type': 'application/json',
      'x-event-type': type,
      ...(key ? { 'x-webhook-id': key } : {}),
    });

  // Ingest outcomes: accepted, duplicate, not_found, unauthorized, too_large.
  const orders: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await send('order.created', `order-${i}`);
    t.equal(r.status, 202);
    orders.push(r.json.data.id);
  }
  t.same((await send('order.created', 'order-0')).json.data, { status: 'accepted', note: 'duplicate' });
  t.equal((await send('order.created', undefined, 'src_does_not_exist')).status, 404);
  t.equal(
    (await send('order.created', undefined, signed.path_token)).status,
    401,
    'unsigned body on a github-verified source',
  );
  const huge = await fetch(`${base}/ingest/${src.path_token}`, {
    method: 'POST',
    body: Buffer.alloc(5 * 1024 * 1024 + 1, 97),
  });
  await huge.body?.cancel();
  t.equal(huge.status, 413);

  // Router: an unrouted event beside the routed ones; deliverer: dead letter, circuit, rate limit.
  const unrouted = (await send('nothing.matches')).json.data.id;
  const deadEvent = (await send('dead.letter')).json.data.id;
  for (let i = 0; i < 5; i++) t.equal((await send('down.now')).status, 202);
  await Promise.all(Array.from({ length: 4 }, () => send('limited.burst')));

  await flaky.waitForCount(6, 60_000);
  await ok.waitForCount(3, 60_000);
  await dead.waitForCount(2, 60_000);
  await down.waitForCount(5, 60_000);
  await limited.waitForCount(4, 60_000);
  const status = async (id: string) => (await api.call('GET', `/v1/events/${id}`)).json?.data?.status;
  await waitFor(async () => (await Promise.all(orders.map(status))).every((s) => s === 'delivered'), {
    timeoutMs: 60_000,
    message: 'orders delivered',
  });
  await waitFor(async () => (await status(deadEvent)) === 'dead_letter', {
    timeoutMs: 60_000,
    message: 'dead.letter dead-lettered',
  });
  await waitFor(async () => (await status(unrouted)) === 'unrouted', {
    timeoutMs: 60_000,
    message: 'unrouted event projected',
  });

  // Jobs: an export and a bulk replay of the orders (which re-delivers them).
  const exp = await api.call('POST', '/v1/exports', { kind: 'events', format: 'ndjson' });
  t.equal(exp.status, 202, 'export accepted');
  await waitFor(
    async () => (await api.call('GET', `/v1/exports/${exp.json.data.id}`)).json?.data?.status === 'completed',
    {
      timeoutMs: 90_000,
      message: 'export completed',
    },
  );
  const window = {
    since: new Date(Date.now() - 3_600_000).toISOString(),
    until: new Date(Date.now() + 60_000).toISOString(),
  };
  const replay = await api.call('POST', '/v1/replays', { ...window, event_type: 'order.created' });
  t.equal(replay.status, 202, 'bulk replay accepted');
  await waitFor(
    async () => (await api.call('GET', `/v1/replays/${replay.json.data.id}`)).json?.data?.status === 'completed',
    {
      timeoutMs: 90_000,
      message: 'replay completed',
    },
  );
  await ok.waitForCount(6, 60_000);

  // A config change sealed under a key the system does not hold: a writer that rotated to a new
  // SECRETS_KEY while the system still runs on the old one.
  const broker = await connectBroker({ servers: nats.url, name: 'foreign-key' });
  t.teardown(() => broker.close());
  const systemKey = decodeKey(testSettings().secretsKey as string) as Buffer;
  const foreign = await openCatalog(broker, { keyring: new Keyring(randomBytes(32), [systemKey]) });
  t.teardown(() => foreign.close());
  await foreign.put('destination', 'foreign-key-destination', {
    id: 'foreign-key-destination',
    account_id: 'foreign',
    name: 'd',
    url: 'https://example.com',
    auth_token: 'sealed-elsewhere',
    headers: {},
    signing_secrets: [],
    signature_scheme: 'standard_webhooks',
    timeout_ms: 1000,
    retry_policy: { max_attempts: 1 },
    rate_limit_per_s: null,
    max_in_flight: 1,
    active: true,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  });

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return parseExposition(await res.text());
  };
  const flat = (s: { types: Map<string, string>; samples: Sample[] }, skip: string[] = []) =>
    METRIC_NAMES.filter((n) => !skip.includes(n))
      .map((n) => [n, stillFlat(n, s.types, s.samples)] as const)
      .filter(([, why]) => why !== null);

  // Gauges are sampled on timers (consumers 10 s, projection lag 5 s, job queues 15 s): wait for them.
  const heartbeats = 'hookstream_consumer_heartbeats_missed_total';
  await waitFor(
    async () => {
      const still = flat(await scrape(), [heartbeats]);
      if (still.length > 0) throw new Error(`still flat: ${JSON.stringify(still)}`);
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 1000, message: `every family but ${heartbeats} moving` },
  );

  // A paused nats-server keeps the connections open but sends no idle heartbeats: after two missed
  // (5 s apart) the pull consumers report them, well before the client's ping check gives up.
  process.kill(nats.pid, 'SIGSTOP');
  let paused = true;
  const resume = () => {
    if (paused) process.kill(nats.pid, 'SIGCONT');
    paused = false;
  };
  t.teardown(resume);
  try {
    await waitFor(
      async () => {
        const s = await scrape();
        return stillFlat(heartbeats, s.types, s.samples) === null;
      },
      {
        timeoutMs: 25_000,
        intervalMs: 500,
        message: 'missed heartbeats counted while nats-server is paused',
      },
    );
  } finally {
    resume();
  }

  const final = await scrape();
  for (const name of METRIC_NAMES) t.equal(stillFlat(name, final.types, final.samples), null, `${name} moved`);

  // Labels: only the declared names, only values from their fixed sets (or 'other'); and nothing
  // anywhere in the exposition that names an account, a destination URL or any other id.
  const known = [accountId, src.id, src.path_token, signed.path_token, ...Object.values(ids), ...orders];
  const hookstream = new Set<string>(METRIC_NAMES);
  const familyOf = (sample: string) => sample.replace(/_(bucket|sum|count)$/, '');
  const problems: string[] = [];
  for (const s of final.samples) {
    for (const [label, value] of Object.entries(s.labels)) {
      if (UUID.test(value) || URLISH.test(value) || known.some((k) => value.includes(k)))
        problems.push(`${s.name}{${label}="${value}"}`);
    }
    const family = hookstream.has(s.name) ? s.name : familyOf(s.name);
    if (!hookstream.has(family)) continue;
    const allowed = METRIC_LABELS[family as keyof typeof METRIC_LABELS];
    for (const [label, value] of Object.entries(s.labels)) {
      if (label === 'le' && s.name.endsWith('_bucket')) continue;
      const set = allowed[label];
      if (!set) problems.push(`${s.name} has undeclared label ${label}`);
      else if (value !== 'other' && !set.includes(value))
        problems.push(`${s.name}{${label}="${value}"} is outside its set`);
    }
  }
  t.same(problems, [], 'labels are bounded and name no account, URL or id');

  // The outcomes this run drove are visible under their own label values.
  const has = (name: string, labels: Record<string, string>) =>
    final.samples.some(
      (s) => s.name === name && s.value > 0 && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  for (const outcome of ['accepted', 'duplicate', 'not_found', 'unauthorized', 'too_large']) {
    t.ok(has('hookstream_ingest_requests_total', { outcome }), `ingest outcome ${outcome} counted`);
  }
  t.ok(has('hookstream_router_events_total', { result: 'routed' }), 'routed events counted');
  t.ok(has('hookstream_router_events_total', { result: 'unrouted' }), 'unrouted events counted');
  t.ok(has('hookstream_deliveries_total', { outcome: 'delivered', class: '2xx' }), 'delivered 2xx counted');
  t.ok(has('hookstream_deliveries_total', { outcome: 'retry_scheduled', class: '5xx' }), 'retries after 5xx counted');
  t.ok(has('hookstream_deliveries_total', { outcome: 'dead_letter', class: '5xx' }), 'dead letter after 5xx counted');
  t.ok(has('hookstream_dead_letters_total', { reason: 'exhausted' }), 'dead letter reason exhausted');
  t.ok(
    has('hookstream_jetstream_publish_duration_seconds_count', { stream: 'events' }),
    'events stream publish latency',
  );
  t.ok(
    has('hookstream_http_requests_total', { route_group: 'management', status_class: '2xx' }),
    'management requests counted',
  );
  t.ok(
    final.samples.some((s) => s.name === 'process_resident_memory_bytes'),
    "Node's process metrics are exposed",
  );
});
