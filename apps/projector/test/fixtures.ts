// Builders of stream messages for the projector's tests: they play the parts of ingest, the router
// and the deliverer by publishing what those would publish.
import { randomUUID } from 'node:crypto';
import { type Broker, connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import type { AttemptFact, DeadLetter, EventMeta, RoutedFact } from '@hookstream/contracts';
import { type EventDetail, createPool, migrate } from '@hookstream/store';
import type { Pool } from '@hookstream/store';
import { createLogger } from '@hookstream/observability';
import type { Projector } from '../src/build.ts';
import { publishRaw } from '@hookstream/testkit';

export const silent = createLogger('silent', 'test');

export async function connectTest(natsUrl: string): Promise<Broker> {
  const broker = await connectBroker({ servers: natsUrl, name: 'projector-test' });
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 120 });
  return broker;
}

export async function migratedPool(url: string, connectionTimeoutMs = 5_000): Promise<Pool> {
  const pool = createPool(url, { connectionTimeoutMs, max: 4 });
  await migrate(pool);
  return pool;
}

let clock = Date.UTC(2025, 5, 1);
/** Strictly increasing times, so that tests never depend on the wall clock. */
export const tick = (): string => new Date((clock += 1000)).toISOString();

export function eventMeta(account: string, o: Partial<EventMeta> = {}): EventMeta {
  return {
    v: 1,
    event_id: randomUUID(),
    account_id: account,
    direction: 'inbound',
    source_id: randomUUID(),
    event_type: 'order.created',
    received_at: tick(),
    content_type: 'application/json',
    headers: { 'content-type': 'application/json', 'user-agent': 'fixture/1' },
    labels: null,
    idempotency_key: null,
    ...o,
  };
}

export interface Target {
  delivery_id: string;
  destination_id: string;
  /** The destination's customer, as the router records it. */
  customer_id?: string;
}

export const target = (destination_id: string = randomUUID()): Target => ({
  delivery_id: randomUUID(),
  destination_id,
});

export function routedFact(meta: EventMeta, targets: Target[], replay_id: string | null = null): RoutedFact {
  return {
    v: 1,
    kind: 'routed',
    account_id: meta.account_id,
    event_id: meta.event_id,
    event_seq: 0,
    replay_id,
    deliveries: targets.map((x) => ({ ...x, route_id: randomUUID() })),
    at: tick(),
  };
}

export function attemptFact(
  meta: EventMeta,
  t: Target,
  n: number,
  outcome: AttemptFact['outcome'],
  code: number | null,
): AttemptFact {
  return {
    v: 1,
    kind: 'attempt',
    account_id: meta.account_id,
    event_id: meta.event_id,
    delivery_id: t.delivery_id,
    destination_id: t.destination_id,
    attempt: n,
    started_at: tick(),
    duration_ms: 10 * n,
    outcome,
    status_code: code,
    error_class: code === null ? 'timeout' : code >= 500 ? 'http_5xx' : null,
    error: code === null ? 'timed out' : code >= 400 ? `HTTP ${code}` : null,
    response_headers: { 'content-type': 'text/plain' },
    response_excerpt: code === null ? '' : `status ${code}`,
    next_attempt_at: outcome === 'retry_scheduled' ? tick() : null,
  };
}

export function deadLetter(meta: EventMeta, t: Target, attempts: number, code: number | null): DeadLetter {
  return {
    v: 1,
    account_id: meta.account_id,
    event_id: meta.event_id,
    event_seq: 0,
    delivery_id: t.delivery_id,
    destination_id: t.destination_id,
    attempts,
    reason: 'exhausted',
    last_status_code: code,
    last_error: code === null ? 'timed out' : `HTTP ${code}`,
    dead_at: tick(),
  };
}

export type Message =
  | { kind: 'event'; meta: EventMeta; body: Uint8Array }
  | { kind: 'routed'; fact: RoutedFact }
  /** Several routings of one account in one message, as a router stores those of one turn. */
  | { kind: 'routings'; facts: RoutedFact[] }
  | { kind: 'attempt'; fact: AttemptFact }
  /** Several attempts of one account in one message, as a deliverer stores those that end in one turn. */
  | { kind: 'attempts'; facts: AttemptFact[] }
  | { kind: 'dead'; letter: DeadLetter };

/**
 * Publishes as the pipeline would. `duplicate` re-publishes under a fresh message id, which gets past
 * JetStream's dedupe window: the projector then sees the same content twice, as after a crash.
 */
export async function publish(broker: Broker, messages: readonly Message[], duplicate = false): Promise<void> {
  const pub = createPublisher(broker);
  for (const m of messages) {
    const id = duplicate ? randomUUID() : undefined;
    if (m.kind === 'attempts') {
      const account_id = (m.facts[0] as AttemptFact).account_id;
      await pub.publishAttempts({ v: 1, kind: 'attempts', account_id, attempts: m.facts }, id ?? randomUUID());
    } else if (m.kind === 'routings') {
      // No message id: a batch of routings is never deduped, a duplicate is simply published again.
      await pub.publishRoutings({
        v: 1,
        kind: 'routings',
        account_id: (m.facts[0] as RoutedFact).account_id,
        routings: m.facts,
      });
    } else if (m.kind === 'event') await pub.publishEvent(m.meta, m.body, id ?? m.meta.event_id);
    else if (!duplicate) {
      if (m.kind === 'routed') await pub.publishRouted(m.fact);
      else if (m.kind === 'attempt') await pub.publishAttempt(m.fact);
      else await pub.publishDeadLetter(m.letter);
    } else {
      const subject =
        m.kind === 'routed'
          ? `hs.facts.routed.${m.fact.account_id}`
          : m.kind === 'attempt'
            ? `hs.facts.attempt.${m.fact.account_id}`
            : `hs.dlq.${m.letter.account_id}`;
      const value = m.kind === 'dead' ? m.letter : m.fact;
      await publishRaw(broker, subject, JSON.stringify(value), id ? { msgId: id } : {});
    }
  }
}

/** Resolves once every stream's checkpoint has reached the stream's last message. */
export async function projected(projector: Projector, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const lag = await projector.lag();
      if (Object.values(lag).every((l) => l.lag === 0)) return;
    } catch {
      /* Postgres may be away: keep waiting */
    }
    if (Date.now() > deadline)
      throw new Error(
        `projection did not catch up in ${timeoutMs} ms: ${JSON.stringify(await projector.lag().catch(() => null))}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An event's detail with its own ids replaced by their roles, and without update times. */
export function normalized(e: EventDetail | null, names: Record<string, string>): unknown {
  const rename = (v: unknown): unknown => {
    if (typeof v === 'string') return names[v] ?? v;
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'updated_at')
          .map(([k, x]) => [k, rename(x)]),
      );
    return v;
  };
  return rename(e);
}
