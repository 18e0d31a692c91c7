import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import {
  DELIVERY_STATUSES,
  TERMINAL_RANK,
  aggregateEventStatus,
  deliveryRank,
  eventStatus,
  isDeliveryStatus,
  isTerminalDeliveryStatus,
  mergeDeliveryState,
  mergeDeliveryStatus,
} from './status.ts';
import type { DeliveryState, DeliveryStatus } from './status.ts';

function holds<Ts>(tt: Test, property: fc.IProperty<Ts>): void {
  const details = fc.check(property, { numRuns: 500 });
  tt.equal(details.failed, false, fc.defaultReportMessage(details) ?? 'property holds');
}

t.test('given no projected status yet, when a fact arrives, then its status is taken', async (t) => {
  t.equal(mergeDeliveryStatus(null, 'delivering', 0, 1), 'delivering');
});

t.test('given a non-terminal delivery', async (t) => {
  t.test('when a fact of a higher attempt arrives, then it wins even if its stage is earlier', async (t) => {
    t.equal(mergeDeliveryStatus('retry_scheduled', 'delivering', 1, 2), 'delivering');
  });
  t.test('when a fact of a lower attempt arrives late, then it is ignored', async (t) => {
    t.equal(mergeDeliveryStatus('delivering', 'retry_scheduled', 2, 1), 'delivering');
    t.equal(mergeDeliveryStatus('delivering', 'queued', 1, 0), 'delivering');
  });
  t.test('when a fact of the same attempt arrives, then the later stage wins and a tie keeps current', async (t) => {
    t.equal(mergeDeliveryStatus('delivering', 'retry_scheduled', 1, 1), 'retry_scheduled');
    t.equal(mergeDeliveryStatus('retry_scheduled', 'delivering', 1, 1), 'retry_scheduled');
    t.equal(mergeDeliveryStatus('delivering', 'delivering', 1, 1), 'delivering');
  });
  t.test('when a terminal fact arrives, then it wins whatever its attempt', async (t) => {
    t.equal(mergeDeliveryStatus('retry_scheduled', 'delivered', 3, 2), 'delivered');
    t.equal(mergeDeliveryStatus('delivering', 'dead_letter', 5, 5), 'dead_letter');
  });
});

t.test('given a terminal delivery', async (t) => {
  t.test('when a late non-terminal fact arrives, then nothing changes', async (t) => {
    t.equal(mergeDeliveryStatus('delivered', 'retry_scheduled', 1, 4), 'delivered');
    t.equal(mergeDeliveryStatus('dead_letter', 'delivering', 5, 6), 'dead_letter');
  });
  t.test('when the other terminal fact arrives, then delivered wins whichever came first', async (t) => {
    t.equal(mergeDeliveryStatus('delivered', 'dead_letter', 2, 5), 'delivered');
    t.equal(mergeDeliveryStatus('dead_letter', 'delivered', 5, 6), 'delivered');
    t.equal(mergeDeliveryStatus('dead_letter', 'delivered', 5, 1), 'delivered');
  });
  t.test('when the same terminal fact arrives again, then nothing changes', async (t) => {
    t.same(mergeDeliveryState({ status: 'dead_letter', attempt: 5 }, { status: 'dead_letter', attempt: 3 }), {
      status: 'dead_letter',
      attempt: 5,
    });
  });
});

t.test(
  'given delivery statuses of one event, when aggregating, then the event status follows the documented rules',
  async (t) => {
    const cases: [string[], string][] = [
      [[], 'unrouted'],
      [['queued'], 'queued'],
      [['queued', 'delivered'], 'queued'],
      [['queued', 'delivering', 'dead_letter'], 'delivering'],
      [['delivering', 'retry_scheduled', 'queued'], 'retry_scheduled'],
      [['retry_scheduled', 'delivered'], 'retry_scheduled'],
      [['delivered', 'delivered'], 'delivered'],
      [['delivered', 'dead_letter'], 'dead_letter'],
      [['dead_letter'], 'dead_letter'],
      [['delivered', 'mystery'], 'queued'],
    ];
    for (const [statuses, expected] of cases)
      t.equal(aggregateEventStatus(statuses), expected, JSON.stringify(statuses));
  },
);

t.test('given the rank, when compared, then it orders every status as the merge rule does', async (t) => {
  t.ok(deliveryRank('delivered', 1) > deliveryRank('dead_letter', 9), 'delivered above dead_letter');
  t.ok(deliveryRank('dead_letter', 1) > deliveryRank('retry_scheduled', 50), 'terminal above any attempt');
  t.ok(deliveryRank('retry_scheduled', 50) < TERMINAL_RANK && deliveryRank('dead_letter', 0) >= TERMINAL_RANK);
  t.ok(deliveryRank('queued', 2) > deliveryRank('retry_scheduled', 1), 'a later attempt above an earlier stage');
  t.ok(
    deliveryRank('retry_scheduled', 1e12) < TERMINAL_RANK && deliveryRank('retry_scheduled', 1e12) <= 2 ** 31 - 1,
    'any attempt stays below terminal, inside an int4',
  );
});

t.test(
  'given an event and its deliveries, when its status is derived, then the newest delivery per destination counts',
  async (t) => {
    const d = (id: string, destination_id: string, status: string, sec: number) => ({
      id,
      destination_id,
      status,
      created_at: new Date(sec * 1000),
    });
    t.equal(eventStatus([], false), 'received', 'not routed yet');
    t.equal(eventStatus([], true), 'unrouted', 'routed to nothing');
    t.equal(eventStatus([d('a', 'x', 'delivered', 1), d('b', 'y', 'queued', 1)], true), 'queued');
    t.equal(eventStatus([d('a', 'x', 'delivered', 1), d('b', 'y', 'dead_letter', 1)], true), 'dead_letter');
    t.equal(
      eventStatus([d('a', 'x', 'dead_letter', 1), d('b', 'x', 'delivered', 2)], true),
      'delivered',
      'a successful replay supersedes',
    );
    t.equal(
      eventStatus([d('a', 'x', 'retry_scheduled', 1), d('b', 'x', 'delivered', 2)], true),
      'retry_scheduled',
      'in-flight work stays visible',
    );
    t.equal(
      eventStatus([d('b', 'x', 'delivered', 1), d('a', 'x', 'dead_letter', 1)], true),
      'delivered',
      'same time: the higher id is the newer',
    );
  },
);

t.test('given (status, attempt) pairs, when merged, then the winning pair is kept whole', async (t) => {
  const current = { status: 'retry_scheduled' as const, attempt: 2 };
  t.equal(mergeDeliveryState(current, { status: 'delivering', attempt: 2 }), current);
  t.same(mergeDeliveryState(current, { status: 'delivering', attempt: 3 }), { status: 'delivering', attempt: 3 });
  t.same(mergeDeliveryState(null, { status: 'queued', attempt: 0 }), { status: 'queued', attempt: 0 });
});

t.test('given a status-like string, when checked, then only the five delivery statuses pass', async (t) => {
  t.equal(isDeliveryStatus('retry_scheduled'), true);
  t.equal(isDeliveryStatus('unrouted'), false);
  t.equal(isDeliveryStatus(3), false);
});

t.test('properties', async (t) => {
  // The facts one delivery can produce: queued, then per attempt delivering and maybe retry_scheduled,
  // and at most one terminal fact at the end.
  const history = fc
    .tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom<DeliveryStatus | null>('delivered', 'dead_letter', null))
    .map(([attempts, terminal]) => {
      const facts: [DeliveryStatus, number][] = [['queued', 0]];
      for (let n = 1; n <= attempts; n++) {
        facts.push(['delivering', n]);
        if (n < attempts || terminal === null) facts.push(['retry_scheduled', n]);
      }
      if (terminal) facts.push([terminal, attempts]);
      const expected: DeliveryStatus = terminal ?? 'retry_scheduled';
      return { facts, expected };
    });

  t.test(
    'given the facts of one delivery in any order and with duplicates, when merged, then the result is the in-order result',
    async (t) => {
      holds(
        t,
        fc.property(
          history.chain(({ facts, expected }) =>
            fc.record({
              shuffled: fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }),
              dupes: fc.array(fc.constantFrom(...facts), { maxLength: 4 }),
              expected: fc.constant(expected),
            }),
          ),
          ({ shuffled, dupes, expected }) => {
            let state: DeliveryState | null = null;
            for (const [status, attempt] of [...shuffled, ...dupes])
              state = mergeDeliveryState(state, { status, attempt });
            return state?.status === expected;
          },
        ),
      );
    },
  );
  t.test('given any two facts, when merged in either order, then the status is the same', async (t) => {
    holds(
      t,
      fc.property(
        fc.constantFrom(...DELIVERY_STATUSES),
        fc.nat(60),
        fc.constantFrom(...DELIVERY_STATUSES),
        fc.nat(60),
        (a, na, b, nb) => {
          return mergeDeliveryStatus(a, b, na, nb) === mergeDeliveryStatus(b, a, nb, na);
        },
      ),
    );
  });
  t.test('given a terminal status, when any fact follows, then it stays terminal', async (t) => {
    holds(
      t,
      fc.property(
        fc.constantFrom('delivered' as const, 'dead_letter' as const),
        fc.nat(60),
        fc.constantFrom(...DELIVERY_STATUSES),
        fc.nat(60),
        (cur, nc, inc, ni) => {
          return isTerminalDeliveryStatus(mergeDeliveryStatus(cur, inc, nc, ni));
        },
      ),
    );
  });
  t.test('given any statuses, when aggregated in any order, then the result is the same', async (t) => {
    holds(
      t,
      fc.property(
        fc.array(fc.constantFrom('queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter')),
        (list) => {
          return aggregateEventStatus(list) === aggregateEventStatus([...list].reverse());
        },
      ),
    );
  });
});
