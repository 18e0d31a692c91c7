import t from 'tap';
import { matchRoutes } from './routes.ts';
import type { EventLike, RouteLike } from './routes.ts';

function route(id: string, over: Partial<RouteLike> = {}): RouteLike {
  return {
    id,
    account_id: 'acc_1',
    source_id: null,
    destination_id: `dst_${id}`,
    event_type_pattern: null,
    active: true,
    ...over,
  };
}

function inbound(over: Partial<EventLike> = {}): EventLike {
  return { account_id: 'acc_1', direction: 'inbound', source_id: 'src_1', event_type: 'payment.succeeded', ...over };
}

const ids = (rs: RouteLike[]): string[] => rs.map((r) => r.id);

t.test('given routes in several accounts and states', async (t) => {
  const routes = [route('r1'), route('r2', { account_id: 'acc_2' }), route('r3', { active: false })];
  t.test('when an event arrives, then only active routes of its own account match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound())), ['r1']);
  });
});

t.test('given a catch-all route and a source-scoped route', async (t) => {
  const routes = [route('r1'), route('r2', { source_id: 'src_1' })];
  t.test('when an inbound event comes from that source, then both match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound())), ['r1', 'r2']);
  });
  t.test('when an inbound event comes from another source, then only the catch-all matches', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ source_id: 'src_9' }))), ['r1']);
  });
  t.test('when an outbound event is published, then only the catch-all matches', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ direction: 'outbound', source_id: null }))), ['r1']);
    t.same(
      ids(matchRoutes(routes, inbound({ direction: 'outbound', source_id: 'src_1' }))),
      ['r1'],
      'even with a source id set',
    );
  });
});

t.test('given routes with event type patterns', async (t) => {
  const routes = [
    route('r1', { event_type_pattern: 'payment.*' }),
    route('r2', { event_type_pattern: 'invoice.>' }),
    route('r3', { event_type_pattern: '' }),
  ];
  t.test('when the type fits one pattern, then that route and the empty-pattern route match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound())), ['r1', 'r3']);
  });
  t.test('when the event has no type, then only the route without a pattern matches', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ event_type: null }))), ['r3']);
  });
});

t.test('given routes with labels', async (t) => {
  const routes = [
    route('r1', { labels: { tenant: 'acme', env: 'prod' } }),
    route('r2', { labels: {} }),
    route('r3', { labels: null }),
  ];
  t.test('when the event carries every label with equal values (and more), then the route matches', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ labels: { tenant: 'acme', env: 'prod', extra: 'x' } }))), [
      'r1',
      'r2',
      'r3',
    ]);
  });
  t.test('when one value differs, then the labelled route does not match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ labels: { tenant: 'acme', env: 'dev' } }))), ['r2', 'r3']);
  });
  t.test('when the event has no labels, then the labelled route does not match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ labels: null }))), ['r2', 'r3']);
    t.same(ids(matchRoutes(routes, inbound())), ['r2', 'r3']);
  });
  t.test('when the label is only inherited from Object.prototype, then it does not count', async (t) => {
    const r = [route('r1', { labels: { toString: 'x' } })];
    t.same(ids(matchRoutes(r, inbound({ labels: {} }))), []);
  });
});

t.test('given routes with payload filters', async (t) => {
  const routes = [
    route('r1', { payload_filter: { amount: { $gt: 1000 } } }),
    route('r2', { payload_filter: { currency: 'eur' } }),
    route('r3'),
  ];
  t.test('when the payload fits one filter, then that route matches and the payload is parsed once', async (t) => {
    let parses = 0;
    const ev = inbound({ payload: () => (parses++, { amount: 2000, currency: 'usd' }) });
    t.same(ids(matchRoutes(routes, ev)), ['r1', 'r3']);
    t.equal(parses, 1);
  });
  t.test('when no route has a filter, then the payload is never parsed', async (t) => {
    let parses = 0;
    matchRoutes([route('r3')], inbound({ payload: () => (parses++, {}) }));
    t.equal(parses, 0);
  });
  t.test('when the body is not JSON or parsing throws, then filtered routes do not match', async (t) => {
    t.same(ids(matchRoutes(routes, inbound({ payload: () => undefined }))), ['r3']);
    t.same(
      ids(
        matchRoutes(
          routes,
          inbound({
            payload: () => {
              throw new SyntaxError('bad');
            },
          }),
        ),
      ),
      ['r3'],
    );
    t.same(ids(matchRoutes(routes, inbound())), ['r3'], 'no payload accessor at all');
  });
});

t.test('given several routes to the same destination', async (t) => {
  const routes = [
    route('r9', { destination_id: 'dst_a' }),
    route('r2', { destination_id: 'dst_b' }),
    route('r5', { destination_id: 'dst_a' }),
    route('r1', { destination_id: 'dst_c' }),
  ];
  t.test(
    'when they all match, then each destination gets one delivery, from its smallest route id, in route id order',
    async (t) => {
      const got = matchRoutes(routes, inbound());
      t.same(ids(got), ['r1', 'r2', 'r5']);
      t.same(
        got.map((r) => r.destination_id),
        ['dst_c', 'dst_b', 'dst_a'],
      );
    },
  );
  t.test('when the input order changes, then the result is the same', async (t) => {
    t.same(ids(matchRoutes([...routes].reverse(), inbound())), ['r1', 'r2', 'r5']);
  });
  t.test('when the smaller route does not match, then the other one to that destination is used', async (t) => {
    const rs = [
      route('r1', { destination_id: 'dst_a', event_type_pattern: 'x' }),
      route('r2', { destination_id: 'dst_a' }),
    ];
    t.same(ids(matchRoutes(rs, inbound())), ['r2']);
  });
});

t.test('given a route type with extra fields, when matched, then the same objects come back', async (t) => {
  const r = { ...route('r1'), created_at: '2026-01-01T00:00:00Z' };
  const got = matchRoutes([r], inbound());
  t.equal(got[0], r);
  t.equal(got[0]?.created_at, '2026-01-01T00:00:00Z');
});
