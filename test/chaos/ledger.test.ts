// The ledger's rules on hand-made data: each failure it must catch, and what it must let through.
import t from 'tap';
import type { KeyRecord } from './driver.ts';
import { type ReadAttempt, type ReadEvent, computeLedger } from './ledger.ts';
import type { Receipt } from './receiver.ts';
import type { Profile } from './topology.ts';

const DEST: Record<Profile, string> = { healthy: 'd-h', flaky: 'd-f', slow: 'd-s', limited: 'd-l', picky: 'd-p' };
const profileOf = new Map(Object.entries(DEST).map(([p, id]) => [id, p as Profile]));
const T0 = Date.parse('2030-01-01T00:00:00Z');

function key(k: string, type: string | null, ids: string[]): KeyRecord {
  return {
    key: k,
    seq: 0,
    type,
    firstTryAt: T0,
    acceptedAt: T0,
    ids,
    duplicateAnswers: 0,
    tries: 1,
    retries: 0,
    gaveUp: false,
    rejected: 0,
    lastError: null,
  };
}
function attempt(n: number, status: number | null, errorClass: string | null = null): ReadAttempt {
  return {
    n,
    started_at: new Date(T0 + n * 1000).toISOString(),
    duration_ms: 10,
    status_code: status,
    error_class: errorClass,
  };
}
function event(id: string, k: string, deliveries: Array<[Profile, string, ReadAttempt[]]>): ReadEvent {
  return {
    id,
    idempotency_key: k,
    status: 'x',
    deliveries: deliveries.map(([p, status, attempts]) => ({
      id: `${id}:${p}`,
      destination_id: DEST[p],
      status,
      attempts,
    })),
  };
}
function receipt(e: string, p: Profile, a: number, s: number | null, d = `${e}:${p}`): Receipt {
  return { p, e, d, a, s, t: T0 + a * 1000, end: T0 + a * 1000 + 5 };
}

/** One ping event (healthy only), delivered on the second attempt: every check passes. */
const good = () => ({
  keys: [key('k1', 'ping', ['e1'])],
  events: [event('e1', 'k1', [['healthy', 'delivered', [attempt(1, 500), attempt(2, 200)]]])],
  receipts: [receipt('e1', 'healthy', 1, 500), receipt('e1', 'healthy', 2, 200)],
  profileOf,
  maxAttempts: 8,
});

t.test('a clean history passes', async (t) => {
  const l = computeLedger(good());
  t.ok(l.ok, l.problems.join('\n'));
  t.equal(l.eventsAccepted, 1);
  t.equal(l.delivered, 1);
  t.equal(l.lost, 0);
  t.equal(l.settleMs.max, 2005);
});

t.test('an accepted event that never reached a destination is lost', async (t) => {
  const input = {
    ...good(),
    events: [event('e1', 'k1', [['healthy', 'retry_scheduled', [attempt(1, 500)]]])],
    receipts: [receipt('e1', 'healthy', 1, 500)],
  };
  const l = computeLedger(input);
  t.equal(l.lost, 1);
  t.notOk(l.ok);
});

t.test('an accepted event missing from the read models is judged by the receiver log', async (t) => {
  const gone = computeLedger({ ...good(), events: [], receipts: [] });
  t.equal(gone.missingFromReadModel, 1);
  t.equal(gone.lost, 1, 'never received: lost');
  const projectedOnly = computeLedger({ ...good(), events: [] });
  t.equal(projectedOnly.lost, 0, 'received with 2xx: not lost…');
  t.notOk(projectedOnly.ok, '…but the read models disagree');
});

t.test('delivered in the read model without a 2xx at the receiver is a phantom', async (t) => {
  const l = computeLedger({ ...good(), receipts: [receipt('e1', 'healthy', 1, 500)] });
  t.equal(l.phantom, 1);
  t.equal(l.attemptMismatches, 1, 'attempt 2 recorded 200, the receiver never sent it');
  t.notOk(l.ok);
});

t.test('a 2xx followed by a dead letter is explained only by a cut-off attempt', async (t) => {
  const dead = (last: ReadAttempt) => ({
    ...good(),
    events: [event('e1', 'k1', [['healthy', 'dead_letter', [attempt(1, 500), last]]])],
  });
  const interrupted = computeLedger(dead(attempt(2, null, 'interrupted')));
  t.same(interrupted.deadAfter2xx, { explained: 1, unexplained: 0 });
  t.ok(interrupted.ok);
  const recorded = computeLedger(dead(attempt(2, 200)));
  t.same(recorded.deadAfter2xx, { explained: 0, unexplained: 1 });
  t.notOk(recorded.ok);
});

t.test(
  'a second delivery id for the same (event, destination) breaks the chain; same-id repeats are duplicates',
  async (t) => {
    const dup = computeLedger({ ...good(), receipts: [...good().receipts, receipt('e1', 'healthy', 3, 200)] });
    t.equal(dup.duplicates, 1);
    t.equal(dup.chainBreaks, 0);
    t.ok(dup.ok, 'a duplicate with the same id is allowed');
    const broken = computeLedger({
      ...good(),
      receipts: [...good().receipts, receipt('e1', 'healthy', 3, 200, 'other')],
    });
    t.equal(broken.chainBreaks, 1);
    t.notOk(broken.ok);
  },
);

t.test('fan-out must match the routes for the event type', async (t) => {
  const l = computeLedger({
    ...good(),
    keys: [key('k1', 'user.deleted', ['e1'])],
    receipts: [...good().receipts, receipt('e1', 'limited', 1, 200)],
  });
  t.equal(l.wrongFanout, 1, 'user.deleted must also reach limited');
  t.equal(l.stuck, 1, 'limited answered 2xx, but the read model has no delivery there');
  t.notOk(l.ok);
});

t.test('one idempotency key stored twice is caught', async (t) => {
  const l = computeLedger({
    ...good(),
    keys: [key('k1', 'ping', ['e1', 'e2'])],
    events: [...good().events, event('e2', 'k1', [['healthy', 'delivered', [attempt(1, 200)]]])],
    receipts: [...good().receipts, receipt('e2', 'healthy', 1, 200)],
  });
  t.ok(l.doubleAccepted >= 1);
  t.notOk(l.ok);
});

t.test('a stored event whose 202 was lost is still in the ledger', async (t) => {
  const l = computeLedger({ ...good(), keys: [{ ...key('k1', 'ping', []), duplicateAnswers: 1 }] });
  t.equal(l.acceptedResponseLost, 1);
  t.equal(l.delivered, 1);
  t.equal(l.eventsAccepted, 0);
  t.notOk(l.ok, 'a run with no 202 at all proves nothing');
});

t.test('attempt numbers above max_attempts are reported', async (t) => {
  const l = computeLedger({ ...good(), maxAttempts: 1 });
  t.equal(l.overAttempts, 1);
  t.notOk(l.ok);
});
