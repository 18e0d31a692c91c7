// The jobs role's pure rules: which subject a replay reads, what its metadata must match, which
// requests are refused, and each plan's retention window.
import t from 'tap';
import { ConfigView } from '@hookstream/catalog';
import type { Catalog } from '@hookstream/catalog';
import type { DestinationRecord, EventMeta } from '@hookstream/contracts';
import { checkReplayFilter, matchesMeta, replaySubject } from './replays.ts';
import { retentionDays } from './retention.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const SRC = '33333333-3333-4333-8333-333333333333';
const DST = '44444444-4444-4444-8444-444444444444';

function catalogWith(dest: Partial<DestinationRecord>): Catalog {
  const view = new ConfigView();
  view.apply('destination', DST, { id: DST, account_id: A, created_at: '2025-01-01T00:00:00Z', ...dest }, 1);
  return { view } as unknown as Catalog;
}

const meta = (o: Partial<EventMeta> = {}): EventMeta => ({
  v: 1,
  event_id: 'e',
  account_id: A,
  direction: 'inbound',
  source_id: SRC,
  event_type: 'order.paid',
  received_at: '2025-01-01T00:00:00Z',
  content_type: null,
  headers: {},
  labels: null,
  idempotency_key: null,
  ...o,
});

t.test('given a filter, the replay reads the narrowest subject of the account', async (t) => {
  t.equal(replaySubject(A, {}), `hs.events.${A}.>`);
  t.equal(replaySubject(A, { source_id: SRC }), `hs.events.${A}.in.${SRC}`);
  t.equal(replaySubject(A, { direction: 'inbound' }), `hs.events.${A}.in.>`);
  t.equal(replaySubject(A, { direction: 'outbound' }), `hs.events.${A}.out.>`);
});

t.test('given an event, its metadata matches the type, direction and source of the filter', async (t) => {
  const window = { since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z' };
  t.ok(matchesMeta(meta(), window));
  t.ok(matchesMeta(meta(), { ...window, event_type: 'order.paid', direction: 'inbound', source_id: SRC }));
  t.notOk(matchesMeta(meta(), { ...window, event_type: 'order.created' }));
  t.notOk(matchesMeta(meta(), { ...window, direction: 'outbound' }));
  t.notOk(matchesMeta(meta({ source_id: null, direction: 'outbound' }), { ...window, source_id: SRC }));
});

t.test('given a replay request, the time window and the destination are checked', async (t) => {
  const c = catalogWith({});
  const ok = { since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z' };
  t.equal(checkReplayFilter(c, A, ok), null);
  t.equal(checkReplayFilter(c, A, { ...ok, destination_id: DST, status: 'dead_letter' }), null);
  t.match(checkReplayFilter(c, A, { ...ok, until: ok.since }), /after since/);
  t.match(checkReplayFilter(c, A, { since: '2025-01-01T00:00:00Z', until: '2025-02-02T00:00:00Z' }), /31 days/);
  t.equal(
    checkReplayFilter(c, A, { since: '2025-01-01T00:00:00Z', until: '2025-02-01T00:00:00Z' }),
    null,
    'exactly 31 days is allowed',
  );
  t.match(
    checkReplayFilter(c, B, { ...ok, destination_id: DST }),
    /no such destination/,
    "another account's destination",
  );
  t.match(checkReplayFilter(c, A, { ...ok, destination_id: DST, status: 'unrouted' }), /status of the delivery/);
  t.match(checkReplayFilter(c, A, { ...ok, source_id: SRC, direction: 'outbound' }), /inbound/);
  t.match(checkReplayFilter(c, A, { ...ok, since: 'soon' }), /since/);
});

t.test(
  "given a customer's replay, it takes the customer's outbound events and broadcasts, never another's",
  async (t) => {
    const window = { since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z', customer_id: 'cus_x' };
    const out = (o: Partial<EventMeta> = {}) => meta({ direction: 'outbound', source_id: null, ...o });
    t.ok(matchesMeta(out({ customer_id: 'cus_x' }), window), 'its own event');
    t.ok(matchesMeta(out(), window), 'a broadcast (its targets are cut to the customer later)');
    t.notOk(matchesMeta(out({ customer_id: 'cus_y' }), window), "another customer's event");
    t.notOk(matchesMeta(meta(), window), 'an inbound event');
    const c = catalogWith({ customer_id: 'cus_y' });
    t.match(checkReplayFilter(c, A, { ...window, destination_id: DST }), /not a destination of customer 'cus_x'/);
    t.equal(checkReplayFilter(catalogWith({ customer_id: 'cus_x' }), A, { ...window, destination_id: DST }), null);
    t.match(checkReplayFilter(c, A, { ...window, direction: 'inbound' }), /outbound events/);
  },
);

t.test('given an account, its retention window comes from its record, else its plan', async (t) => {
  t.equal(retentionDays({ plan: 'free', retention_days: 1 }), 1);
  t.equal(retentionDays({ plan: 'enterprise', retention_days: 400 }), 400);
  t.equal(retentionDays({ plan: 'pro' }), 30);
  t.equal(retentionDays({ plan: 'free', retention_days: 0 }), 1, 'a nonsense value falls back to the plan');
});
