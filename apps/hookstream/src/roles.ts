// The roles the gateway composes: for each, what it needs from the process and how it starts. Each
// role exports one start(deps) (apps/<role>/src/build.ts); an entry here only maps the process's
// shared parts onto those deps. Entries start in table order and stop in the reverse order: the api
// stops taking requests first, the router, which feeds the deliverers, last.
import type { Role, Settings } from '@hookstream/config';
import {
  type Broker,
  type Publisher,
  openConsoleSessionKv,
  openPortalSessionKv,
  openSignInFailureKv,
} from '@hookstream/broker';
import { api as contracts } from '@hookstream/contracts';
import type { Catalog } from '@hookstream/catalog';
import type { Logger, Metrics } from '@hookstream/observability';
import type { Pool } from '@hookstream/store';
// Roles are imported when the process runs them: a deliverer does not load Fastify, pg-boss or the
// projector (memory per process is a figure operators size for).
import type { ApiHandle, ReadinessCheck } from '@hookstream/app-api';
import type { Deliverer } from '@hookstream/app-deliverer';
import type { Jobs } from '@hookstream/app-jobs';
import type { Projector } from '@hookstream/app-projector';
import type { Router } from '@hookstream/app-router';
import { eventQueries } from './queries.ts';
import { insightPorts } from './insights.ts';
import { auditPort } from './audit.ts';

/** What a started role gives back: its own handle, with stop(). */
export interface RoleHandles {
  router: Router;
  deliverer: Deliverer;
  projector: Projector;
  jobs: Jobs;
  api: ApiHandle;
}

export interface RoleNeeds {
  /** Postgres (the pool); the process starts or connects to one when a named role needs it. */
  database: boolean;
  /** The schema must be current before the role starts (roles that write or read job tables). */
  currentSchema: boolean;
  /**
   * A NATS connection of its own beside other roles. nats-server cuts off a connection whose unread
   * bytes pass its max_pending (64 MB by default), and the router and the projector, pulling large
   * messages by the dozen, can do that. On a shared connection the api's publishes in flight would
   * fail (ingest answering 503), and the deliverer's messages in hand would come again as new
   * deliveries, each spending an attempt.
   */
  ownConnection: boolean;
}

/** What the process has built before its roles start. */
export interface RoleContext {
  settings: Readonly<Settings>;
  /** The roles ROLES names. */
  roles: ReadonlySet<Role>;
  log: Logger;
  metrics: Metrics;
  catalog: Catalog;
  /** The process's shared connection. */
  broker: Broker;
  /** This role's connection: its own where `ownConnection` asked for one, else the shared one. */
  connection: { broker: Broker; publisher: Publisher };
  /** The shared connection's publisher. */
  publisher: Publisher;
  pool: Pool | null;
  databaseUrl: string | null;
  readiness: () => Promise<Record<string, ReadinessCheck>>;
  /** Whether the api listens on settings.port (tests may use inject() instead). */
  listen: boolean;
  /** Roles started earlier in the table. */
  started: Partial<RoleHandles>;
}

export interface RoleEntry<R extends Role> {
  needs: RoleNeeds;
  /** Whether this process starts it: by default when ROLES names it. */
  runs?(roles: ReadonlySet<Role>, pool: Pool | null): boolean;
  start(ctx: RoleContext): Promise<RoleHandles[R]>;
}

/** Start order. */
export const ROLE_ORDER: readonly Role[] = ['router', 'deliverer', 'projector', 'jobs', 'api'];

export const ROLE_TABLE: { readonly [R in Role]: RoleEntry<R> } = {
  router: {
    needs: { database: false, currentSchema: false, ownConnection: false },
    start: async (c) =>
      (await import('@hookstream/app-router')).start({
        broker: c.connection.broker,
        view: c.catalog.view,
        publisher: c.connection.publisher,
        log: c.log.child({ role: 'router' }),
        metrics: c.metrics,
      }),
  },
  deliverer: {
    needs: { database: false, currentSchema: false, ownConnection: true },
    start: async (c) =>
      (await import('@hookstream/app-deliverer')).start({
        broker: c.connection.broker,
        view: c.catalog.view,
        publisher: c.connection.publisher,
        log: c.log.child({ role: 'deliverer' }),
        allowPrivate: c.settings.allowPrivateDestinations,
        maxInFlight: c.settings.delivererMaxInFlight,
        logDeliveries: c.settings.logDeliveries,
        metrics: c.metrics,
      }),
  },
  projector: {
    needs: { database: true, currentSchema: true, ownConnection: false },
    runs: (roles, pool) => roles.has('projector') && pool !== null,
    start: async (c) =>
      (await import('@hookstream/app-projector')).start({
        broker: c.connection.broker,
        pool: c.pool as Pool,
        log: c.log.child({ role: 'projector' }),
        metrics: c.metrics,
      }),
  },
  // The jobs role runs pg-boss workers; an api without it still needs the ports (create, read,
  // download), which only send jobs.
  jobs: {
    needs: { database: true, currentSchema: true, ownConnection: false },
    runs: (roles, pool) => (roles.has('jobs') || roles.has('api')) && pool !== null,
    start: async (c) =>
      (await import('@hookstream/app-jobs')).start({
        broker: c.connection.broker,
        pool: c.pool as Pool,
        catalog: c.catalog,
        publisher: c.connection.publisher,
        log: c.log.child({ role: 'jobs' }),
        settings: c.settings,
        ...(c.databaseUrl ? { databaseUrl: c.databaseUrl } : {}),
        work: c.roles.has('jobs'),
        metrics: c.metrics,
      }),
  },
  api: {
    // Postgres for the event log, replays, exports and statistics; ingest and management need only NATS.
    needs: { database: true, currentSchema: false, ownConnection: true },
    start: async (c) => {
      const { broker, publisher } = c.connection;
      const jobs = c.started.jobs;
      return (await import('@hookstream/app-api')).start({
        settings: c.settings,
        catalog: c.catalog,
        publisher,
        log: c.log.child({ role: 'api' }),
        metrics: c.metrics,
        readiness: c.readiness,
        consoleSessions: await openConsoleSessionKv(broker, {
          replicas: c.settings.streamReplicas,
          idleMs: c.settings.consoleSessionIdleMs,
        }),
        // The bucket keeps an entry at most as long as the longest session lives.
        portalSessions: await openPortalSessionKv(broker, {
          replicas: c.settings.streamReplicas,
          maxAgeMs: (contracts.MAX_PORTAL_SESSION_S + 60) * 1000,
        }),
        signInFailures: await openSignInFailureKv(broker, {
          replicas: c.settings.streamReplicas,
          windowMs: c.settings.signInLockoutMs,
        }),
        ...(c.pool ? { events: eventQueries(c.pool, c.broker, c.catalog, publisher) } : {}),
        ...(jobs ? { replays: jobs.ports.replays, exports: jobs.ports.exports } : {}),
        ...insightPorts(c.pool, c.broker),
        audit: auditPort(broker, c.pool),
        ...(c.listen ? { listen: { port: c.settings.port, host: c.settings.host } } : {}),
      });
    },
  },
};

/** Whether this process starts the role. */
export function runs(role: Role, roles: ReadonlySet<Role>, pool: Pool | null): boolean {
  const entry: RoleEntry<Role> = ROLE_TABLE[role];
  return entry.runs ? entry.runs(roles, pool) : roles.has(role);
}
