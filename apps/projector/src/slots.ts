// A rebuild writes with one batcher per slot of the writers' lock (libs/store locks.ts): each
// message's work goes to the writer of its event's slot, so that writers never share an event and
// run side by side, each on its own Postgres connection. A message of attempts or routings of
// several events is split by slot, and acked once every part of it is.
import type { InboundMsg } from '@hookstream/broker';
import { writerSlot } from '@hookstream/store';
import type { Item } from './decode.ts';

/** Facts by their event's slot. */
function bySlot<F extends { event_id: string }>(facts: readonly F[]): Map<number, F[]> {
  const out = new Map<number, F[]>();
  for (const fact of facts) {
    const slot = writerSlot(fact.event_id);
    const list = out.get(slot);
    if (list) list.push(fact);
    else out.set(slot, [fact]);
  }
  return out;
}

/** The item's work by slot: the item itself under its event's slot, or one part per slot its facts touch. */
export function partsBySlot(item: Item): Array<[slot: number, part: Item]> {
  switch (item.kind) {
    case 'event':
      return [[writerSlot(item.event.meta.event_id), item]];
    case 'routed':
    case 'attempt':
      return [[writerSlot(item.fact.event_id), item]];
    case 'dead':
      return [[writerSlot(item.letter.event_id), item]];
    case 'skip':
    case 'audit':
      // Touches no event: only the checkpoint moves (audit entries have a pipe of their own).
      return [[0, item]];
    case 'attempts':
      return [...bySlot(item.facts)].map(([slot, facts]) => [slot, { ...item, facts }]);
    case 'routings':
      return [...bySlot(item.facts)].map(([slot, facts]) => [slot, { ...item, facts }]);
  }
}

/**
 * `parts` handles on one message, each settled by one writer: the message is acked once every part
 * is, handed back (or terminated) as soon as one part is. A part acked before another is handed back
 * is written again on redelivery, which changes nothing (every write is an idempotent merge).
 * `onAcked` runs once the message itself is acked.
 */
export function splitMessage(msg: InboundMsg, parts: number, onAcked?: () => void): InboundMsg[] {
  let left = parts;
  let settled = false;
  const once = (settle: () => void) => {
    if (settled) return;
    settled = true;
    settle();
  };
  const part = (): InboundMsg => {
    let mine = false;
    // True when this part's ack is the last one the message waited for.
    const last = () => {
      if (mine) return false;
      mine = true;
      left--;
      return left === 0 && !settled;
    };
    return {
      subject: msg.subject,
      streamSeq: msg.streamSeq,
      deliveryCount: msg.deliveryCount,
      timestampMs: msg.timestampMs,
      get headers() {
        return msg.headers;
      },
      data: msg.data,
      ack() {
        if (!last()) return;
        settled = true;
        msg.ack();
        onAcked?.();
      },
      async ackSync() {
        if (!last()) return;
        settled = true;
        await msg.ackSync();
        onAcked?.();
      },
      nak: (delayMs) => once(() => msg.nak(delayMs)),
      term: () => once(() => msg.term()),
      working: () => msg.working(),
    };
  };
  return Array.from({ length: parts }, part);
}
