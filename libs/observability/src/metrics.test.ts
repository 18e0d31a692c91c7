import t from 'tap';
import {
  METRIC_LABELS,
  METRIC_NAMES,
  type Metrics,
  createMetrics,
  mergeMetrics,
  routeGroupOf,
  statusClass,
  stopwatch,
} from './metrics.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// The exposition format is line-based: `name{k="v",…} value`. Label values here never hold '"' or ','.
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const [k, v] = pair.split('=') as [string, string];
      labels[k] = JSON.parse(v) as string;
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function exerciseAll(m: Metrics): void {
  m.ingest('accepted', 0.004);
  m.ingest('duplicate', 0.002);
  m.publish('events', 0.003);
  m.routerEvent('routed', 3);
  m.routerEvent('unrouted', 0);
  m.routerEvent('malformed', 0);
  m.delivery('delivered', '2xx', 1, 0.05);
  m.delivery('retry_scheduled', '5xx', 2, 0.2);
  m.delivery('dead_letter', 'timeout', 5, 10);
  m.delivery('retry_scheduled', 'blocked', 1, null);
  m.deadLetter('exhausted');
  m.circuitOpened();
  m.rateLimitedWait();
  m.configUnopenable();
  m.setConsumerGauges('destination', 120, 7);
  m.heartbeatMissed('router');
  m.setProjectionLag('facts', 42);
  m.projectionBatch(250);
  m.setJobsQueueDepth('exports', 3);
  m.httpRequest('post', 'ingest', 202);
}

t.test('every family appears in render() with its labels', async (t) => {
  const m = createMetrics();
  exerciseAll(m);
  const { samples, types } = parse(await m.render());

  for (const name of METRIC_NAMES) {
    const type = types.get(name);
    t.ok(type, `${name} is exposed`);
    const own = samples.filter((s) => (type === 'histogram' ? s.name.startsWith(`${name}_`) : s.name === name));
    t.ok(own.length > 0, `${name} has samples`);
    for (const s of own) {
      const names = Object.keys(s.labels).filter((k) => k !== 'le');
      t.same(names.sort(), Object.keys(METRIC_LABELS[name]).sort(), `${s.name} carries exactly its labels`);
      for (const k of names) {
        const allowed = METRIC_LABELS[name][k] ?? [];
        t.ok(allowed.includes(s.labels[k] as string), `${s.name} ${k}="${s.labels[k]}" is in its fixed set`);
      }
    }
  }

  t.equal(find(samples, 'hookstream_ingest_requests_total', { outcome: 'accepted' })?.value, 1);
  t.equal(find(samples, 'hookstream_ingest_duration_seconds_count', { outcome: 'duplicate' })?.value, 1);
  t.equal(find(samples, 'hookstream_jetstream_publish_duration_seconds_count', { stream: 'events' })?.value, 1);
  t.equal(find(samples, 'hookstream_router_events_total', { result: 'malformed' })?.value, 1);
  // routed and unrouted events are observed; a malformed one has no fan-out.
  t.equal(find(samples, 'hookstream_router_fanout_count')?.value, 2);
  t.equal(find(samples, 'hookstream_router_fanout_sum')?.value, 3);
  t.equal(find(samples, 'hookstream_deliveries_total', { outcome: 'dead_letter', class: 'timeout' })?.value, 1);
  t.equal(find(samples, 'hookstream_delivery_attempt_sum', { outcome: 'dead_letter' })?.value, 5);
  t.equal(find(samples, 'hookstream_delivery_duration_seconds_count', { class: '2xx' })?.value, 1);
  t.notOk(
    find(samples, 'hookstream_delivery_duration_seconds_count', { class: 'blocked' }),
    'no duration without a request',
  );
  t.equal(find(samples, 'hookstream_retries_scheduled_total')?.value, 2, 'each retry_scheduled outcome counts a retry');
  t.equal(find(samples, 'hookstream_dead_letters_total', { reason: 'exhausted' })?.value, 1);
  t.equal(find(samples, 'hookstream_circuit_open_total')?.value, 1);
  t.equal(find(samples, 'hookstream_rate_limited_waits_total')?.value, 1);
  t.equal(find(samples, 'hookstream_config_unopenable_total')?.value, 1);
  t.equal(find(samples, 'hookstream_consumer_pending', { consumer_kind: 'destination' })?.value, 120);
  t.equal(find(samples, 'hookstream_consumer_ack_pending', { consumer_kind: 'destination' })?.value, 7);
  t.equal(find(samples, 'hookstream_consumer_heartbeats_missed_total', { consumer_kind: 'router' })?.value, 1);
  t.equal(find(samples, 'hookstream_projection_lag_messages', { stream: 'facts' })?.value, 42);
  t.equal(find(samples, 'hookstream_projection_batch_rows_sum')?.value, 250);
  t.equal(find(samples, 'hookstream_jobs_queue_depth', { queue: 'exports' })?.value, 3);
  t.equal(
    find(samples, 'hookstream_http_requests_total', { method: 'POST', route_group: 'ingest', status_class: '2xx' })
      ?.value,
    1,
  );
  t.match(m.contentType, /^text\/plain/);
});

t.test('Node process metrics are on by default and can be left out', async (t) => {
  const withProcess = parse(await createMetrics().render()).types;
  t.ok(withProcess.has('process_resident_memory_bytes'));
  t.ok(withProcess.has('nodejs_heap_size_used_bytes'));
  const without = parse(await createMetrics({ processMetrics: false }).render()).types;
  t.notOk(without.has('process_resident_memory_bytes'));
  t.ok(without.has('hookstream_ingest_requests_total'));
});

t.test('label values outside their fixed set are recorded as other', async (t) => {
  const m = createMetrics({ processMetrics: false });
  // Casts stand for callers in plain JS or with a string from the outside world.
  m.ingest('acct_1234' as never, 0.01);
  m.deadLetter('https://example.com/hook' as never);
  m.setConsumerGauges('dst_0b1c' as never, 5, 1);
  m.setJobsQueueDepth('secret-queue' as never, 9);
  m.publish('HS_EVENTS' as never, 0.001);
  m.delivery('delivered', '418' as never, 1, 0.1);
  m.httpRequest('BREW', 'admin' as never, 999);
  const text = await m.render();
  const { samples } = parse(text);
  for (const leaked of [
    'acct_1234',
    'example.com',
    'dst_0b1c',
    'secret-queue',
    'HS_EVENTS',
    '418',
    'BREW',
    'admin',
    '999',
  ]) {
    t.notOk(text.includes(leaked), `${leaked} never reaches the output`);
  }
  t.equal(find(samples, 'hookstream_ingest_requests_total', { outcome: 'other' })?.value, 1);
  t.equal(find(samples, 'hookstream_dead_letters_total', { reason: 'other' })?.value, 1);
  t.equal(find(samples, 'hookstream_consumer_pending', { consumer_kind: 'other' })?.value, 5);
  t.equal(find(samples, 'hookstream_jobs_queue_depth', { queue: 'other' })?.value, 9);
  t.equal(find(samples, 'hookstream_jetstream_publish_duration_seconds_count', { stream: 'other' })?.value, 1);
  t.equal(find(samples, 'hookstream_deliveries_total', { outcome: 'delivered', class: 'other' })?.value, 1);
  t.equal(
    find(samples, 'hookstream_http_requests_total', { method: 'other', route_group: 'other', status_class: 'other' })
      ?.value,
    1,
  );
});

t.test('unusable numbers are dropped, never thrown', async (t) => {
  const m = createMetrics({ processMetrics: false });
  t.doesNotThrow(() => {
    m.ingest('accepted', Number.NaN);
    m.setConsumerGauges('router', -1, Number.POSITIVE_INFINITY);
    m.projectionBatch(Number.NaN);
    m.delivery('delivered', '2xx', 0, -1);
  });
  const { samples } = parse(await m.render());
  t.equal(
    find(samples, 'hookstream_ingest_requests_total', { outcome: 'accepted' })?.value,
    1,
    'the request still counts',
  );
  t.notOk(find(samples, 'hookstream_ingest_duration_seconds_count', { outcome: 'accepted' }));
  t.notOk(find(samples, 'hookstream_consumer_pending', { consumer_kind: 'router' }));
  t.equal(find(samples, 'hookstream_projection_batch_rows_count')?.value, 0);
  t.notOk(find(samples, 'hookstream_delivery_attempt_count', { outcome: 'delivered' }));
});

t.test('two metric objects do not share a registry', async (t) => {
  const a = createMetrics({ processMetrics: false });
  const b = createMetrics({ processMetrics: false });
  a.circuitOpened();
  t.equal(find(parse(await b.render()).samples, 'hookstream_circuit_open_total')?.value, 0);
});

t.test('helpers', async (t) => {
  t.equal(statusClass(204), '2xx');
  t.equal(statusClass(503), '5xx');
  t.equal(statusClass(99), 'other');
  t.equal(statusClass(600), 'other');
  t.equal(statusClass(200.5), 'other');
  t.equal(routeGroupOf('POST', '/ingest/:token'), 'ingest');
  t.equal(routeGroupOf('GET', '/readyz'), 'health');
  t.equal(routeGroupOf('GET', '/metrics'), 'health');
  t.equal(routeGroupOf('GET', '/v1/events/:id'), 'query');
  t.equal(routeGroupOf('GET', '/v1/outbound-events'), 'query');
  t.equal(routeGroupOf('POST', '/v1/events/:id/replay'), 'management');
  t.equal(routeGroupOf('GET', '/v1/destinations'), 'management');
  t.equal(routeGroupOf('GET', '/v1/stats'), 'query');
  t.equal(routeGroupOf('GET', '/v1/dead-letters'), 'query');
  t.equal(routeGroupOf('GET', '/v1/destinations/:id/stats'), 'query', "a destination's statistics are a query");
  t.equal(routeGroupOf('POST', '/v1/destinations/:id/test'), 'management');
  t.equal(routeGroupOf('GET', '/v1/eventsx'), 'management');
  t.equal(routeGroupOf('GET', '/'), 'other');
  const elapsed = stopwatch();
  const s = elapsed();
  t.ok(s >= 0 && Number.isFinite(s));
  t.equal(new Set(METRIC_NAMES).size, METRIC_NAMES.length, 'names are unique');
  t.ok(METRIC_NAMES.every((n) => n.startsWith('hookstream_')));
});

t.test(
  'mergeMetrics: counters of several processes add up, a gauge every process polls is not multiplied',
  async (t) => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.routerEvent('routed', 1);
    b.routerEvent('routed', 1);
    b.routerEvent('routed', 1);
    a.setConsumerGauges('router', 7, 1);
    b.setConsumerGauges('router', 7, 1);
    const { samples } = parse(
      await mergeMetrics([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]),
    );
    t.equal(
      find(samples, 'hookstream_router_events_total', { result: 'routed' })?.value,
      3,
      'counted once per event, whichever process saw it',
    );
    t.equal(
      find(samples, 'hookstream_consumer_pending', { consumer_kind: 'router' })?.value,
      7,
      'the same consumer seen by two processes is 7, not 14',
    );
  },
);
