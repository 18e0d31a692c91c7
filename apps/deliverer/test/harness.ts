// Test support for the deliverer's integration tests (never imported by the role itself): a real
// nats-server, the real topology and config view, records written straight into the catalog.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { type Broker, type Publisher, connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import { type Catalog, Keyring, decodeKey, openCatalog } from '@hookstream/catalog';
import {
  type AttemptFact,
  type AttemptFacts,
  type DeliveryMeta,
  type DestinationRecord,
  type EventMeta,
  type RouteRecord,
  type RoutedFact,
  STREAMS,
} from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/domain';
import { createLogger } from '@hookstream/observability';
import { startNats, streamMessages } from '@hookstream/testkit';
import { type Deliverer, type DelivererDeps, buildDeliverer } from '../src/build.ts';

export interface Stack {
  natsUrl: string;
  broker: Broker;
  catalog: Catalog;
  publisher: Publisher;
  accountId: string;
}

/** The secrets key of every stack in this process; a deliverer started as its own process gets it as SECRETS_KEY. */
export const STACK_KEY = randomBytes(32).toString('base64');

export async function stackOn(t: Test, natsUrl: string): Promise<Stack> {
  const broker = await connectBroker({ servers: natsUrl, name: 'deliverer-test' });
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 86_400 });
  const catalog = await openCatalog(broker, { keyring: new Keyring(decodeKey(STACK_KEY) as Buffer) });
  t.teardown(async () => {
    catalog.close();
    await broker.close();
  });
  return { natsUrl, broker, catalog, publisher: createPublisher(broker), accountId: randomUUID() };
}

export async function startStack(t: Test): Promise<Stack> {
  const nats = await startNats(t);
  return stackOn(t, nats.url);
}

export async function startDeliverer(t: Test, s: Stack, over: Partial<DelivererDeps> = {}): Promise<Deliverer> {
  const d = buildDeliverer({
    broker: s.broker,
    view: s.catalog.view,
    publisher: s.publisher,
    log: createLogger('silent'),
    allowPrivate: true,
    maxInFlight: 256,
    pullExpiresMs: 2_000,
    ...over,
  });
  t.teardown(() => d.stop());
  await d.start();
  return d;
}

export async function putDestination(
  s: Stack,
  url: string,
  over: Partial<DestinationRecord> = {},
): Promise<DestinationRecord> {
  const now = new Date().toISOString();
  const d: DestinationRecord = {
    id: randomUUID(),
    account_id: s.accountId,
    name: 'dest',
    url,
    auth_token: null,
    headers: {},
    signing_secrets: [],
    signature_scheme: 'standard_webhooks',
    // Generous: on a loaded machine a short timeout turns a slow local receiver into retries.
    timeout_ms: 10_000,
    retry_policy: { max_attempts: 3, delays_ms: [50, 100], jitter: 0 },
    rate_limit_per_s: null,
    max_in_flight: 8,
    active: true,
    created_at: now,
    updated_at: now,
    ...over,
  };
  await s.catalog.put('destination', d.id, d);
  return d;
}

export async function putRoute(s: Stack, destinationId: string, pattern: string | null = null): Promise<RouteRecord> {
  const now = new Date().toISOString();
  const r: RouteRecord = {
    id: randomUUID(),
    account_id: s.accountId,
    source_id: null,
    destination_id: destinationId,
    event_type_pattern: pattern,
    labels: null,
    payload_filter: null,
    active: true,
    created_at: now,
    updated_at: now,
  };
  await s.catalog.put('route', r.id, r);
  return r;
}

export function eventMeta(s: Stack, over: Partial<EventMeta> = {}): EventMeta {
  return {
    v: 1,
    event_id: randomUUID(),
    account_id: s.accountId,
    direction: 'outbound',
    source_id: null,
    event_type: 'order.created',
    received_at: new Date().toISOString(),
    content_type: 'application/json',
    headers: {},
    labels: null,
    idempotency_key: null,
    ...over,
  };
}

/** Every message of a stream, parsed as JSON, oldest first. */
export async function readJson<T>(broker: Broker, stream: string): Promise<T[]> {
  return (await streamMessages(broker, stream)).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as T);
}

/** Every attempt fact of HS_FACTS, oldest first, whether stored alone or with others (facts.ts). */
export async function readAttempts(broker: Broker): Promise<AttemptFact[]> {
  const out: AttemptFact[] = [];
  for (const m of await readJson<AttemptFact | AttemptFacts | RoutedFact>(broker, STREAMS.facts)) {
    if (m.kind === 'attempt') out.push(m);
    else if (m.kind === 'attempts') out.push(...m.attempts);
  }
  return out;
}

/** What the router does for one event and one destination: the event stored, then its delivery. */
export async function enqueue(
  s: Stack,
  d: DestinationRecord,
  body: Buffer | string = '{"hello":"world"}',
  over: Partial<EventMeta> = {},
): Promise<{ event: EventMeta; delivery: DeliveryMeta; seq: number }> {
  const event = eventMeta(s, over);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const stored = await s.publisher.publishEvent(event, bytes, `evt:${event.event_id}`);
  const delivery: DeliveryMeta = {
    v: 1,
    delivery_id: deliveryIdFor(event.event_id, d.id),
    destination_id: d.id,
    route_id: null,
    event_seq: stored.seq,
    replay_id: null,
    created_at: new Date().toISOString(),
  };
  const dlv = await s.publisher.publishDelivery(event, delivery, bytes);
  return { event, delivery, seq: dlv.seq };
}
