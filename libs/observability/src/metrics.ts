// Prometheus metrics: one registry per process and one typed method per event worth counting.
// Callers never touch prom-client. Every label comes from a small fixed set below; a value outside
// its set is recorded as 'other' rather than refused, because a metric call must never throw on the
// hot path and an unbounded label (an id, a URL) must never reach the registry.
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const OTHER = 'other';

export const INGEST_OUTCOMES = [
  'accepted',
  'duplicate',
  'unauthorized',
  'not_found',
  'too_large',
  'bad_request',
  'error',
] as const;
export const STREAM_NAMES = ['events', 'deliveries', 'facts', 'dead_letters'] as const;
export const ROUTER_RESULTS = ['routed', 'unrouted', 'malformed'] as const;
export const DELIVERY_OUTCOMES = ['delivered', 'retry_scheduled', 'dead_letter'] as const;
export const DELIVERY_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'blocked', 'other'] as const;
export const DEAD_LETTER_REASONS = [
  'exhausted',
  'not_retryable',
  'max_deliveries_advisory',
  'destination_deleted',
] as const;
export const CONSUMER_KINDS = ['router', 'destination', 'projector', 'dead_letter_watch'] as const;
export const JOB_QUEUES = ['exports', 'retention', 'replays', 'rebuild'] as const;
export const ROUTE_GROUPS = ['management', 'query', 'ingest', 'health', 'other'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];
export type StreamName = (typeof STREAM_NAMES)[number];
export type RouterResult = (typeof ROUTER_RESULTS)[number];
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
export type DeliveryClass = (typeof DELIVERY_CLASSES)[number];
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
export type ConsumerKind = (typeof CONSUMER_KINDS)[number];
export type JobQueue = (typeof JOB_QUEUES)[number];
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

type Kind = 'counter' | 'gauge' | 'histogram';
interface Family {
  readonly name: string;
  readonly kind: Kind;
  readonly help: string;
  /** Label name → its allowed values; anything else is recorded as 'other'. */
  readonly labels: Readonly<Record<string, readonly string[]>>;
  readonly buckets?: readonly number[];
}

const LATENCY = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const DELIVERY_LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Every Hookstream metric family: the one place names, labels and buckets are spelled. */
export const FAMILIES = {
  ingestRequests: {
    name: 'hookstream_ingest_requests_total',
    kind: 'counter',
    help: 'Ingest requests by outcome.',
    labels: { outcome: INGEST_OUTCOMES },
  },
  ingestDuration: {
    name: 'hookstream_ingest_duration_seconds',
    kind: 'histogram',
    help: 'Ingest request latency, until the answer.',
    labels: { outcome: INGEST_OUTCOMES },
    buckets: LATENCY,
  },
  publishDuration: {
    name: 'hookstream_jetstream_publish_duration_seconds',
    kind: 'histogram',
    help: 'JetStream publish latency until the PubAck.',
    labels: { stream: STREAM_NAMES },
    buckets: LATENCY,
  },
  routerEvents: {
    name: 'hookstream_router_events_total',
    kind: 'counter',
    help: 'Events read by the router, by result.',
    labels: { result: ROUTER_RESULTS },
  },
  routerFanout: {
    name: 'hookstream_router_fanout',
    kind: 'histogram',
    help: 'Deliveries created per routed event.',
    labels: {},
    buckets: [0, 1, 2, 3, 5, 10, 25, 50, 100],
  },
  deliveries: {
    name: 'hookstream_deliveries_total',
    kind: 'counter',
    help: 'Delivery attempts by outcome and response class.',
    labels: { outcome: DELIVERY_OUTCOMES, class: DELIVERY_CLASSES },
  },
  deliveryAttempt: {
    name: 'hookstream_delivery_attempt',
    kind: 'histogram',
    help: 'Attempt number at which each outcome happened.',
    labels: { outcome: DELIVERY_OUTCOMES },
    buckets: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30],
  },
  deliveryDuration: {
    name: 'hookstream_delivery_duration_seconds',
    kind: 'histogram',
    help: 'Delivery attempt latency by response class.',
    labels: { class: DELIVERY_CLASSES },
    buckets: DELIVERY_LATENCY,
  },
  retriesScheduled: {
    name: 'hookstream_retries_scheduled_total',
    kind: 'counter',
    help: 'Retries scheduled after a failed attempt.',
    labels: {},
  },
  deadLetters: {
    name: 'hookstream_dead_letters_total',
    kind: 'counter',
    help: 'Deliveries dead-lettered, by reason.',
    labels: { reason: DEAD_LETTER_REASONS },
  },
  circuitOpen: {
    name: 'hookstream_circuit_open_total',
    kind: 'counter',
    help: 'Times a destination circuit opened.',
    labels: {},
  },
  rateLimitedWaits: {
    name: 'hookstream_rate_limited_waits_total',
    kind: 'counter',
    help: 'Deliveries postponed by a destination rate limit (no attempt spent).',
    labels: {},
  },
  consumerPending: {
    name: 'hookstream_consumer_pending',
    kind: 'gauge',
    help: 'Messages not yet delivered to a consumer kind (summed over its consumers).',
    labels: { consumer_kind: CONSUMER_KINDS },
  },
  consumerAckPending: {
    name: 'hookstream_consumer_ack_pending',
    kind: 'gauge',
    help: 'Messages delivered but not yet acknowledged, by consumer kind.',
    labels: { consumer_kind: CONSUMER_KINDS },
  },
  heartbeatsMissed: {
    name: 'hookstream_consumer_heartbeats_missed_total',
    kind: 'counter',
    help: 'Idle heartbeats missed by pull consumers.',
    labels: { consumer_kind: CONSUMER_KINDS },
  },
  projectionLag: {
    name: 'hookstream_projection_lag_messages',
    kind: 'gauge',
    help: 'Messages in a stream not yet projected into Postgres.',
    labels: { stream: STREAM_NAMES },
  },
  projectionBatchRows: {
    name: 'hookstream_projection_batch_rows',
    kind: 'histogram',
    help: 'Rows written per projection transaction.',
    labels: {},
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
  },
  jobsQueueDepth: {
    name: 'hookstream_jobs_queue_depth',
    kind: 'gauge',
    help: 'Jobs waiting or running per queue.',
    labels: { queue: JOB_QUEUES },
  },
  configUnopenable: {
    name: 'hookstream_config_unopenable_total',
    kind: 'counter',
    help: 'Config changes not applied because their secrets do not decrypt with the keys loaded.',
    labels: {},
  },
  httpRequests: {
    name: 'hookstream_http_requests_total',
    kind: 'counter',
    help: 'HTTP requests by method, route group and status class.',
    labels: { method: HTTP_METHODS, route_group: ROUTE_GROUPS, status_class: STATUS_CLASSES },
  },
} as const satisfies Record<string, Family>;

export type MetricName = (typeof FAMILIES)[keyof typeof FAMILIES]['name'];

/** Every Hookstream family name (Node process metrics come on top, named by prom-client). */
export const METRIC_NAMES: readonly MetricName[] = Object.values(FAMILIES).map((f) => f.name);

/** Per family: label name → allowed values ('other' is allowed on top of each). */
export const METRIC_LABELS: Readonly<Record<MetricName, Readonly<Record<string, readonly string[]>>>> =
  Object.fromEntries(Object.values(FAMILIES).map((f) => [f.name, f.labels])) as Record<
    MetricName,
    Readonly<Record<string, readonly string[]>>
  >;

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of render()'s output. */
  readonly contentType: string;
  /** The exposition text for GET /metrics. */
  render(): Promise<string>;
  /** One ingest request answered. */
  ingest(outcome: IngestOutcome, seconds: number): void;
  /** One JetStream publish acknowledged (or failed), timed until the PubAck. */
  publish(stream: StreamName, seconds: number): void;
  /** One event handled by the router; `deliveries` is its fan-out (not observed for malformed). */
  routerEvent(result: RouterResult, deliveries: number): void;
  /**
   * One delivery attempt finished. `seconds` null when no request was sent (e.g. blocked).
   * retry_scheduled also counts hookstream_retries_scheduled_total; dead letters are counted
   * separately by deadLetter(), since some (advisories, deleted destinations) have no attempt.
   */
  delivery(outcome: DeliveryOutcome, cls: DeliveryClass, attempt: number, seconds: number | null): void;
  /** One delivery written to the dead-letter stream. */
  deadLetter(reason: DeadLetterReason): void;
  circuitOpened(): void;
  rateLimitedWait(): void;
  /** Sums over every consumer of the kind (all destinations together); never per destination. */
  setConsumerGauges(kind: ConsumerKind, pending: number, ackPending: number): void;
  heartbeatMissed(kind: ConsumerKind): void;
  setProjectionLag(stream: StreamName, messages: number): void;
  projectionBatch(rows: number): void;
  setJobsQueueDepth(queue: JobQueue, depth: number): void;
  /** One HTTP request answered; `status` is the response code (grouped into its class). */
  httpRequest(method: string, group: RouteGroup, status: number): void;
  /** One config change whose secrets this process could not decrypt (it keeps the previous version). */
  configUnopenable(): void;
}

export interface MetricsOptions {
  /** Node process and runtime metrics (collectDefaultMetrics). Default true. */
  processMetrics?: boolean;
}

/** `value` when it is in `allowed`, else 'other': labels stay inside their fixed set. */
export function bounded<T extends string>(allowed: readonly T[], value: string): T | typeof OTHER {
  return (allowed as readonly string[]).includes(value) ? (value as T) : OTHER;
}

/** '1xx'…'5xx', or 'other' for anything that is not an HTTP status. */
export function statusClass(status: number): (typeof STATUS_CLASSES)[number] | typeof OTHER {
  if (!Number.isInteger(status) || status < 100 || status > 599) return OTHER;
  return `${Math.floor(status / 100)}xx` as (typeof STATUS_CLASSES)[number];
}

const QUERY_PATHS =
  /^\/v1\/((events|outbound-events|deliveries|attempts|dead-letters|exports|stats)(\/|$)|destinations\/[^/]+\/stats$)/;

/** The route group of a request, from its method and route pattern (or path). */
export function routeGroupOf(method: string, route: string): RouteGroup {
  if (route.startsWith('/ingest/')) return 'ingest';
  if (route === '/healthz' || route === '/readyz' || route === '/metrics') return 'health';
  if (route.startsWith('/v1/')) return method === 'GET' && QUERY_PATHS.test(route) ? 'query' : 'management';
  return 'other';
}

/** Seconds elapsed since the call, for the duration arguments above. */
export function stopwatch(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}

// Durations, sizes and depths are never negative; NaN would poison sums. Drop rather than throw.
const usable = (n: number): boolean => Number.isFinite(n) && n >= 0;

/**
 * The Prometheus text of several processes' registries as one (each from registry.getMetricsAsJSON()):
 * counters and histograms summed, gauges by their aggregator.
 */
export function mergeMetrics(parts: object[][]): Promise<string> {
  return AggregatorRegistry.aggregate(parts).metrics();
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const counter = (f: Family) =>
    new Counter({ name: f.name, help: f.help, labelNames: Object.keys(f.labels), registers: [registry] });
  // Merged across processes (mergeMetrics) by max, not sum: every process that polls a consumer's
  // pending count sees the same number.
  const gauge = (f: Family) =>
    new Gauge({
      name: f.name,
      help: f.help,
      labelNames: Object.keys(f.labels),
      registers: [registry],
      aggregator: 'max',
    });
  const histogram = (f: Family) =>
    new Histogram({
      name: f.name,
      help: f.help,
      labelNames: Object.keys(f.labels),
      buckets: [...(f.buckets ?? [])],
      registers: [registry],
    });

  const F = FAMILIES;
  const ingestRequests = counter(F.ingestRequests);
  const ingestDuration = histogram(F.ingestDuration);
  const publishDuration = histogram(F.publishDuration);
  const routerEvents = counter(F.routerEvents);
  const routerFanout = histogram(F.routerFanout);
  const deliveries = counter(F.deliveries);
  const deliveryAttempt = histogram(F.deliveryAttempt);
  const deliveryDuration = histogram(F.deliveryDuration);
  const retriesScheduled = counter(F.retriesScheduled);
  const deadLetters = counter(F.deadLetters);
  const circuitOpen = counter(F.circuitOpen);
  const rateLimitedWaits = counter(F.rateLimitedWaits);
  const consumerPending = gauge(F.consumerPending);
  const consumerAckPending = gauge(F.consumerAckPending);
  const heartbeatsMissed = counter(F.heartbeatsMissed);
  const projectionLag = gauge(F.projectionLag);
  const projectionBatchRows = histogram(F.projectionBatchRows);
  const jobsQueueDepth = gauge(F.jobsQueueDepth);
  const httpRequests = counter(F.httpRequests);
  const configUnopenable = counter(F.configUnopenable);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    ingest(outcome, seconds) {
      const labels = { outcome: bounded(INGEST_OUTCOMES, outcome) };
      ingestRequests.inc(labels);
      if (usable(seconds)) ingestDuration.observe(labels, seconds);
    },
    publish(stream, seconds) {
      if (usable(seconds)) publishDuration.observe({ stream: bounded(STREAM_NAMES, stream) }, seconds);
    },
    routerEvent(result, count) {
      const r = bounded(ROUTER_RESULTS, result);
      routerEvents.inc({ result: r });
      if (r !== 'malformed' && r !== OTHER && usable(count)) routerFanout.observe(count);
    },
    delivery(outcome, cls, attempt, seconds) {
      const o = bounded(DELIVERY_OUTCOMES, outcome);
      const c = bounded(DELIVERY_CLASSES, cls);
      deliveries.inc({ outcome: o, class: c });
      if (Number.isFinite(attempt) && attempt >= 1) deliveryAttempt.observe({ outcome: o }, Math.floor(attempt));
      if (seconds !== null && usable(seconds)) deliveryDuration.observe({ class: c }, seconds);
      if (o === 'retry_scheduled') retriesScheduled.inc();
    },
    deadLetter(reason) {
      deadLetters.inc({ reason: bounded(DEAD_LETTER_REASONS, reason) });
    },
    circuitOpened() {
      circuitOpen.inc();
    },
    rateLimitedWait() {
      rateLimitedWaits.inc();
    },
    configUnopenable() {
      configUnopenable.inc();
    },
    setConsumerGauges(kind, pending, ackPending) {
      const labels = { consumer_kind: bounded(CONSUMER_KINDS, kind) };
      if (usable(pending)) consumerPending.set(labels, pending);
      if (usable(ackPending)) consumerAckPending.set(labels, ackPending);
    },
    heartbeatMissed(kind) {
      heartbeatsMissed.inc({ consumer_kind: bounded(CONSUMER_KINDS, kind) });
    },
    setProjectionLag(stream, messages) {
      if (usable(messages)) projectionLag.set({ stream: bounded(STREAM_NAMES, stream) }, messages);
    },
    projectionBatch(rows) {
      if (usable(rows)) projectionBatchRows.observe(rows);
    },
    setJobsQueueDepth(queue, depth) {
      if (usable(depth)) jobsQueueDepth.set({ queue: bounded(JOB_QUEUES, queue) }, depth);
    },
    httpRequest(method, group, status) {
      httpRequests.inc({
        method: bounded(HTTP_METHODS, method.toUpperCase()),
        route_group: bounded(ROUTE_GROUPS, group),
        status_class: statusClass(status),
      });
    },
  };
}
