// The audit log: one entry per change made through the API or the console, stored in HS_AUDIT
// before the change is answered, projected into the audit_log read model. An entry names who, when,
// from where, what and which ids — never a value that was sent: a changed field is recorded by
// its name alone, so no secret can reach the log (docs/adr/0018-audit-log.md).
import { type Static, Type } from '@sinclair/typebox';
import { Strict } from './api.ts';

/**
 * Who made the change: a member signed in to the console, an API key (also when the console was
 * signed in with one), a customer-portal session, or the operator (X-Operator-Token on sign-up).
 */
export const AuditActorType = Type.Union([
  Type.Literal('member'),
  Type.Literal('api_key'),
  Type.Literal('portal'),
  Type.Literal('operator'),
  Type.Literal('signup'),
]);
export type AuditActorType = Static<typeof AuditActorType>;

export const AuditActor = Type.Object({
  type: AuditActorType,
  id: Type.String({ maxLength: 200 }),
  /** The member's name, the key's name, or the portal's customer id, as it was at the time. */
  name: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
});
export type AuditActor = Static<typeof AuditActor>;

/** succeeded: the change was made (2xx); denied: the caller was not allowed to make it (403). */
export const AuditOutcome = Type.Union([Type.Literal('succeeded'), Type.Literal('denied')]);
export type AuditOutcome = Static<typeof AuditOutcome>;

const IdMap = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })]),
  {
    maxProperties: 32,
  },
);

/** The stream message (version 1); its Nats-Msg-Id is `audit:<id>`. */
export const AuditEntry = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('audit'),
  /** UUIDv7: entries sort by it in the order they were made. */
  id: Type.String(),
  account_id: Type.String(),
  at: Type.String(),
  actor: AuditActor,
  /** `<resource>.<verb>`, e.g. destination.update, event.replay, api_key.create. */
  action: Type.String({ maxLength: 100 }),
  resource_type: Type.String({ maxLength: 64 }),
  resource_id: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  /** Every id involved, by role: destination_id, event_id, replay_id, delivery_ids … */
  ids: IdMap,
  /** The names of the fields the request set (never their values). */
  fields: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 }),
  /** The caller's address (the proxy's client address when TRUST_PROXY is on). */
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  user_agent: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  method: Type.String({ maxLength: 10 }),
  /** The route's pattern (/v1/destinations/:id), not the URL: a query string could carry anything. */
  route: Type.String({ maxLength: 200 }),
  status: Type.Integer(),
  outcome: AuditOutcome,
  request_id: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
});
export type AuditEntry = Static<typeof AuditEntry>;

// ---------- HTTP: GET /v1/audit-log ----------
export const AuditLogFormat = Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('ndjson')]);
export type AuditLogFormat = Static<typeof AuditLogFormat>;

const FilterText = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }));

export const AuditLogQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    actor: FilterText('The actor id: a member id, an API key id or a portal session id.'),
    actor_type: Type.Optional(AuditActorType),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[a-z_]+(\\.[a-z_]+)*(\\.\\*)?$',
        description: 'An action (destination.update) or every action on a resource (destination.*).',
      }),
    ),
    resource_id: FilterText('Entries that involve this id, in any role (a destination, an event, a replay, a key …).'),
    outcome: Type.Optional(AuditOutcome),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after this time.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this time.' })),
    format: Type.Optional(
      Type.Union(AuditLogFormat.anyOf, {
        description: 'json (pages, the default), or csv / ndjson: every matching entry as a download.',
      }),
    ),
  },
  Strict,
);
export type AuditLogQuery = Static<typeof AuditLogQuery>;

/** An entry as GET /v1/audit-log answers it: the message without its version and kind. */
export const AuditLogItem = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: AuditActor,
  action: Type.String(),
  resource_type: Type.String(),
  resource_id: Type.Union([Type.String(), Type.Null()]),
  ids: IdMap,
  fields: Type.Array(Type.String()),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  route: Type.String(),
  status: Type.Integer(),
  outcome: AuditOutcome,
  request_id: Type.Union([Type.String(), Type.Null()]),
});
export type AuditLogItem = Static<typeof AuditLogItem>;

/** The columns of the CSV and NDJSON downloads, in order. */
export const AUDIT_EXPORT_COLUMNS = [
  'id',
  'at',
  'actor_type',
  'actor_id',
  'actor_name',
  'action',
  'resource_type',
  'resource_id',
  'ids',
  'fields',
  'ip',
  'user_agent',
  'method',
  'route',
  'status',
  'outcome',
  'request_id',
] as const;
