// HTTP contracts of the GetHook v1 API: bodies, params, queries and responses. The same schemas
// validate requests, serialise responses and generate the OpenAPI document.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const HeaderName = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$";
const StringMap = (max: number) =>
  Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4096 }), { maxProperties: max });

export const Strict = { additionalProperties: false } as const;

/**
 * The account's own id for one of its customers (its tenant id): 1 to 128 printable characters,
 * no control characters. It scopes outbound destinations, routes, events and portal sessions.
 */
export const CustomerId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$',
  description: "The account's own id for one of its customers: 1 to 128 printable characters.",
});
const CustomerField = Type.Optional(Type.Union([CustomerId, Type.Null()]));
const CustomerView = Type.Union([Type.String(), Type.Null()]);

// ---------- envelope ----------
export const ErrorBody = Type.Object({
  error: Type.String(),
  code: Type.Optional(Type.String()),
  duration_ms: Type.Number(),
});
export const envelope = <T extends TSchema>(data: T) => Type.Object({ data, duration_ms: Type.Number() });
export const listEnvelope = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
    duration_ms: Type.Number(),
  });

export const IdParams = Type.Object({ id: Id }, Strict);
export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  Strict,
);
export type ListQuery = Static<typeof ListQuery>;

// ---------- accounts and keys ----------
export const Plan = Type.Union([Type.Literal('free'), Type.Literal('pro'), Type.Literal('enterprise')]);
// Plan terms are the operator's: a request that names or changes them needs X-Operator-Token.
const OPERATOR_SETS = 'Set by the operator: needs the X-Operator-Token header (403 operator_required without it).';
const PlanField = Type.Optional(Type.Union(Plan.anyOf, { description: `${OPERATOR_SETS} Default free.` }));
const RetentionField = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 3650, description: `${OPERATOR_SETS} Fixed by the plan except on enterprise.` }),
);
export const MemberRole = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('developer'),
  Type.Literal('viewer'),
]);
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  description: 'Compared without regard to case.',
});
export const Password = Type.String({ minLength: 10, maxLength: 1024, description: 'At least 10 characters.' });
const AccountOwner = Type.Object(
  { email: Email, name: Name, password: Type.Optional(Password) },
  {
    ...Strict,
    description:
      'The first member, an owner. With a password, the member is created at once; without, an owner invitation is answered (`owner_invite`) for them to accept (password or single sign-on).',
  },
);
export const CreateAccountBody = Type.Object(
  { name: Name, plan: PlanField, retention_days: RetentionField, owner: Type.Optional(AccountOwner) },
  Strict,
);
export type CreateAccountBody = Static<typeof CreateAccountBody>;
export const Account = Type.Object({
  id: Type.String(),
  name: Type.String(),
  plan: Plan,
  retention_days: Type.Integer(),
  created_at: Timestamp,
});
export const UpdateAccountBody = Type.Object(
  { name: Type.Optional(Name), plan: PlanField, retention_days: RetentionField },
  { ...Strict, minProperties: 1 },
);
export type UpdateAccountBody = Static<typeof UpdateAccountBody>;

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(
      Type.Union(MemberRole.anyOf, {
        description: 'What the key may do (docs/people.md). Default admin; no higher than the caller.',
      }),
    ),
  },
  Strict,
);
export const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  role: MemberRole,
  created_at: Timestamp,
  revoked_at: NullableTimestamp,
});
export const ApiKeyCreated = Type.Intersect([ApiKey, Type.Object({ key: Type.String() })]);
export const Member = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: MemberRole,
  password_set: Type.Boolean(),
  sso_linked: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const Invite = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: MemberRole,
  created_at: Timestamp,
  expires_at: Timestamp,
  expired: Type.Boolean(),
});
/** The link carries the invite's single-use token: it is answered once, at creation. */
export const InviteCreated = Type.Intersect([
  Invite,
  Type.Object({
    url: Type.String(),
    mailed: Type.Optional(
      Type.Boolean({ description: 'Whether the link was mailed (SMTP_URL set and the server took it).' }),
    ),
  }),
]);
export const AccountCreated = Type.Object({
  account: Account,
  api_key: Type.String(),
  owner: Type.Optional(Member),
  owner_invite: Type.Optional(InviteCreated),
});
export const CreateInviteBody = Type.Object({ email: Email, role: MemberRole }, Strict);
export const UpdateMemberBody = Type.Object({ role: MemberRole }, Strict);
export const SsoSettings = Type.Object({
  issuer: Type.String(),
  client_id: Type.String(),
  client_secret_set: Type.Boolean(),
  enabled: Type.Boolean(),
  /** The redirect URI to register with the provider. */
  redirect_uri: Type.String(),
  updated_at: Timestamp,
});
export const PutSsoBody = Type.Object(
  {
    issuer: Type.String({
      minLength: 8,
      maxLength: 2048,
      pattern: '^https?://',
      description: "The OpenID provider's issuer URL (its discovery document is at /.well-known/openid-configuration).",
    }),
    client_id: Type.String({ minLength: 1, maxLength: 512 }),
    client_secret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'Write-only. Required the first time; omitted, the stored one stays.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  Strict,
);

// ---------- sources ----------
export const Provider = Type.Union([
  Type.Literal('stripe'),
  Type.Literal('github'),
  Type.Literal('shopify'),
  Type.Literal('standard_webhooks'),
  Type.Literal('hmac'),
]);
export const VerificationConfigInput = Type.Object(
  {
    provider: Provider,
    secret: Type.String({ minLength: 1, maxLength: 1024 }),
    header: Type.Optional(Type.String({ pattern: HeaderName })),
    algorithm: Type.Optional(Type.Union([Type.Literal('sha256'), Type.Literal('sha512')])),
    encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')])),
    prefix: Type.Optional(Type.String({ maxLength: 64 })),
    tolerance_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
  },
  Strict,
);
/** What is shown of a verification config: everything but the secret. */
export const VerificationConfigView = Type.Object({
  provider: Provider,
  header: Type.Optional(Type.String()),
  algorithm: Type.Optional(Type.String()),
  encoding: Type.Optional(Type.String()),
  prefix: Type.Optional(Type.String()),
  tolerance_s: Type.Optional(Type.Integer()),
  secret_set: Type.Boolean(),
});
export const AuthMode = Type.Union([Type.Literal('none'), Type.Literal('shared_secret')]);
export const CreateSourceBody = Type.Object(
  {
    name: Name,
    auth_mode: Type.Optional(AuthMode),
    verification_config: Type.Optional(Type.Union([VerificationConfigInput, Type.Null()])),
    active: Type.Optional(Type.Boolean()),
  },
  Strict,
);
export type CreateSourceBody = Static<typeof CreateSourceBody>;
export const UpdateSourceBody = Type.Object(
  {
    name: Type.Optional(Name),
    auth_mode: Type.Optional(AuthMode),
    verification_config: Type.Optional(Type.Union([VerificationConfigInput, Type.Null()])),
    active: Type.Optional(Type.Boolean()),
  },
  { ...Strict, minProperties: 1 },
);
export type UpdateSourceBody = Static<typeof UpdateSourceBody>;
export const Source = Type.Object({
  id: Type.String(),
  name: Type.String(),
  path_token: Type.String(),
  ingest_url: Type.String(),
  auth_mode: AuthMode,
  verification_config: Type.Union([VerificationConfigView, Type.Null()]),
  active: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

// ---------- destinations ----------
export const RetryPolicy = Type.Object(
  {
    max_attempts: Type.Integer({ minimum: 1, maximum: 50 }),
    delays_ms: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 7 * 86_400_000 }), { minItems: 1, maxItems: 50 }),
    ),
    backoff: Type.Optional(Type.Union([Type.Literal('exponential'), Type.Literal('two_phase')])),
    retry_on_4xx: Type.Optional(Type.Boolean()),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  Strict,
);
export const SignatureScheme = Type.Union([
  Type.Literal('standard_webhooks'),
  Type.Literal('stripe'),
  Type.Literal('github'),
  Type.Literal('hmac'),
]);
const Url = Type.String({ minLength: 1, maxLength: 2048 });
const SigningSecretInput = Type.String({ minLength: 8, maxLength: 512 });
const DestinationFields = {
  name: Name,
  url: Url,
  auth_token: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()])),
  headers: Type.Optional(StringMap(50)),
  signing_secret: Type.Optional(Type.Union([SigningSecretInput, Type.Null()])),
  signature_scheme: Type.Optional(SignatureScheme),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
  retry_policy: Type.Optional(RetryPolicy),
  rate_limit_per_s: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), Type.Null()])),
  max_in_flight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  active: Type.Optional(Type.Boolean()),
  /** The customer the destination belongs to: it then receives outbound events only (docs/portal.md). */
  customer_id: CustomerField,
};
export const CreateDestinationBody = Type.Object(DestinationFields, Strict);
export type CreateDestinationBody = Static<typeof CreateDestinationBody>;
export const UpdateDestinationBody = Type.Object(
  { ...DestinationFields, name: Type.Optional(Name), url: Type.Optional(Url) },
  { ...Strict, minProperties: 1 },
);
export type UpdateDestinationBody = Static<typeof UpdateDestinationBody>;
export const Destination = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  auth_token_set: Type.Boolean(),
  headers: Type.Record(Type.String(), Type.String()),
  signing_secret_set: Type.Boolean(),
  signature_scheme: SignatureScheme,
  timeout_ms: Type.Integer(),
  retry_policy: Type.Object({
    max_attempts: Type.Integer(),
    delays_ms: Type.Optional(Type.Array(Type.Integer())),
    backoff: Type.Optional(Type.String()),
    retry_on_4xx: Type.Optional(Type.Boolean()),
    jitter: Type.Optional(Type.Number()),
  }),
  rate_limit_per_s: Type.Union([Type.Number(), Type.Null()]),
  max_in_flight: Type.Integer(),
  active: Type.Boolean(),
  customer_id: CustomerView,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const DestinationListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    /** Only the destinations of this customer. */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type DestinationListQuery = Static<typeof DestinationListQuery>;
/** Returned once, on creation (when a secret was generated) and on rotation. */
export const DestinationWithSecret = Type.Intersect([
  Destination,
  Type.Object({ signing_secret: Type.Optional(Type.String()) }),
]);
export const RotateSecretBody = Type.Object(
  {
    overlap_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400 })),
    secret: Type.Optional(SigningSecretInput),
  },
  Strict,
);
export const RotatedSecret = Type.Object({ signing_secret: Type.String(), previous_expires_at: NullableTimestamp });
/** The receiver's verification secrets: the current one, and those still valid during a rotation's overlap. */
export const RevealedSecret = Type.Object({
  signing_secret: Type.Union([Type.String(), Type.Null()]),
  previous: Type.Array(Type.Object({ signing_secret: Type.String(), expires_at: Timestamp })),
});

// ---------- routes ----------
const Labels = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 512 }), {
  maxProperties: 20,
});
const PayloadFilter = Type.Record(Type.String(), Type.Unknown(), { maxProperties: 50 });
const RouteFields = {
  source_id: Type.Optional(Type.Union([Id, Type.Null()])),
  destination_id: Id,
  event_type_pattern: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  labels: Type.Optional(Type.Union([Labels, Type.Null()])),
  payload_filter: Type.Optional(Type.Union([PayloadFilter, Type.Null()])),
  active: Type.Optional(Type.Boolean()),
  /** Defaults to the destination's customer; when set, it must be the destination's and source_id null. */
  customer_id: CustomerField,
};
export const CreateRouteBody = Type.Object(RouteFields, Strict);
export type CreateRouteBody = Static<typeof CreateRouteBody>;
export const UpdateRouteBody = Type.Object(
  { ...RouteFields, destination_id: Type.Optional(Id) },
  { ...Strict, minProperties: 1 },
);
export type UpdateRouteBody = Static<typeof UpdateRouteBody>;
export const Route = Type.Object({
  id: Type.String(),
  source_id: Type.Union([Type.String(), Type.Null()]),
  destination_id: Type.String(),
  event_type_pattern: Type.Union([Type.String(), Type.Null()]),
  labels: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  payload_filter: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  active: Type.Boolean(),
  customer_id: CustomerView,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const RouteListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    source_id: Type.Optional(Type.String({ maxLength: 64 })),
    destination_id: Type.Optional(Type.String({ maxLength: 64 })),
    /** Only the routes of this customer. */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);

// ---------- ingest ----------
export const IngestParams = Type.Object({ token: Type.String({ maxLength: 256 }) }, Strict);
export const IngestAccepted = Type.Object({
  id: Type.Optional(Type.String()),
  status: Type.String(),
  note: Type.Optional(Type.String()),
});

// ---------- health ----------
export const Health = Type.Object({ status: Type.String() });
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  /** Every dependency; only the `required` ones decide readiness (an api instance that can ingest is ready). */
  checks: Type.Record(
    Type.String(),
    Type.Object({ ok: Type.Boolean(), required: Type.Boolean(), detail: Type.Optional(Type.String()) }),
  ),
});

// ---------- event types ----------
export const EventTypeName = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$',
});
export const CreateEventTypeBody = Type.Object(
  {
    name: EventTypeName,
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    schema: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  Strict,
);
export type CreateEventTypeBody = Static<typeof CreateEventTypeBody>;
export const UpdateEventTypeBody = Type.Object(
  {
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    schema: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  { ...Strict, minProperties: 1 },
);
export const EventType = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  schema: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  created_at: Timestamp,
});

// ---------- outbound events ----------
export const PublishOutboundBody = Type.Object(
  {
    event_type: EventTypeName,
    payload: Type.Optional(Type.Unknown()),
    payload_text: Type.Optional(Type.String({ maxLength: 5 * 1024 * 1024 })),
    payload_base64: Type.Optional(Type.String({ maxLength: 7 * 1024 * 1024, pattern: '^[A-Za-z0-9+/]*={0,2}$' })),
    content_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[!-~]+(/[!-~]+)?( *;.*)?$' })),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    labels: Type.Optional(Labels),
    destination_ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true })),
    /** Deliver only to this customer's matching destinations; without it, to every matching destination. */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type PublishOutboundBody = Static<typeof PublishOutboundBody>;
export const OutboundAccepted = Type.Object({
  id: Type.String(),
  event_id: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  note: Type.Optional(Type.String()),
});

// ---------- event log ----------
export const EventStatus = Type.Union(
  ['received', 'queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter', 'unrouted'].map((s) =>
    Type.Literal(s),
  ),
);
/** The filters of the event log, shared by its list query, exports and bulk replays. */
const EventFilterFields = {
  source_id: Type.Optional(Uuid),
  destination_id: Type.Optional(Uuid),
  status: Type.Optional(EventStatus),
  /** One type, or a route pattern (`order.*`, `order.**`). */
  event_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200, format: 'text' })),
  direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
};
export const EventListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    ...EventFilterFields,
    /** Exactly this idempotency key (an ingest header, or the event_id given when publishing). */
    idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 512, format: 'text' })),
    /** Events published for this customer, or delivered to one of its destinations. */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type EventListQuery = Static<typeof EventListQuery>;
const NullableString = Type.Union([Type.String(), Type.Null()]);
export const EventSummary = Type.Object({
  id: Type.String(),
  direction: Type.String(),
  source_id: NullableString,
  event_type: NullableString,
  status: Type.String(),
  received_at: Type.String(),
  content_type: NullableString,
  labels: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  idempotency_key: NullableString,
  /** The customer the event was published for; null for inbound events and events for all. */
  customer_id: NullableString,
  delivery_count: Type.Integer(),
});
export const AttemptView = Type.Object({
  n: Type.Integer(),
  started_at: Type.String(),
  duration_ms: Type.Number(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  outcome: Type.String(),
  error_class: NullableString,
  error: NullableString,
  response_headers: Type.Record(Type.String(), Type.String()),
  response_excerpt: Type.String(),
});
export const DeliveryView = Type.Object({
  id: Type.String(),
  destination_id: Type.String(),
  /** The customer its destination belonged to when the delivery was routed. */
  customer_id: NullableString,
  route_id: NullableString,
  replay_id: NullableString,
  status: Type.String(),
  attempt_count: Type.Integer(),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: NullableString,
  next_attempt_at: NullableString,
  created_at: Type.String(),
  updated_at: Type.String(),
  attempts: Type.Array(AttemptView),
});
export const EventDetail = Type.Intersect([
  EventSummary,
  Type.Object({
    headers: Type.Record(Type.String(), Type.String()),
    body: Type.Optional(Type.String()),
    body_base64: Type.Optional(Type.String()),
    deliveries: Type.Array(DeliveryView),
  }),
]);
export const ReplayBody = Type.Object({ destination_id: Type.Optional(Id) }, Strict);
export const ReplayAccepted = Type.Object({
  replay_id: Type.String(),
  event_id: Type.String(),
  deliveries: Type.Array(Type.Object({ id: Type.String(), destination_id: Type.String() })),
});

// ---------- brand settings and custom domains ----------
const Color = Type.String({ pattern: '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$' });
const HttpsUrl = Type.String({ maxLength: 2048, pattern: '^https://[^\\s]+$' });
export const UpsertBrandBody = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    logo_url: Type.Optional(Type.Union([HttpsUrl, Type.Null()])),
    primary_color: Type.Optional(Type.Union([Color, Type.Null()])),
    accent_color: Type.Optional(Type.Union([Color, Type.Null()])),
    support_email: Type.Optional(
      Type.Union([Type.String({ maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' }), Type.Null()]),
    ),
    /** Origins (scheme://host[:port]) whose pages may embed the customer portal in an iframe. */
    embed_origins: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 20 })),
  },
  { ...Strict, minProperties: 1 },
);
export const Brand = Type.Object({
  name: NullableString,
  logo_url: NullableString,
  primary_color: NullableString,
  accent_color: NullableString,
  support_email: NullableString,
  embed_origins: Type.Array(Type.String()),
  created_at: Type.Union([Timestamp, Type.Null()]),
  updated_at: Type.Union([Timestamp, Type.Null()]),
});
export const CreateDomainBody = Type.Object({ hostname: Type.String({ minLength: 1, maxLength: 253 }) }, Strict);
export const Domain = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  /** superseded: another account verified the hostname first. */
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('verified'),
    Type.Literal('failed'),
    Type.Literal('superseded'),
  ]),
  verification: Type.Object({ type: Type.Literal('TXT'), name: Type.String(), value: Type.String() }),
  last_checked_at: NullableString,
  last_error: NullableString,
  verified_at: NullableString,
  /** When an unverified claim lapses (CUSTOM_DOMAIN_CLAIM_TTL_H after created_at); null once verified. */
  expires_at: NullableString,
  created_at: Timestamp,
});

// ---------- bulk replays and exports (jobs) ----------
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** A bulk replay: the event-log filters, with a time window that is required. */
export const CreateReplayBody = Type.Object(
  {
    ...EventFilterFields,
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
    /** Only this customer's: its events and broadcasts, delivered again to its destinations only. */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type CreateReplayBody = Static<typeof CreateReplayBody>;

export const ReplayView = Type.Object({
  id: Type.String(),
  status: Type.Union(['queued', 'running', 'completed', 'cancelled', 'failed'].map((s) => Type.Literal(s))),
  filter: Type.Object({}, { additionalProperties: true }),
  /** Events of the account received in the window that the job has read so far. */
  scanned: Type.Integer(),
  /** Of those, the ones that passed every filter. */
  matched: Type.Integer(),
  /** Of those, the ones re-delivered (an event that matches no route now has nothing to replay). */
  replayed: Type.Integer(),
  /** New deliveries created. */
  deliveries: Type.Integer(),
  /** Of `total`, the positions of the events stream read so far; equal to it once completed (a progress bar). */
  processed: Type.Integer(),
  /** Positions of the events stream the replay's window spans, fixed when it starts; null while queued. */
  total: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
  error: Nullable(Type.String()),
});
export type ReplayView = Static<typeof ReplayView>;

export const ExportFilter = Type.Object(EventFilterFields, Strict);

export const CreateExportBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('events'), Type.Literal('attempts')]),
    format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')]),
    filter: Type.Optional(ExportFilter),
  },
  Strict,
);
export type CreateExportBody = Static<typeof CreateExportBody>;

export const ExportView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  format: Type.String(),
  filter: Type.Object({}, { additionalProperties: true }),
  status: Type.Union(['queued', 'running', 'completed', 'failed', 'expired'].map((s) => Type.Literal(s))),
  /** Rows written so far (all of them once completed). */
  rows: Type.Integer(),
  /** Bytes written so far (the file's size once completed). */
  bytes: Type.Integer(),
  created_at: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
  /** When the file is removed (24 h after completion). */
  expires_at: Nullable(Type.String()),
  error: Nullable(Type.String()),
  /** Present once completed. */
  download_url: Nullable(Type.String()),
});
export type ExportView = Static<typeof ExportView>;

// ---------- console: dead letters, statistics, tools ----------
export const DeadLetterQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    destination_id: Type.Optional(Uuid),
    /** One event type, or a route pattern (`order.*`, `order.**`). */
    event_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    /** true: only those whose event was replayed to the destination since; false: only those not yet. */
    replayed: Type.Optional(Type.Boolean()),
    /** Only deliveries to this customer's destinations (its customer when they were routed). */
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type DeadLetterQuery = Static<typeof DeadLetterQuery>;
/** A dead-lettered delivery: `id` is the delivery's id. */
export const DeadLetterView = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  destination_id: Type.String(),
  event_type: NullableString,
  direction: NullableString,
  /** exhausted | not_retryable | max_deliveries_advisory | destination_deleted */
  reason: Type.String(),
  attempts: Type.Integer(),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: NullableString,
  last_response_excerpt: NullableString,
  dead_lettered_at: Type.String(),
  /** A replay of the event has gone to this destination since (a new delivery, listed on the event). */
  replayed: Type.Boolean(),
});
export type DeadLetterView = Static<typeof DeadLetterView>;

export const StatsRange = Type.Union([Type.Literal('1h'), Type.Literal('24h'), Type.Literal('7d')]);
export type StatsRange = Static<typeof StatsRange>;
export const StatsQuery = Type.Object({ range: Type.Optional(StatsRange) }, Strict);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
export const CircuitState = Type.Union([
  Type.Literal('closed'),
  Type.Literal('open'),
  Type.Literal('half_open'),
  Type.Null(),
]);
export const DestinationHealth = Type.Object({
  destination_id: Type.String(),
  name: Type.String(),
  attempts: Type.Integer(),
  succeeded: Type.Integer(),
  /** succeeded / attempts over the range; null without attempts. */
  success_rate: NullableNumber,
  p50_ms: NullableNumber,
  p95_ms: NullableNumber,
  /** Deliveries waiting or in flight (the destination's consumer); null when unknown. */
  pending: Type.Union([Type.Integer(), Type.Null()]),
  /** Derived from recent failures (docs/architecture.md); null without attempts in the range. */
  circuit: CircuitState,
  last_error: NullableString,
  last_error_at: NullableString,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
});
export const Stats = Type.Object({
  range: StatsRange,
  interval_s: Type.Integer(),
  from: Type.String(),
  to: Type.String(),
  totals: Type.Object({
    received: Type.Integer(),
    delivered: Type.Integer(),
    retrying: Type.Integer(),
    dead_lettered: Type.Integer(),
    failed_attempts: Type.Integer(),
  }),
  series: Type.Array(
    Type.Object({
      t: Type.String(),
      received: Type.Integer(),
      delivered: Type.Integer(),
      retrying: Type.Integer(),
      dead_lettered: Type.Integer(),
    }),
  ),
  destinations: Type.Array(DestinationHealth),
  pipeline: Type.Object({
    ready: Type.Boolean(),
    checks: Type.Record(Type.String(), Type.Boolean()),
    projection_lag_ms: NullableNumber,
  }),
});
export type Stats = Static<typeof Stats>;
export const DestinationStats = Type.Object({
  destination_id: Type.String(),
  range: StatsRange,
  interval_s: Type.Integer(),
  from: Type.String(),
  to: Type.String(),
  series: Type.Array(
    Type.Object({
      t: Type.String(),
      s2xx: Type.Integer(),
      s4xx: Type.Integer(),
      s5xx: Type.Integer(),
      network: Type.Integer(),
      p50_ms: NullableNumber,
      p95_ms: NullableNumber,
    }),
  ),
  attempts: Type.Integer(),
  succeeded: Type.Integer(),
  success_rate: NullableNumber,
  p50_ms: NullableNumber,
  p95_ms: NullableNumber,
  pending: Type.Union([Type.Integer(), Type.Null()]),
  circuit: CircuitState,
  last_error: NullableString,
  last_error_at: NullableString,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  recent_failures: Type.Array(
    Type.Object({
      event_id: Type.String(),
      delivery_id: Type.String(),
      at: Type.String(),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      error: NullableString,
      response_excerpt: Type.String(),
    }),
  ),
});
export type DestinationStats = Static<typeof DestinationStats>;

export const PayloadFilterTestBody = Type.Object({ payload_filter: PayloadFilter, payload: Type.Unknown() }, Strict);
export const PayloadFilterTestResult = Type.Object({ matches: Type.Boolean() });

export const DestinationTestBody = Type.Object(
  { event_type: Type.Optional(EventTypeName), payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  Strict,
);
export const DestinationTestAccepted = Type.Object({ event_id: Type.String(), delivery_id: Type.String() });

// ---------- customer portal sessions ----------
/** The longest a portal session may live: 7 days. */
export const MAX_PORTAL_SESSION_S = 7 * 86_400;
export const DEFAULT_PORTAL_SESSION_S = 3_600;
export const PortalScope = Type.Union([Type.Literal('read'), Type.Literal('manage')], {
  description:
    'read: the portal shows and changes nothing but its own view; manage: it may change endpoints and replay.',
});
export const CreatePortalSessionBody = Type.Object(
  {
    customer_id: CustomerId,
    scope: Type.Optional(PortalScope),
    expires_in_s: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PORTAL_SESSION_S,
        default: DEFAULT_PORTAL_SESSION_S,
        description: 'Default 3600 (1 hour), at most 604800 (7 days).',
      }),
    ),
  },
  Strict,
);
export type CreatePortalSessionBody = Static<typeof CreatePortalSessionBody>;
/** A portal session as listed: never its token or cookie. */
export const PortalSession = Type.Object({
  id: Type.String(),
  customer_id: Type.String(),
  scope: PortalScope,
  created_at: Timestamp,
  expires_at: Timestamp,
  /** When its link was opened (a link opens once). */
  used_at: NullableTimestamp,
});
/** The 201 of a new session: its link, with the single-use token in the fragment, shown this once. */
export const PortalSessionCreated = Type.Intersect([
  PortalSession,
  Type.Object({
    url: Type.String({
      description: 'https://<verified custom domain or PUBLIC_URL>/portal/<account_id>/#token=<single-use token>',
    }),
  }),
]);
export const PortalSessionListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    customer_id: Type.Optional(CustomerId),
  },
  Strict,
);
export type PortalSessionListQuery = Static<typeof PortalSessionListQuery>;
