// The composition root of the `hookstream` command: every role named in ROLES, in one process,
// on the embedded services or on the ones configured. The roles come from one table (roles.ts:
// role → what it needs → start); here the process builds what they share, starts them in table
// order and stops them in reverse.
import type { Role, Settings } from '@hookstream/config';
import { type Broker, type Publisher, connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import { type Logger, type Metrics, createMetrics, processLogger } from '@hookstream/observability';
import { type Pool, assertSchemaCurrent, createPool, migrate } from '@hookstream/store';
import type { ApiApp, ReadinessCheck } from '@hookstream/app-api';
import { type Services, startServices } from './embedded.ts';
import { readinessChecks, startConsumerGauges, startOpsServer } from './ops.ts';
import { ROLE_ORDER, ROLE_TABLE, type RoleContext, type RoleHandles, runs } from './roles.ts';
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
  /** Checks /readyz adds to the process's own (under the supervisor: the other role processes). */
  moreReadiness?: () => Record<string, ReadinessCheck>;
}

export async function startGateway(settings: Readonly<Settings>, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? processLogger(settings, 'hookstream');
  const roles: ReadonlySet<Role> = new Set(settings.roles);
  const named = ROLE_ORDER.filter((r) => roles.has(r)).map((r) => ROLE_TABLE[r].needs);
  const needsDb = named.some((n) => n.database);
  const metrics = opts.metrics ?? createMetrics();
  const listen = opts.listen !== false;
  // Before any service starts: a process without its secrets key stops here, saying which.
  const { keyring } = await keyringFor(settings, log);
  const services: Services = await startServices(settings, log, { nats: true, database: needsDb });
  const cleanup: Array<() => Promise<void>> = [() => services.stop()];
  const undo = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  };
  try {
    const connect = async (name: string): Promise<{ broker: Broker; publisher: Publisher }> => {
      const broker = await connectBroker({
        servers: (services.natsUrl as string).split(','),
        name: `hookstream:${name}`,
        log: (level, msg) => log[level](msg),
      });
      cleanup.push(() => broker.close());
      return { broker, publisher: createPublisher(broker) };
    };
    const shared = await connect([...roles].join('+'));
    const { broker, publisher } = shared;
    await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
    const catalog = await openSealedCatalog(broker, keyring, log, metrics);
    cleanup.push(() => Promise.resolve().then(() => catalog.close()));

    let pool: Pool | null = null;
    if (needsDb && services.databaseUrl) {
      pool = createPool(services.databaseUrl, { onError: (err: unknown) => log.warn({ err }, 'postgres pool error') });
      const p = pool;
      cleanup.push(() => p.end());
      if (!settings.databaseUrl) await migrate(pool);
      if (named.some((n) => n.currentSchema)) await assertSchemaCurrent(pool);
    }

    const started: Partial<RoleHandles> = {};
    const own = readinessChecks({
      broker,
      pool,
      postgresRequired: !roles.has('api') && named.some((n) => n.database),
      ...(runs('projector', roles, pool)
        ? { projectionLag: async () => (started.projector ? started.projector.lag() : {}) }
        : {}),
    });
    const more = opts.moreReadiness;
    const readiness = more ? async () => ({ ...(await own()), ...more() }) : own;
    const context = {
      settings,
      roles,
      log,
      metrics,
      catalog,
      broker,
      publisher,
      pool,
      databaseUrl: services.databaseUrl ?? null,
      readiness,
      listen,
      started,
    };
    const startRole = async <R extends Role>(role: R): Promise<void> => {
      const entry = ROLE_TABLE[role];
      const connection = entry.needs.ownConnection && roles.size > 1 ? await connect(role) : shared;
      const ctx: RoleContext = { ...context, connection };
      const handle: RoleHandles[R] = await entry.start(ctx);
      started[role] = handle;
      cleanup.push(async () => {
        await handle.stop();
        log.debug({ role }, 'role stopped');
      });
    };
    for (const role of ROLE_ORDER) if (runs(role, roles, pool)) await startRole(role);

    const stopGauges = startConsumerGauges(broker, metrics);
    cleanup.push(() => Promise.resolve().then(stopGauges));
    if (!roles.has('api') && listen) {
      const ops = await startOpsServer({ port: settings.port, host: settings.host, metrics, readiness });
      cleanup.push(() => ops.close());
    }
    const api = started.api ?? null;
    if (api?.url) log.info({ url: settings.publicUrl, roles: [...roles] }, 'hookstream is listening');

    return {
      settings,
      broker,
      catalog,
      pool,
      api: api?.app ?? null,
      metrics,
      url: api?.url ?? null,
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
