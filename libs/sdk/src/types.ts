// Resource and request types, derived from the TypeBox schemas that validate the API's routes, so the
// SDK and the server cannot drift apart. Type-only: nothing here exists at run time.
import type { Static } from '@sinclair/typebox';
import type { AuditLogItem, AuditLogQuery, api, consoleApi, portalApi } from '@hookstream/contracts';

export type Plan = Static<typeof api.Plan>;
export type Account = Static<typeof api.Account>;
export type AccountCreated = Static<typeof api.AccountCreated>;
export type CreateAccountParams = Static<typeof api.CreateAccountBody>;
export type UpdateAccountParams = Static<typeof api.UpdateAccountBody>;

export type ApiKey = Static<typeof api.ApiKey>;
export type ApiKeyCreated = Static<typeof api.ApiKeyCreated>;
export type CreateApiKeyParams = Static<typeof api.CreateApiKeyBody>;

export type MemberRole = Static<typeof api.MemberRole>;
export type Member = Static<typeof api.Member>;
export type Invite = Static<typeof api.Invite>;
export type InviteCreated = Static<typeof api.InviteCreated>;
export type CreateInviteParams = Static<typeof api.CreateInviteBody>;
export type SsoSettings = Static<typeof api.SsoSettings>;
export type PutSsoParams = Static<typeof api.PutSsoBody>;

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
export type RouteListParams = Static<typeof api.RouteListQuery>;
/** `customer_id`: only the destinations of that customer. */
export type DestinationListParams = Static<typeof api.DestinationListQuery>;

/** One page of a list: follow `next_cursor` (null on the last page), or use `iterate()`. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

// ---- bulk replays and exports

/** Which events of the account to re-deliver: a time window (required) and optional filters. */
export type CreateReplayParams = Static<typeof api.CreateReplayBody>;
export type Replay = Static<typeof api.ReplayView>;
export type ReplayStatus = Replay['status'];

export type ExportFilter = Static<typeof api.ExportFilter>;
export type CreateExportParams = Static<typeof api.CreateExportBody>;
export type Export = Static<typeof api.ExportView>;
export type ExportStatus = Export['status'];
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

// ---- customer portal sessions

/** `scope` defaults to read; `expires_in_s` to 3600 (at most 7 days). */
export type CreatePortalSessionParams = Static<typeof api.CreatePortalSessionBody>;
export type PortalSession = Static<typeof api.PortalSession>;
/** A new session with its link (`url`): the single-use token is in its fragment, shown this once. */
export type PortalSessionCreated = Static<typeof api.PortalSessionCreated>;
export type PortalSessionListParams = Static<typeof api.PortalSessionListQuery>;

export type Brand = Static<typeof api.Brand>;
export type UpsertBrandParams = Static<typeof api.UpsertBrandBody>;
export type CustomDomain = Static<typeof api.Domain>;
export type CreateCustomDomainParams = Static<typeof api.CreateDomainBody>;

// ---- the console's data: dead letters, statistics, tools

export type DeadLetter = Static<typeof api.DeadLetterView>;
export type DeadLetterListParams = Static<typeof api.DeadLetterQuery>;
export type StatsRange = Static<typeof api.StatsRange>;
export interface StatsParams {
  /** Default 24h. */
  range?: StatsRange;
}
export type Stats = Static<typeof api.Stats>;
export type DestinationHealth = Static<typeof api.DestinationHealth>;
export type DestinationStats = Static<typeof api.DestinationStats>;
export type PayloadFilterTestParams = Static<typeof api.PayloadFilterTestBody>;
export type PayloadFilterTestResult = Static<typeof api.PayloadFilterTestResult>;
export type DestinationTestParams = Static<typeof api.DestinationTestBody>;
export type DestinationTestAccepted = Static<typeof api.DestinationTestAccepted>;
export interface LiveOptions {
  /** Ends the stream (the generator returns). */
  signal?: AbortSignal;
}

export type ConsoleSignedIn = Static<typeof consoleApi.SignedIn>;
export type ConsoleInvite = Static<typeof consoleApi.InviteInfo>;
export type AcceptInviteParams = Static<typeof consoleApi.AcceptInviteBody>;
export type PasswordSignInParams = Static<typeof consoleApi.PasswordSignInBody>;
export type ConsoleSession = Static<typeof consoleApi.Session>;
/** What a portal page knows of its session: the customer, scope, account and brand. */
export type PortalContext = Static<typeof portalApi.Session>;
export type RevealedSecret = Static<typeof api.RevealedSecret>;

export type AuditLogEntry = Static<typeof AuditLogItem>;
export type AuditActor = AuditLogEntry['actor'];
export type AuditLogParams = Omit<Static<typeof AuditLogQuery>, 'format'>;
