// Operational surface of a process: readiness checks, consumer gauges for /metrics, and a small
// HTTP server with /healthz, /readyz and /metrics for processes that do not run the api role.
import Fastify from 'fastify';
import { type Broker, troubledConsumers } from '@hookstream/broker';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import type { Metrics } from '@hookstream/observability';
import type { Pool } from '@hookstream/store';
import type { ReadinessCheck } from '@hookstream/app-api';

export interface ReadinessDeps {
  broker: Pick<Broker, 'connected' | 'streams'>;
  pool: Pool | null;
  /** Postgres is required for readiness only where a role cannot work without it. */
  postgresRequired: boolean;
  projectionLag?: () => Promise<Record<string, { lag: number }>>;
}

/** Projection lag above this many messages is reported (not fatal: ingest does not depend on it). */
const LAG_WARNING = 10_000;

export function readinessChecks(deps: ReadinessDeps): () => Promise<Record<string, ReadinessCheck>> {
  return async () => {
    const checks: Record<string, ReadinessCheck> = {};
    const up = deps.broker.connected();
    checks.nats = { ok: up, required: true, detail: up ? 'connected' : 'disconnected' };
    try {
      const info = await deps.broker.streams.info(STREAMS.events);
      checks.events_stream = { ok: true, required: true, detail: `${info.state.messages} messages` };
    } catch (err) {
      checks.events_stream = { ok: false, required: true, detail: (err as Error).message };
    }
    // Counted by status, not named: a destination's consumer name carries its id.
    const troubled = new Map<string, number>();
    for (const c of troubledConsumers()) troubled.set(c.status.kind, (troubled.get(c.status.kind) ?? 0) + 1);
    checks.consumers = {
      ok: troubled.size === 0,
      required: false,
      detail: troubled.size === 0 ? 'pulling' : [...troubled].map(([kind, n]) => `${n} ${kind}`).join(', '),
    };
    if (deps.pool) {
      try {
        await deps.pool.query('SELECT 1');
        checks.postgres = { ok: true, required: deps.postgresRequired, detail: 'reachable' };
      } catch (err) {
        checks.postgres = {
          ok: false,
          required: deps.postgresRequired,
          detail: `unreachable (${(err as Error).message}); ingest and delivery are not affected`,
        };
      }
    }
    if (deps.projectionLag) {
      try {
        const lag = await deps.projectionLag();
        const worst = Math.max(0, ...Object.values(lag).map((l) => l.lag));
        checks.projection_lag = {
          ok: worst < LAG_WARNING,
          required: false,
          detail: Object.entries(lag)
            .map(([s, l]) => `${s}=${l.lag}`)
            .join(' '),
        };
      } catch (err) {
        checks.projection_lag = { ok: false, required: false, detail: (err as Error).message };
      }
    }
    return checks;
  };
}

/** Polls consumer info into gauges: the router, the projectors, the dead-letter watch and the sum over destinations. */
export function startConsumerGauges(
  broker: Pick<Broker, 'consumers'>,
  metrics: Metrics,
  intervalMs = 10_000,
): () => void {
  const poll = async () => {
    const sums = new Map<string, { pending: number; ackPending: number }>();
    const add = (kind: string, pending: number, ackPending: number) => {
      const s = sums.get(kind) ?? { pending: 0, ackPending: 0 };
      s.pending += pending;
      s.ackPending += ackPending;
      sums.set(kind, s);
    };
    for (const stream of Object.values(STREAMS)) {
      try {
        for (const c of await broker.consumers.list(stream)) {
          const name = c.name;
          const kind =
            name === CONSUMERS.router
              ? 'router'
              : name === CONSUMERS.deadLetterWatch
                ? 'dead_letter_watch'
                : name.startsWith('dst_')
                  ? 'destination'
                  : name.startsWith('projector_')
                    ? 'projector'
                    : null;
          if (kind) add(kind, c.num_pending, c.num_ack_pending);
        }
      } catch {
        /* stream missing or NATS away: keep the last values */
      }
    }
    for (const [kind, s] of sums) metrics.setConsumerGauges(kind as never, s.pending, s.ackPending);
  };
  const timer = setInterval(() => void poll().catch(() => {}), intervalMs);
  timer.unref();
  void poll().catch(() => {});
  return () => clearInterval(timer);
}

/** /healthz, /readyz and /metrics for a process without the api role. */
export async function startOpsServer(opts: {
  port: number;
  host: string;
  metrics: Metrics;
  readiness: () => Promise<Record<string, ReadinessCheck>>;
}) {
  const app = Fastify({ logger: false });
  app.get('/healthz', () => ({ data: { status: 'ok' }, duration_ms: 0 }));
  app.get('/readyz', async (_req, reply) => {
    const checks = await opts.readiness();
    const ready = Object.values(checks).every((c) => c.ok || !c.required);
    return reply
      .code(ready ? 200 : 503)
      .send({ data: { status: ready ? 'ready' : 'not_ready', checks }, duration_ms: 0 });
  });
  app.get('/metrics', async (_req, reply) => reply.type(opts.metrics.contentType).send(await opts.metrics.render()));
  await app.listen({ port: opts.port, host: opts.host });
  return app;
}
