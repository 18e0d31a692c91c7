// Resource and request types, derived from the TypeBox schemas that validate the API's routes, so the
// SDK and the server cannot drift apart. Type-only: nothing here exists at run time.
import type { Static } from '@sinclair/typebox';
import type { api } from '@hookstream/contracts';

export type Plan = Static<typeof api.Plan>;
export type Account = Static<typeof api.Account>;
export type AccountCreated = Static<typeof api.AccountCreated>;
export type CreateAccountParams = Static<typeof api.CreateAccountBody>;
export type UpdateAccountParams = Static<typeof api.UpdateAccountBody>;

export type ApiKey = Static<typeof api.ApiKey>;
export type ApiKeyCreated = Static<typeof api.ApiKeyCreated>;
export type CreateApiKeyParams = Static<typeof api.CreateApiKeyBody>;

export type Source = Static<typeof api.Source>;
export type CreateSourceParams = Static<typeof api.CreateSourceBody>;
export type UpdateSourceParams = Static<typeof api.UpdateSourceBody>;
export type VerificationConfig = Static<typeof api.VerificationConfigInput>;

export type Destination = Static<typeof api.Destination>;
export type DestinationWithSecret = Static<typeof api.DestinationWithSecret>;
export type CreateDestinationParams = Static<typeof api.CreateDestinationBody>;
export type UpdateDestinationParams = Static<typeof api.UpdateDestinationBody>;
export type RetryPolicy = Static<typeof api.RetryPolicy>;
export type RotateSecretParams = Static<typeof api.RotateSecretBody>;
export type RotatedSecret = Static<typeof api.RotatedSecret>;

export type Route = Static<typeof api.Route>;
export type CreateRouteParams = Static<typeof api.CreateRouteBody>;
export type UpdateRouteParams = Static<typeof api.UpdateRouteBody>;

export type EventType = Static<typeof api.EventType>;
export type CreateEventTypeParams = Static<typeof api.CreateEventTypeBody>;
export type UpdateEventTypeParams = Static<typeof api.UpdateEventTypeBody>;

export type PublishParams = Static<typeof api.PublishOutboundBody>;
export type OutboundAccepted = Static<typeof api.OutboundAccepted>;

export type EventStatus = Static<typeof api.EventStatus>;
export type EventSummary = Static<typeof api.EventSummary>;
export type EventDetail = Static<typeof api.EventDetail>;
export type Delivery = Static<typeof api.DeliveryView>;
export type Attempt = Static<typeof api.AttemptView>;
export type ReplayParams = Static<typeof api.ReplayBody>;
export type ReplayAccepted = Static<typeof api.ReplayAccepted>;

export type IngestAccepted = Static<typeof api.IngestAccepted>;
export type Health = Static<typeof api.Health>;
export type Readiness = Static<typeof api.Readiness>;

/** `limit` (1–500, default 50) and the `cursor` of the previous page. */
export type ListParams = Static<typeof api.ListQuery>;
export type EventListParams = Static<typeof api.EventListQuery>;
export type OutboundEventListParams = Omit<EventListParams, 'direction' | 'source_id'>;
export interface RouteListParams extends ListParams {
  source_id?: string;
  destination_id?: string;
}

/** One page of a list: follow `next_cursor` (null on the last page), or use `iterate()`. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

// ---- bulk replays and exports (their schemas live beside their routes in the API app for now;
// contract.test.ts fails when these drift from them)

export type ReplayStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
/** Which events of the account to re-deliver: a time window (required) and optional filters. */
export interface CreateReplayParams {
  since: string;
  until: string;
  source_id?: string;
  destination_id?: string;
  status?: EventStatus;
  event_type?: string;
  direction?: 'inbound' | 'outbound';
}
export interface Replay {
  id: string;
  status: ReplayStatus;
  filter: Record<string, unknown>;
  /** Events of the window read so far. */
  scanned: number;
  /** Of those, the ones that passed every filter. */
  matched: number;
  /** Of those, the ones re-delivered. */
  replayed: number;
  /** New deliveries created. */
  deliveries: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'expired';
export interface ExportFilter {
  source_id?: string;
  destination_id?: string;
  status?: EventStatus;
  event_type?: string;
  direction?: 'inbound' | 'outbound';
  since?: string;
  until?: string;
}
export interface CreateExportParams {
  kind: 'events' | 'attempts';
  format: 'ndjson' | 'csv';
  filter?: ExportFilter;
}
export interface Export {
  id: string;
  kind: string;
  format: string;
  filter: Record<string, unknown>;
  status: ExportStatus;
  /** Rows written so far (all of them once completed). */
  rows: number;
  /** Bytes written so far (the file's size once completed). */
  bytes: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  expires_at: string | null;
  error: string | null;
  download_url: string | null;
}
/** An export's file, streamed: the body is read as it arrives, never held whole in memory. */
export interface ExportDownload {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string | null;
  /** Bytes, when the server said (not when it compressed on the fly). */
  size: number | null;
}
export interface WaitOptions<T> {
  /** Between polls; default 1000 ms. */
  intervalMs?: number;
  /** Called with every poll's state, for progress bars. */
  onProgress?: (state: T) => void;
  signal?: AbortSignal;
}

export type Brand = Static<typeof api.Brand>;
export type UpsertBrandParams = Static<typeof api.UpsertBrandBody>;
export type CustomDomain = Static<typeof api.Domain>;
export type CreateCustomDomainParams = Static<typeof api.CreateDomainBody>;
