// One event in, its deliveries out. Pure of NATS: it receives the message port, the config view and
// the publisher, and decides ack / term itself; a throw means "infrastructure failed, offer it again".
import { type InboundMsg, type Publisher, type Stored, type TurnBatcher, createTurnBatcher } from '@hookstream/broker';
import { type ConfigView, selectTargets } from '@hookstream/catalog';
import { type DeliveryMeta, type EventMeta, type RoutedFact, decodeEventMeta } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/domain';
import type { Logger, Metrics } from '@hookstream/observability';

export interface RouteDeps {
  view: ConfigView;
  publisher: Publisher;
  /** Stores routed facts, those of one turn together (createRoutings). */
  routings: TurnBatcher<RoutedFact, Stored>;
  log: Logger;
  now: () => number;
  metrics?: Metrics;
}

/** Routings per message: about 300 bytes each, plus about 200 per delivery. */
const MAX_ROUTINGS = 100;
const MAX_BYTES = 256 * 1024;

/**
 * The routed facts of the events routed in one turn, stored in one message per account (a
 * `routings` message); a fact ready alone is stored alone, under its own id, as before.
 */
export function createRoutings(publisher: Publisher): TurnBatcher<RoutedFact, Stored> {
  return createTurnBatcher<RoutedFact, Stored>({
    keyOf: (fact) => fact.account_id,
    sizeOf: (fact) => 300 + fact.deliveries.length * 200,
    maxFacts: MAX_ROUTINGS,
    maxBytes: MAX_BYTES,
    one: (fact) => publisher.publishRouted(fact),
    many: (routings) =>
      publisher.publishRoutings({
        v: 1,
        kind: 'routings',
        account_id: (routings[0] as RoutedFact).account_id,
        routings,
      }),
  });
}

export async function routeEvent(msg: InboundMsg, deps: RouteDeps): Promise<void> {
  let event: EventMeta;
  try {
    event = decodeEventMeta(msg.headers);
  } catch (err) {
    // A message nobody can read will never become readable: terminate it, loudly, and go on.
    deps.log.error(
      { stream_seq: msg.streamSeq, subject: msg.subject, err: (err as Error).message },
      'malformed event: terminated',
    );
    // No reason string: nats-server before 2.10 ignores "+TERM <reason>".
    msg.term();
    return;
  }
  const targets = selectTargets(deps.view, event, msg.data);
  const at = new Date(deps.now()).toISOString();
  const deliveries: DeliveryMeta[] = [];
  const routed: RoutedFact['deliveries'] = [];
  for (const r of targets) {
    // Deterministic: a redelivered event yields the same ids, and JetStream drops the repeats.
    const d: DeliveryMeta = {
      v: 1,
      delivery_id: deliveryIdFor(event.event_id, r.route_id ?? r.destination_id),
      destination_id: r.destination_id,
      route_id: r.route_id,
      event_seq: msg.streamSeq,
      replay_id: null,
      created_at: at,
    };
    deliveries.push(d);
    routed.push({
      delivery_id: d.delivery_id,
      destination_id: d.destination_id,
      route_id: d.route_id,
      ...(r.customer_id !== null ? { customer_id: r.customer_id } : {}),
    });
  }
  const fact: RoutedFact = {
    v: 1,
    kind: 'routed',
    account_id: event.account_id,
    event_id: event.event_id,
    event_seq: msg.streamSeq,
    replay_id: null,
    deliveries: routed,
    at,
  };
  // The event is acked once its routed fact and every delivery are stored. An attempt fact cannot
  // precede its routed fact in practice (it follows an HTTP round trip), and projections do not
  // depend on the order anyway (docs/adr/0002-projections.md). A redelivered event republishes
  // harmlessly: its deliveries have deterministic ids that JetStream drops as repeats, and its
  // routed fact, stored again when it shared a message, projects to the same rows.
  const stored: Array<Promise<unknown>> = [deps.routings.store(fact)];
  for (const d of deliveries) stored.push(deps.publisher.publishDelivery(event, d, msg.data));
  await Promise.all(stored);
  msg.ack();
  deps.metrics?.routerEvent(deliveries.length === 0 ? 'unrouted' : 'routed', deliveries.length);
  if (deps.log.isLevelEnabled('debug')) {
    deps.log.debug(
      { event_id: event.event_id, account_id: event.account_id, deliveries: deliveries.length },
      deliveries.length === 0 ? 'event unrouted' : 'event routed',
    );
  }
}
