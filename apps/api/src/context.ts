// What the API needs from the rest of the system: narrow ports, wired by the composition root.
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '@hookstream/catalog';
import type { ConsoleSessionKv, PortalSessionKv, Publisher, SignInFailureKv } from '@hookstream/broker';
import type { Role } from '@hookstream/domain';
import type { Settings } from '@hookstream/config';
import type { Logger, Metrics } from '@hookstream/observability';
import type { AuditPort, EventQueries, ExportPort, InsightPort, ReadinessCheck, ReplayPort } from './ports.ts';

export interface ApiDeps {
  settings: Readonly<Settings>;
  catalog: Catalog;
  publisher: Publisher;
  /** The console's sign-in sessions (a KV bucket every api copy shares); absent: console sign-in is off. */
  consoleSessions?: ConsoleSessionKv;
  /** Customer portal sessions (a KV bucket every api copy shares); absent: portal sessions are off. */
  portalSessions?: PortalSessionKv;
  /** Failed console sign-ins per email and address (the lockout); absent: sign-in by password is off. */
  signInFailures?: SignInFailureKv;
  log: Logger;
  metrics?: Metrics;
  /** Named dependency checks for /readyz (NATS, streams, Postgres, projection lag …). */
  /** The event log and replay; absent where no database is configured. */
  events?: EventQueries;
  /** DNS TXT lookups for custom-domain verification (the resolver the operator configured). */
  resolveTxt?: (name: string) => Promise<string[][]>;
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /** Bulk replays and exports (the jobs role's ports); absent where no database is configured. */
  replays?: ReplayPort;
  exports?: ExportPort;
  /** Dead letters and statistics (the rollups); absent where no database is configured. */
  insights?: InsightPort;
  /** Deliveries waiting or in flight per destination (its consumer's counts); null where unknown. */
  pending?: (destinationIds: readonly string[]) => Promise<Map<string, number | null>>;
  /** How far the projection is behind the streams, in milliseconds; null where unknown. */
  projectionLagMs?: () => Promise<number | null>;
  /** Calls back with the ids of an account's events as their messages pass; returns an unsubscribe. */
  watchAccount?: (accountId: string, onIds: (ids: string[]) => void) => () => void;
  /** The audit log: where entries are stored (HS_AUDIT) and, with a database, read back. */
  audit?: AuditPort;
  /** Extra route plugins (queries, replay, exports) registered under the same auth and envelope. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
  now?: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
    apiKeyId: string;
    /** How the caller proved who it is: an API key, the console's session cookie, or a portal cookie. */
    authMethod: 'bearer' | 'session' | 'portal' | '';
    /** The member behind a console session; null for an API key. */
    memberId: string | null;
    memberName: string | null;
    /** What the caller may do (libs/domain roles.ts): the member's role, or the key's. */
    role: Role | null;
  }
}
