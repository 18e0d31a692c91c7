// The ports the API is given by the composition root (apps/hookstream): what it needs of the jobs
// role, the read models and the streams, in the terms of the API's contracts. Routes and the
// context both import them from here.
import type { Readable } from 'node:stream';
import type {
  AuditEntry,
  AuditLogItem,
  AuditLogQuery,
  DestinationFigures,
  StatsWindow,
  api,
} from '@hookstream/contracts';

export interface ReadinessCheck {
  ok: boolean;
  /** Whether this instance is unfit for traffic when the check fails. */
  required: boolean;
  detail?: string;
}

/** The list query of GET /v1/events, with its limit resolved. */
export type EventListFilter = Omit<api.EventListQuery, 'limit'> & { limit: number };

export interface EventQueries {
  list(accountId: string, filter: EventListFilter): Promise<{ items: unknown[]; next_cursor: string | null }>;
  get(accountId: string, id: string): Promise<{ direction: string } | null>;
  /** Re-reads the event from the stream and delivers it again as new deliveries. */
  replay(
    accountId: string,
    eventId: string,
    destinationId: string | undefined,
    direction: 'inbound' | 'outbound' | undefined,
  ): Promise<
    | { replay_id: string; deliveries: Array<{ id: string; destination_id: string }> }
    | 'not_found'
    | 'gone'
    | 'bad_destination'
  >;
  /** The summaries of these events of the account that pass the filter (the live view's re-reads). */
  byIds?(
    accountId: string,
    ids: readonly string[],
    filter: Omit<EventListFilter, 'limit' | 'cursor'>,
  ): Promise<unknown[]>;
}

export type ReplayInput = api.CreateReplayBody;
export type ReplayView = api.ReplayView;

/** Bulk replays: the jobs role's. */
export interface ReplayPort {
  create(
    accountId: string,
    input: ReplayInput,
  ): Promise<{ ok: true; replay: ReplayView } | { ok: false; error: string }>;
  get(accountId: string, id: string): Promise<ReplayView | null>;
  list(
    accountId: string,
    q: { limit: number; cursor?: string },
  ): Promise<{ items: ReplayView[]; next_cursor: string | null }>;
  /** 'finished': it completed or failed before the cancel. */
  cancel(accountId: string, id: string): Promise<ReplayView | 'not_found' | 'finished'>;
}

export type ExportInput = api.CreateExportBody;
export type ExportView = api.ExportView;

export interface ExportDownload {
  contentType: string;
  filename: string;
  size: number;
  body: Readable;
}

/** Exports: the jobs role's. */
export interface ExportPort {
  create(
    accountId: string,
    input: ExportInput,
  ): Promise<{ ok: true; export: ExportView } | { ok: false; error: string }>;
  get(accountId: string, id: string): Promise<ExportView | null>;
  list(
    accountId: string,
    q: { limit: number; cursor?: string },
  ): Promise<{ items: ExportView[]; next_cursor: string | null }>;
  download(accountId: string, id: string): Promise<ExportDownload | 'not_found' | 'not_ready' | 'expired'>;
}

export type { DestinationFigures, StatsWindow };
export type DeadLetterView = api.DeadLetterView;

/** Dead letters and statistics: the read models' rollups. */
export interface InsightPort {
  deadLetters(
    accountId: string,
    q: Omit<api.DeadLetterQuery, 'limit'> & { limit: number },
  ): Promise<{ items: DeadLetterView[]; next_cursor: string | null }>;
  stats(
    accountId: string,
    w: StatsWindow,
    destinationIds: readonly string[],
  ): Promise<{ totals: api.Stats['totals']; series: api.Stats['series']; destinations: DestinationFigures[] }>;
  destinationStats(
    accountId: string,
    destinationId: string,
    w: StatsWindow,
  ): Promise<
    DestinationFigures & {
      series: api.DestinationStats['series'];
      recent_failures: api.DestinationStats['recent_failures'];
    }
  >;
}

/** The query of GET /v1/audit-log, with its limit resolved. */
export type AuditLogFilter = Omit<AuditLogQuery, 'limit' | 'format'> & { limit: number };

export interface AuditPort {
  /** Resolves once the entry is stored in the stream. */
  record(entry: AuditEntry): Promise<unknown>;
  /** Newest first, keyset-paginated; absent where no database is configured. */
  list?(accountId: string, filter: AuditLogFilter): Promise<{ items: AuditLogItem[]; next_cursor: string | null }>;
}
