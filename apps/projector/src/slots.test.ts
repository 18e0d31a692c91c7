import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { InboundMsg } from '@hookstream/broker';
import { WRITER_SLOTS, writerSlot } from '@hookstream/store';
import type { Item } from './decode.ts';
import { partsBySlot, splitMessage } from './slots.ts';
import { attemptFact, eventMeta, routedFact, target } from '../test/fixtures.ts';

/** A message that records how it was settled. */
function recorded(): { msg: InboundMsg; calls: string[] } {
  const calls: string[] = [];
  const msg: InboundMsg = {
    subject: 'hs.facts.attempt.x',
    streamSeq: 7,
    deliveryCount: 1,
    timestampMs: 0,
    headers: {},
    data: new Uint8Array(),
    ack: () => void calls.push('ack'),
    ackSync: async () => void calls.push('ackSync'),
    nak: (delay) => void calls.push(`nak ${delay}`),
    term: () => void calls.push('term'),
    working: () => void calls.push('working'),
  };
  return { msg, calls };
}

/** An event id whose writer slot is `slot`. */
function idOfSlot(slot: number): string {
  for (;;) {
    const id = randomUUID();
    if (writerSlot(id) === slot) return id;
  }
}

t.test(
  'attempts and routings of events of different slots are split by slot, each part keeping its order',
  async (t) => {
    const account = randomUUID();
    const metas = [0, 1, 0, 1, 1].map((slot) => eventMeta(account, { event_id: idOfSlot(slot % WRITER_SLOTS) }));
    const facts = metas.map((m) => attemptFact(m, target(), 1, 'delivered', 200));
    const item: Item = { stream: 'HS_FACTS', seq: 9, kind: 'attempts', facts };
    const parts = partsBySlot(item);
    t.same(
      parts.map(([slot, part]) => [slot, part.kind === 'attempts' ? part.facts.map((f) => f.event_id) : []]),
      [
        [0, [facts[0]?.event_id, facts[2]?.event_id]],
        [1, [facts[1]?.event_id, facts[3]?.event_id, facts[4]?.event_id]],
      ],
    );
    t.ok(
      parts.every(([, part]) => part.seq === 9 && part.stream === 'HS_FACTS'),
      'each part moves the checkpoint of the message',
    );

    const one: Item = {
      stream: 'HS_FACTS',
      seq: 10,
      kind: 'attempts',
      facts: [facts[1] as (typeof facts)[number], facts[3] as (typeof facts)[number]],
    };
    t.same(
      partsBySlot(one).map(([slot]) => slot),
      [1],
      'attempts of one slot stay one part',
    );
    const routings: Item = {
      stream: 'HS_FACTS',
      seq: 12,
      kind: 'routings',
      facts: metas.map((m) => routedFact(m, [target()])),
    };
    t.same(
      partsBySlot(routings).map(([slot, part]) => [
        slot,
        part.kind === 'routings' ? part.facts.map((f) => f.event_id) : [],
      ]),
      [
        [0, [metas[0]?.event_id, metas[2]?.event_id]],
        [1, [metas[1]?.event_id, metas[3]?.event_id, metas[4]?.event_id]],
      ],
      'routings of several events are split by slot in the same way',
    );
    const routed: Item = { stream: 'HS_FACTS', seq: 11, kind: 'attempt', fact: facts[1] as (typeof facts)[number] };
    t.same(partsBySlot(routed), [[1, routed]], "a single fact goes whole to its event's slot");
  },
);

t.test('a split message is acked once every part is, and only then', async (t) => {
  const { msg, calls } = recorded();
  let acked = 0;
  const [a, b, c] = splitMessage(msg, 3, () => acked++) as [InboundMsg, InboundMsg, InboundMsg];
  a.ack();
  a.ack();
  b.working();
  b.ack();
  t.same(calls, ['working'], 'two parts of three acked (one of them twice): nothing acked yet');
  c.ack();
  t.same(calls, ['working', 'ack']);
  t.equal(acked, 1, 'counted once');
});

t.test('a part handed back hands the message back, once, and it is never acked', async (t) => {
  const { msg, calls } = recorded();
  let acked = 0;
  const [a, b, c] = splitMessage(msg, 3, () => acked++) as [InboundMsg, InboundMsg, InboundMsg];
  a.ack();
  b.nak(1000);
  c.nak(1000);
  c.ack();
  t.same(calls, ['nak 1000']);
  t.equal(acked, 0);
});

t.test('a single part settles the message as it is settled', async (t) => {
  const { msg, calls } = recorded();
  const [only] = splitMessage(msg, 1) as [InboundMsg];
  t.equal(only.streamSeq, 7);
  only.term();
  only.ack();
  t.same(calls, ['term'], 'terminated, and nothing after');
  const second = recorded();
  await (splitMessage(second.msg, 1)[0] as InboundMsg).ackSync();
  t.same(second.calls, ['ackSync']);
});
