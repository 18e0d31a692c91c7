// Stream messages → projection items. A message that cannot be read (wrong schema version, ids that
// are not UUIDs, a time that does not parse) becomes a 'skip': it still moves the checkpoint and is
// terminated after the commit, and it is logged, because retrying it could never succeed.
import type { InboundMsg } from '@hookstream/broker';
import {
  type AuditEntry,
  AttemptFact,
  AttemptFacts,
  ContractError,
  DeadLetter,
  RoutedFact,
  RoutedFacts,
  STREAMS,
  checkFact,
  decodeEventMeta,
} from '@hookstream/contracts';
import { type EventInput, isUuid } from '@hookstream/store';
import type { ProjectedStream } from './consumers.ts';

/** What one message projects to, with the stream and sequence whose checkpoint it moves. */
export type Item = { stream: ProjectedStream | typeof STREAMS.audit; seq: number } & (
  | { kind: 'event'; event: EventInput }
  | { kind: 'routed'; fact: RoutedFact }
  | { kind: 'routings'; facts: RoutedFact[] }
  | { kind: 'attempt'; fact: AttemptFact }
  | { kind: 'attempts'; facts: AttemptFact[] }
  | { kind: 'dead'; letter: DeadLetter }
  /** Written by its own pipe (audit.ts), never in a batch of the other streams. */
  | { kind: 'audit'; entry: AuditEntry }
  | { kind: 'skip'; reason: string }
);

const dec = new TextDecoder();

class Unreadable extends Error {}

function uuid(v: string | null, what: string): void {
  if (v !== null && !isUuid(v)) throw new Unreadable(`${what} is not a UUID`);
}

function time(v: string | null, what: string): void {
  if (v !== null && Number.isNaN(Date.parse(v))) throw new Unreadable(`${what} is not a time`);
}

function json(data: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(data));
  } catch {
    throw new Unreadable('not JSON');
  }
}

function readable(fact: AttemptFact): AttemptFact {
  for (const k of ['account_id', 'event_id', 'delivery_id', 'destination_id'] as const) uuid(fact[k], k);
  time(fact.started_at, 'started_at');
  time(fact.next_attempt_at, 'next_attempt_at');
  return fact;
}

function routable(fact: RoutedFact): RoutedFact {
  uuid(fact.account_id, 'account_id');
  uuid(fact.event_id, 'event_id');
  for (const d of fact.deliveries) {
    uuid(d.delivery_id, 'delivery_id');
    uuid(d.destination_id, 'destination_id');
  }
  time(fact.at, 'at');
  return fact;
}

/**
 * The facts of a message that holds several: its subject (and so its retention) is its account's,
 * so every fact in it must be of that account too.
 */
function ofAccount<F extends { account_id: string }>(account: string, facts: F[], what: string): F[] {
  if (facts.some((f) => f.account_id !== account)) throw new Unreadable(`${what} of another account in a batch`);
  return facts;
}

function decodeUnchecked(stream: ProjectedStream, msg: InboundMsg): Item {
  const seq = msg.streamSeq;
  if (stream === STREAMS.events) {
    const meta = decodeEventMeta(msg.headers);
    uuid(meta.event_id, 'event_id');
    uuid(meta.account_id, 'account_id');
    uuid(meta.source_id, 'source_id');
    time(meta.received_at, 'received_at');
    return { stream, kind: 'event', seq, event: { meta, body: msg.data, seq } };
  }
  if (stream === STREAMS.deadLetters) {
    const letter = checkFact<DeadLetter>(DeadLetter, json(msg.data), 'dead letter');
    for (const k of ['account_id', 'event_id', 'delivery_id', 'destination_id'] as const) uuid(letter[k], k);
    time(letter.dead_at, 'dead_at');
    return { stream, kind: 'dead', seq, letter };
  }
  const value = json(msg.data);
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'routed')
    return { stream, kind: 'routed', seq, fact: routable(checkFact<RoutedFact>(RoutedFact, value, 'routed fact')) };
  if (kind === 'routings') {
    const batch = checkFact<RoutedFacts>(RoutedFacts, value, 'routed facts');
    return {
      stream,
      kind: 'routings',
      seq,
      facts: ofAccount(batch.account_id, batch.routings.map(routable), 'a routing'),
    };
  }
  if (kind === 'attempt')
    return { stream, kind: 'attempt', seq, fact: readable(checkFact<AttemptFact>(AttemptFact, value, 'attempt fact')) };
  if (kind === 'attempts') {
    const batch = checkFact<AttemptFacts>(AttemptFacts, value, 'attempt facts');
    return {
      stream,
      kind: 'attempts',
      seq,
      facts: ofAccount(batch.account_id, batch.attempts.map(readable), 'an attempt'),
    };
  }
  throw new Unreadable(`unknown fact kind ${JSON.stringify(kind)}`);
}

export function decodeMessage(stream: ProjectedStream, msg: InboundMsg): Item {
  try {
    return decodeUnchecked(stream, msg);
  } catch (err) {
    if (err instanceof Unreadable || err instanceof ContractError)
      return { stream, kind: 'skip', seq: msg.streamSeq, reason: err.message };
    throw err;
  }
}

/** Rough size of an item in a batch, to bound a transaction's payload (bodies reach 5 MB). */
export function itemBytes(item: Item): number {
  return item.kind === 'event'
    ? item.event.body.byteLength + 1024
    : item.kind === 'attempts' || item.kind === 'routings'
      ? item.facts.length * 1024
      : 1024;
}
