// Stream message contracts. Every message carries a schema version ("v") so that readers can
// refuse what they do not understand instead of guessing.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const StringMap = Type.Record(Type.String(), Type.String());

/** Metadata of an event; the raw body travels as the message payload, byte for byte. */
export const EventMeta = Type.Object({
  v: Type.Literal(1),
  event_id: Type.String(),
  account_id: Type.String(),
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
  source_id: Nullable(Type.String()),
  event_type: Nullable(Type.String()),
  received_at: Type.String(),
  content_type: Nullable(Type.String()),
  /** Request headers as received, minus Authorization, Cookie and hop-by-hop headers. */
  headers: StringMap,
  labels: Type.Union([StringMap, Type.Null()]),
  idempotency_key: Nullable(Type.String()),
  /** Outbound only: restrict delivery to these destinations. */
  destination_ids: Type.Optional(Type.Array(Type.String())),
  /** Outbound only: a test event, delivered to this destination alone, whatever the routes say. */
  test_destination_id: Type.Optional(Type.String()),
  /** Outbound only: delivered only to the destinations of this customer of the account. */
  customer_id: Type.Optional(Type.String()),
});
export type EventMeta = Static<typeof EventMeta>;

/** What a delivery message adds to the event it carries. */
export const DeliveryMeta = Type.Object({
  v: Type.Literal(1),
  delivery_id: Type.String(),
  destination_id: Type.String(),
  route_id: Nullable(Type.String()),
  /** Sequence of the event in the events stream (replays re-read it from there). */
  event_seq: Type.Number(),
  /** Set when this delivery was created by a replay (single or bulk). */
  replay_id: Nullable(Type.String()),
  created_at: Type.String(),
});
export type DeliveryMeta = Static<typeof DeliveryMeta>;

export const META_HEADER = 'Hs-Meta';
export const DELIVERY_HEADER = 'Hs-Delivery';

/** JSON with every non-ASCII character escaped: safe as a NATS header value. */
export function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Nearly always ASCII already: a UTF-8 length equal to the string's length says so without the
  // regular expression's pass (DEL is one byte too, hence its own check).
  if (Buffer.byteLength(json) === json.length && !json.includes('\u007f')) return json;
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class ContractError extends Error {
  override name = 'ContractError';
}

// Every message of the hot path is checked: a compiled checker is several times cheaper than
// Value.Check, which walks the schema on every call.
const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();
function matches(schema: TSchema, value: unknown): boolean {
  let check = checkers.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checkers.set(schema, check);
  }
  return check.Check(value);
}

function parseChecked<T>(schema: TSchema, raw: string | undefined, what: string): T {
  if (raw === undefined) throw new ContractError(`${what}: header missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ContractError(`${what}: not JSON`);
  }
  if (!matches(schema, parsed)) throw new ContractError(`${what}: does not match schema v1`);
  return parsed as T;
}

export function encodeEventHeaders(meta: EventMeta): Record<string, string> {
  return { [META_HEADER]: asciiJson(meta) };
}

export function decodeEventMeta(headers: Record<string, string | undefined>): EventMeta {
  return parseChecked<EventMeta>(EventMeta, headers[META_HEADER], 'event meta');
}

export function encodeDeliveryHeaders(meta: EventMeta, delivery: DeliveryMeta): Record<string, string> {
  return { [META_HEADER]: asciiJson(meta), [DELIVERY_HEADER]: asciiJson(delivery) };
}

export function decodeDeliveryMeta(headers: Record<string, string | undefined>): {
  event: EventMeta;
  delivery: DeliveryMeta;
} {
  return {
    event: parseChecked<EventMeta>(EventMeta, headers[META_HEADER], 'event meta'),
    delivery: parseChecked<DeliveryMeta>(DeliveryMeta, headers[DELIVERY_HEADER], 'delivery meta'),
  };
}

/** The router's decision for one event (or a replay's): which deliveries exist. Empty = unrouted. */
export const RoutedFact = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('routed'),
  account_id: Type.String(),
  event_id: Type.String(),
  event_seq: Type.Number(),
  replay_id: Nullable(Type.String()),
  deliveries: Type.Array(
    Type.Object({
      delivery_id: Type.String(),
      destination_id: Type.String(),
      route_id: Nullable(Type.String()),
      /** The customer the destination belonged to when routed (absent: none). */
      customer_id: Type.Optional(Type.String()),
    }),
  ),
  at: Type.String(),
});
export type RoutedFact = Static<typeof RoutedFact>;

/**
 * The routings of several events of one account, decided in one turn of a router's event loop, in
 * one message: one stored message, one PubAck, one delivery to the projector and one ack instead of
 * one each per event. A batch has no id of its own to dedupe on: an event routed again (its router
 * died before acking it) is stored again, and projects to the same rows (docs/adr/0002-projections.md).
 */
export const RoutedFacts = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('routings'),
  account_id: Type.String(),
  routings: Type.Array(RoutedFact, { minItems: 1 }),
});
export type RoutedFacts = Static<typeof RoutedFacts>;

export const AttemptOutcome = Type.Union([
  Type.Literal('delivered'),
  Type.Literal('retry_scheduled'),
  Type.Literal('dead_letter'),
]);
export type AttemptOutcome = Static<typeof AttemptOutcome>;

/** One HTTP attempt of one delivery. */
export const AttemptFact = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('attempt'),
  account_id: Type.String(),
  event_id: Type.String(),
  delivery_id: Type.String(),
  destination_id: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  started_at: Type.String(),
  duration_ms: Type.Number(),
  outcome: AttemptOutcome,
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error_class: Nullable(Type.String()),
  error: Nullable(Type.String()),
  response_headers: StringMap,
  /** Response body, cut to RESPONSE_EXCERPT_BYTES. */
  response_excerpt: Type.String(),
  next_attempt_at: Nullable(Type.String()),
});
export type AttemptFact = Static<typeof AttemptFact>;

/**
 * Several attempts of one account, finished in one turn of a deliverer's event loop, in one
 * message: one stored message, one PubAck, one delivery to the projector and one ack instead of
 * one each per attempt. An attempt that may be a destination's last is never in one: the
 * dead-letter watch finds those by their own message id (docs/delivery.md).
 */
export const AttemptFacts = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('attempts'),
  account_id: Type.String(),
  attempts: Type.Array(AttemptFact, { minItems: 1 }),
});
export type AttemptFacts = Static<typeof AttemptFacts>;

export const RESPONSE_EXCERPT_BYTES = 4096;

export const DeadLetterReason = Type.Union([
  Type.Literal('exhausted'),
  Type.Literal('not_retryable'),
  Type.Literal('max_deliveries_advisory'),
  Type.Literal('destination_deleted'),
]);

/** A delivery that will not be attempted again (until a replay redrives its event). */
export const DeadLetter = Type.Object({
  v: Type.Literal(1),
  account_id: Type.String(),
  event_id: Type.String(),
  event_seq: Type.Number(),
  delivery_id: Type.String(),
  destination_id: Type.String(),
  attempts: Type.Integer({ minimum: 0 }),
  reason: DeadLetterReason,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Nullable(Type.String()),
  dead_at: Type.String(),
});
export type DeadLetter = Static<typeof DeadLetter>;

export function checkFact<T>(schema: TSchema, value: unknown, what: string): T {
  if (!matches(schema, value)) throw new ContractError(`${what}: does not match schema v1`);
  return value as T;
}
