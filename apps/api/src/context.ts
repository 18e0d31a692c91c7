// What the API needs from the rest of the system: narrow ports, wired by the composition root.
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '@hookstream/catalog';
import type { AuditEntry, AuditLogItem, AuditLogQuery, api } from '@hookstream/contracts';
import type { ConsoleSessionKv, Publisher } from '@hookstream/broker';
import type { Settings } from '@hookstream/config';
import type { Logger, Metrics } from '@hookstream/observability';
import type { ReplayPort } from './routes/replays.ts';
import type { ExportPort } from './routes/exports.ts';
import type { InsightPort } from './routes/insights.ts';

export interface ReadinessCheck {
  ok: boolean;
  /** Whether this instance is unfit for traffic when the check fails. */
  required: boolean;
  detail?: string;
}

export interface EventQueries {
  list(accountId: string, filter: EventListFilter): Promise<{ items: unknown[]; next_cursor: string | null }>;
  get(accountId: string, id: string): Promise<{ direction: string } | null>;
  /** Re-reads the event from the stream and delivers it again as new deliveries. */
  replay(
    accountId: string,
    eventId: string,
    destinationId: string | undefined,
    direction: 'inbound' | 'outbound' | undefined,
  ): Promise<{ replay_id: string; deliveries: Array<{ id: string; destination_id: string }> } | 'not_found' | 'gone' | 'bad_destination'>;
  /** The summaries of these events of the account that pass the filter (the live view's re-reads). */
  byIds?(accountId: string, ids: readonly string[], filter: Omit<EventListFilter, 'limit' | 'cursor'>): Promise<unknown[]>;
}

/** The list query of GET /v1/events, with its limit resolved. */
export type EventListFilter = Omit<api.EventListQuery, 'limit'> & { limit: number };

/** The query of GET /v1/audit-log, with its limit resolved. */
export type AuditLogFilter = Omit<AuditLogQuery, 'limit' | 'format'> & { limit: number };

export interface AuditPort {
  /** Resolves once the entry is stored in the stream. */
  record(entry: AuditEntry): Promise<unknown>;
  /** Newest first, keyset-paginated; absent where no database is configured. */
  list?(accountId: string, filter: AuditLogFilter): Promise<{ items: AuditLogItem[]; next_cursor: string | null }>;
}

export interface ApiDeps {
  settings: Readonly<Settings>;
  catalog: Catalog;
  publisher: Publisher;
  /** The console's sign-in sessions (a KV bucket every api copy shares); absent: console sign-in is off. */
  consoleSessions?: ConsoleSessionKv;
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
    /** How the caller proved who it is: an API key, or the console's session cookie. */
    authMethod: 'bearer' | 'session' | '';
  }
}
