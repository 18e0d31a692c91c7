import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import { aggregateEventStatus, isDeliveryStatus, mergeDeliveryState, mergeDeliveryStatus } from './status.ts';
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
  t.test('when another terminal fact arrives, then the current one stays', async (t) => {
    t.equal(mergeDeliveryStatus('delivered', 'dead_letter', 2, 5), 'delivered');
    t.equal(mergeDeliveryStatus('dead_letter', 'delivered', 5, 6), 'dead_letter');
  });
});

t.test('given delivery statuses of one event, when aggregating, then the event status follows the documented rules', async (t) => {
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
  for (const [statuses, expected] of cases) t.equal(aggregateEventStatus(statuses), expected, JSON.stringify(statuses));
});

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

  t.test('given the facts of one delivery in any order and with duplicates, when merged, then the result is the in-order result', async (t) => {
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
          for (const [status, attempt] of [...shuffled, ...dupes]) state = mergeDeliveryState(state, { status, attempt });
          return state?.status === expected;
        },
      ),
    );
  });
  t.test('given any statuses, when aggregated in any order, then the result is the same', async (t) => {
    holds(
      t,
      fc.property(fc.array(fc.constantFrom('queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter')), (list) => {
        return aggregateEventStatus(list) === aggregateEventStatus([...list].reverse());
      }),
    );
  });
});
