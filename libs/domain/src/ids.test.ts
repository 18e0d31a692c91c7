import t from 'tap';
import { deliveryIdFor, isTimeOrderedId, stableUuid, timeOrderedId } from './ids.ts';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('given an event and a route', async (t) => {
  t.test('when the delivery id is derived twice, then it is the same UUID (version 5, RFC variant)', async (t) => {
    const a = deliveryIdFor('evt_1', 'rte_1');
    t.match(a, UUID_V5);
    t.equal(deliveryIdFor('evt_1', 'rte_1'), a);
  });
  t.test('when a new version derives it, then it is the id earlier versions stored (ids never change)', async (t) => {
    t.equal(deliveryIdFor('evt_1', 'rte_1'), '6b16fc5e-c3f7-5638-ad5b-7e1846f9a0f3');
    t.equal(stableUuid('outbound-event', ['acc', 'é']), 'd223ed1e-f409-54fa-8c6f-304bd05d715b');
  });
  t.test('when the event or route differs, then the id differs', async (t) => {
    const a = deliveryIdFor('evt_1', 'rte_1');
    t.not(deliveryIdFor('evt_2', 'rte_1'), a);
    t.not(deliveryIdFor('evt_1', 'rte_2'), a);
  });
  t.test('when it is replayed, then each replay gets its own stable id; an empty replay id is no replay', async (t) => {
    const a = deliveryIdFor('evt_1', 'rte_1');
    const r1 = deliveryIdFor('evt_1', 'rte_1', 'rpl_1');
    t.not(r1, a);
    t.equal(deliveryIdFor('evt_1', 'rte_1', 'rpl_1'), r1);
    t.not(deliveryIdFor('evt_1', 'rte_1', 'rpl_2'), r1);
    t.equal(deliveryIdFor('evt_1', 'rte_1', ''), a);
  });
  t.test('when inputs would concatenate to the same string, then the ids still differ', async (t) => {
    t.not(deliveryIdFor('a.b', 'c'), deliveryIdFor('a', 'b.c'));
    t.not(deliveryIdFor('ab', 'c'), deliveryIdFor('a', 'bc'));
    t.not(deliveryIdFor('a', 'b', 'c'), deliveryIdFor('a', 'b:c'));
  });
});

t.test('given a namespace, when the same parts are used under another one, then the ids differ', async (t) => {
  t.not(stableUuid('x', ['1']), stableUuid('y', ['1']));
  t.match(stableUuid('x', []), UUID_V5);
});

t.test(
  'given a known input, when derived, then the id is pinned (ids are stored; the derivation must never change)',
  async (t) => {
    t.equal(deliveryIdFor('evt_1', 'rte_1'), '6b16fc5e-c3f7-5638-ad5b-7e1846f9a0f3');
  },
);

t.test('given an event id in time order (UUIDv7)', async (t) => {
  const earlier = '019ad7a0-0000-7abc-8def-0123456789ab';
  const later = '019ad7a0-0001-7123-9456-0123456789ab';
  const a = deliveryIdFor(earlier, 'rte_1');
  t.test('then its delivery id starts with the event time, is a UUIDv8 and is stable', async (t) => {
    t.match(a, /^019ad7a0-0000-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.equal(deliveryIdFor(earlier, 'rte_1'), a);
    t.equal(a.slice(15), stableUuid('hookstream.delivery.v1', [earlier, 'rte_1']).slice(15), 'the rest is the hash');
  });
  t.test('then deliveries of later events sort after it, whatever their route', async (t) => {
    t.ok(deliveryIdFor(later, 'rte_0') > a);
    t.ok(deliveryIdFor(later, 'rte_9', 'rpl_1') > deliveryIdFor(earlier, 'rte_9', 'rpl_1'));
  });
  t.test('then routes and replays still get ids of their own', async (t) => {
    t.not(deliveryIdFor(earlier, 'rte_2'), a);
    t.not(deliveryIdFor(earlier, 'rte_1', 'rpl_1'), a);
  });
});

t.test('an id in time order is told by its version digit', async (t) => {
  t.ok(isTimeOrderedId('019ad7a0-0000-7abc-8def-0123456789ab'));
  t.notOk(isTimeOrderedId('8f14e45f-ceea-467f-a5c9-4b3a1a2b3c4d'), 'a random id');
  t.notOk(isTimeOrderedId('evt_1234567-7'), 'not a UUID');
});

t.test('given new event ids (timeOrderedId)', async (t) => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  t.test(
    'when many are made in the same millisecond, then each is a UUIDv7 of that time, greater than the one before',
    async (t) => {
      const at = Date.UTC(2026, 11, 1, 8, 0, 0);
      // More than one pool of random bytes (256 ids), so that its refill is crossed too.
      const ids = Array.from({ length: 1_000 }, () => timeOrderedId(at));
      for (const id of ids) t.match(id, UUID_V7);
      t.equal(new Set(ids).size, ids.length, 'all distinct');
      t.ok(
        ids.every((id, i) => i === 0 || id > (ids[i - 1] as string)),
        'strictly increasing',
      );
      t.equal(Number.parseInt(ids[999]!.replace('-', '').slice(0, 12), 16), at, 'the first 48 bits are the time');
      t.ok(isTimeOrderedId(ids[0]!));
    },
  );
  t.test('when the clock goes back, then ids still increase', async (t) => {
    const a = timeOrderedId(Date.UTC(2026, 11, 1, 9));
    const b = timeOrderedId(Date.UTC(2026, 11, 1, 8));
    t.ok(b > a);
  });
  t.test('when a later millisecond comes, then its ids start with it and are not one counter step on', async (t) => {
    const a = timeOrderedId(Date.UTC(2026, 11, 1, 10));
    const b = timeOrderedId(Date.UTC(2026, 11, 1, 10) + 1);
    t.equal(Number.parseInt(b.replace('-', '').slice(0, 12), 16), Date.UTC(2026, 11, 1, 10) + 1);
    t.not(a.slice(14, 23), b.slice(14, 23), 'the counter is seeded again at random');
  });
});
