// The composition root of the `hookstream` command: every role named in ROLES, in one process,
// on the embedded services or on the ones configured.
import type { Role, Settings } from '@hookstream/config';
import { type Broker, type Publisher, connectBroker, createPublisher, ensureTopology, openConsoleSessionKv } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import { type Logger, type Metrics, createMetrics, processLogger } from '@hookstream/observability';
import { type Pool, assertSchemaCurrent, createPool, migrate } from '@hookstream/store';
// Roles are imported when the process runs them: a deliverer does not load Fastify, pg-boss or the
// projector (memory per process is a figure operators size for).
import type { ApiApp } from '@hookstream/app-api';
import type { Projector } from '@hookstream/app-projector';
import type { Jobs } from '@hookstream/app-jobs';
import { type Services, startServices } from './embedded.ts';
import { eventQueries } from './queries.ts';
import { insightPorts } from './insights.ts';
import { auditPort } from './audit.ts';
import { readinessChecks, startConsumerGauges, startOpsServer } from './ops.ts';
import { keyringFor, openSealedCatalog } from './secrets.ts';

export interface Gateway {
  settings: Readonly<Settings>;
  broker: Broker;
  catalog: Catalog;
  pool: Pool | null;
  api: ApiApp | null;
  metrics: Metrics;
  /** http://host:port when the api role listens. */
  url: string | null;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  log?: Logger;
  /** One registry per process; tests that run several gateways in one process pass their own. */
  metrics?: Metrics;
  /** Listen on settings.port (default true). Tests may prefer inject(). */
  listen?: boolean;
}

interface Stoppable {
  stop(): Promise<void>;
}

export async function startGateway(settings: Readonly<Settings>, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? processLogger(settings, 'hookstream');
  const roles = new Set(settings.roles);
  const needsDb = roles.has('api') || roles.has('projector') || roles.has('jobs');
  const metrics = opts.metrics ?? createMetrics();
  // Before any service starts: a process without its secrets key stops here, saying which.
  const { keyring } = await keyringFor(settings, log);
  const services: Services = await startServices(settings, log, { nats: true, database: needsDb });
  const cleanup: Array<() => Promise<void>> = [() => services.stop()];
  const undo = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  };
  try {
    const broker = await connectBroker({
      servers: (services.natsUrl as string).split(','),
      name: `hookstream:${[...roles].join('+')}`,
      log: (level, msg) => log[level](msg),
    });
    cleanup.push(() => broker.close());
    await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
    const catalog = await openSealedCatalog(broker, keyring, log, metrics);
    cleanup.push(async () => catalog.close());
    const publisher = createPublisher(broker);
    // Beside other roles, the api and the deliverer each get a connection of their own. nats-server
    // cuts off a connection whose unread bytes pass its max_pending (64 MB by default), and the
    // router and the projector, pulling large messages by the dozen, can do that. On a shared
    // connection the api's publishes in flight would fail (ingest answering 503), and the
    // deliverer's messages in hand would come again as new deliveries, each spending an attempt.
    const connectionFor = async (role: Role): Promise<{ broker: Broker; publisher: Publisher }> => {
      if (!roles.has(role) || roles.size === 1) return { broker, publisher };
      const own = await connectBroker({
        servers: (services.natsUrl as string).split(','),
        name: `hookstream:${role}`,
        log: (level, msg) => log[level](msg),
      });
      cleanup.push(() => own.close());
      return { broker: own, publisher: createPublisher(own) };
    };
    const apiConnection = await connectionFor('api');
    const delivererConnection = await connectionFor('deliverer');

    let pool: Pool | null = null;
    if (needsDb && services.databaseUrl) {
      pool = createPool(services.databaseUrl, { onError: (err: unknown) => log.warn({ err }, 'postgres pool error') });
      const p = pool;
      cleanup.push(() => p.end());
      if (!settings.databaseUrl) await migrate(pool);
      if (roles.has('projector') || roles.has('jobs')) await assertSchemaCurrent(pool);
    }

    const running: Stoppable[] = [];
    if (roles.has('router')) {
      const { buildRouter } = await import('@hookstream/app-router');
      const r = buildRouter({ broker, view: catalog.view, publisher, log: log.child({ role: 'router' }), metrics });
      await r.start();
      running.push(r);
    }
    if (roles.has('deliverer')) {
      const { buildDeliverer } = await import('@hookstream/app-deliverer');
      const d = buildDeliverer({
        broker: delivererConnection.broker,
        view: catalog.view,
        publisher: delivererConnection.publisher,
        log: log.child({ role: 'deliverer' }),
        allowPrivate: settings.allowPrivateDestinations,
        maxInFlight: settings.delivererMaxInFlight,
        logDeliveries: settings.logDeliveries,
        metrics,
      });
      await d.start();
      running.push(d);
    }
    let projector: Projector | null = null;
    if (roles.has('projector') && pool) {
      const { buildProjector } = await import('@hookstream/app-projector');
      projector = buildProjector({ broker, pool, log: log.child({ role: 'projector' }), metrics });
      await projector.start();
      running.push(projector);
    }
    // The jobs role runs pg-boss workers; an API without it still needs the ports (create, read,
    // download), which only send jobs.
    let jobs: Jobs | null = null;
    if ((roles.has('jobs') || roles.has('api')) && pool && services.databaseUrl) {
      const { buildJobs } = await import('@hookstream/app-jobs');
      jobs = buildJobs({
        broker,
        pool,
        catalog,
        publisher,
        log: log.child({ role: 'jobs' }),
        settings,
        databaseUrl: services.databaseUrl,
        work: roles.has('jobs'),
        metrics,
      });
      await jobs.start();
      running.push(jobs);
    }
    cleanup.push(async () => {
      for (const r of running.reverse()) await r.stop();
    });

    const stopGauges = startConsumerGauges(broker, metrics);
    cleanup.push(async () => stopGauges());
    const p = projector;
    const readiness = readinessChecks({
      broker,
      pool,
      postgresRequired: !roles.has('api') && (roles.has('projector') || roles.has('jobs')),
      ...(p ? { projectionLag: () => p.lag() } : {}),
    });
    let api: ApiApp | null = null;
    let url: string | null = null;
    if (!roles.has('api') && opts.listen !== false) {
      const ops = await startOpsServer({ port: settings.port, host: settings.host, metrics, readiness });
      cleanup.push(() => ops.close());
    }
    if (roles.has('api')) {
      const { buildApi } = await import('@hookstream/app-api');
      api = await buildApi({
        settings,
        catalog,
        publisher: apiConnection.publisher,
        log: log.child({ role: 'api' }),
        metrics,
        readiness,
        consoleSessions: await openConsoleSessionKv(apiConnection.broker, { replicas: settings.streamReplicas, idleMs: settings.consoleSessionIdleMs }),
        ...(pool ? { events: eventQueries(pool, broker, catalog, apiConnection.publisher) } : {}),
        ...(jobs ? { replays: jobs.ports.replays, exports: jobs.ports.exports } : {}),
        ...insightPorts(pool, broker),
        audit: auditPort(apiConnection.broker, pool),
      });
      const a = api;
      cleanup.push(() => a.close());
      if (opts.listen !== false) {
        await api.listen({ port: settings.port, host: settings.host });
        const addr = api.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : settings.port;
        url = `http://127.0.0.1:${port}`;
        log.info({ url: settings.publicUrl, roles: [...roles] }, 'hookstream is listening');
      }
    }

    return {
      settings,
      broker,
      catalog,
      pool,
      api,
      metrics,
      url,
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
