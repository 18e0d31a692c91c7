// Stream, subject and bucket names: the one place they are spelled.
// Ids embedded in subjects are UUIDs (no dots, no wildcards), so every subject token is safe.

export const STREAMS = {
  /** Every accepted webhook and outbound event, raw body as payload. The source of truth. */
  events: 'HS_EVENTS',
  /** One message per (event, destination) to deliver; consumed per destination. */
  deliveries: 'HS_DELIVERIES',
  /** Facts for the projectors: routing decisions and delivery attempts. */
  facts: 'HS_FACTS',
  /** Deliveries that exhausted their attempts or could not be retried. */
  deadLetters: 'HS_DEADLETTERS',
  /** MAX_DELIVERIES advisories of the deliveries stream, captured durably. */
  advisories: 'HS_ADVISORIES',
  /** Who changed what through the API or the console: the audit log (docs/adr/0018-audit-log.md). */
  audit: 'HS_AUDIT',
} as const;

export const CONFIG_BUCKET = 'hs_config';
export const OBJECT_BUCKET = 'hs_exports';
/** Console sign-in sessions, keyed by a hash of the session id; entries expire when idle. */
export const CONSOLE_SESSION_BUCKET = 'hs_console_sessions';
/** Customer portal sessions: records by account, and pointers from token and cookie hashes. */
export const PORTAL_SESSION_BUCKET = 'hs_portal_sessions';
/** Failed console sign-ins per email and address, for the lockout; entries age out with the lockout window. */
export const SIGNIN_FAILURE_BUCKET = 'hs_signin_failures';

export const SUBJECTS = {
  eventsAll: 'hs.events.>',
  deliveriesAll: 'hs.deliveries.>',
  factsAll: 'hs.facts.>',
  deadLettersAll: 'hs.dlq.>',
  auditAll: 'hs.audit.>',
  maxDeliveriesAdvisory: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${'HS_DELIVERIES'}.>`,
} as const;

export type Direction = 'inbound' | 'outbound';

/** hs.events.<account>.<in|out>.<source id, or "_" for outbound> */
export function eventSubject(accountId: string, direction: Direction, sourceId: string | null): string {
  return `hs.events.${accountId}.${direction === 'inbound' ? 'in' : 'out'}.${sourceId ?? '_'}`;
}

export function accountEventsFilter(accountId: string): string {
  return `hs.events.${accountId}.>`;
}

export function deliverySubject(destinationId: string): string {
  return `hs.deliveries.${destinationId}`;
}

export function routedFactSubject(accountId: string): string {
  return `hs.facts.routed.${accountId}`;
}

export function attemptFactSubject(accountId: string): string {
  return `hs.facts.attempt.${accountId}`;
}

/** hs.audit.<account> */
export function auditSubject(accountId: string): string {
  return `hs.audit.${accountId}`;
}

export function deadLetterSubject(accountId: string): string {
  return `hs.dlq.${accountId}`;
}

/** Durable consumer names. */
export const CONSUMERS = {
  router: 'router',
  deadLetterWatch: 'dead_letter_watch',
  projectEvents: 'projector_events',
  projectFacts: 'projector_facts',
  projectDeadLetters: 'projector_dead_letters',
  projectAudit: 'projector_audit',
  destination: (destinationId: string) => `dst_${destinationId}`,
} as const;

/** Header names Hookstream adds to every delivery request (documented in docs/delivery.md). */
export const DELIVERY_HEADERS = {
  eventId: 'x-hookstream-event-id',
  deliveryId: 'x-hookstream-delivery-id',
  attempt: 'x-hookstream-attempt',
  eventType: 'x-event-type',
} as const;
