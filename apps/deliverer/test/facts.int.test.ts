// Attempt facts that finish together are stored together, per account; one finishing alone is
// stored alone under its own id; and an attempt that may be its destination's last never joins
// a batch, so that the dead-letter watch can find it by id.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Publisher } from '@hookstream/broker';
import { type AttemptFact, type AttemptFacts, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { type AttemptRecorder, createAttemptRecorder } from '../src/facts.ts';
import { enqueue, putDestination, readAttempts, readJson, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
const recorder = createAttemptRecorder(s.publisher, (publish) => publish());

function fact(account: string, n = 1): AttemptFact {
  return {
    v: 1,
    kind: 'attempt',
    account_id: account,
    event_id: randomUUID(),
    delivery_id: randomUUID(),
    destination_id: randomUUID(),
    attempt: n,
    started_at: new Date().toISOString(),
    duration_ms: 3,
    outcome: 'delivered',
    status_code: 200,
    error_class: null,
    error: null,
    response_headers: { 'content-type': 'text/plain' },
    response_excerpt: 'ok',
    next_attempt_at: null,
  };
}

type Stored = AttemptFact | AttemptFacts;
const messagesSince = async (seq: number): Promise<Stored[]> =>
  (await readJson<Stored>(s.broker, STREAMS.facts)).slice(seq);
const count = async (): Promise<number> => (await s.broker.streams.info(STREAMS.facts)).state.messages;

t.test('attempts recorded in one turn are stored in one message per account', async (t) => {
  const before = await count();
  const a = randomUUID();
  const b = randomUUID();
  const facts = [fact(a), fact(a), fact(b), fact(a), fact(b)];
  const results = await Promise.all(facts.map((f) => recorder.record(f)));
  t.same(results, [null, null, null, null, null], 'each resolves once its batch is stored');
  const stored = await messagesSince(before);
  t.equal(stored.length, 2, 'two messages: one per account');
  const byAccount = new Map(stored.map((m) => [m.account_id, m]));
  t.match(byAccount.get(a), { kind: 'attempts', attempts: facts.filter((f) => f.account_id === a) });
  t.match(byAccount.get(b), { kind: 'attempts', attempts: facts.filter((f) => f.account_id === b) });
});

t.test('an attempt recorded alone is stored alone, under its own id', async (t) => {
  const before = await count();
  const f = fact(randomUUID(), 2);
  const stored = await recorder.record(f);
  t.ok(stored && stored.seq > 0 && !stored.duplicate, 'its PubAck is handed back');
  t.same(await messagesSince(before), [f]);
  const again = await s.publisher.publishAttempt(f);
  t.ok(again.duplicate, 'a second publish of the same attempt is a duplicate of it');
});

t.test('a large turn is split: at most 100 attempts and about 256 KB per message', async (t) => {
  const before = await count();
  const account = randomUUID();
  const many = Array.from({ length: 250 }, () => fact(account));
  await Promise.all(many.map((f) => recorder.record(f)));
  const sizes = (await messagesSince(before)).map((m) => (m.kind === 'attempts' ? m.attempts.length : 1));
  t.same(sizes, [100, 100, 50]);
  const big = Array.from({ length: 30 }, () => ({ ...fact(account), response_excerpt: 'é'.repeat(4096) }));
  const beforeBig = await count();
  await Promise.all(big.map((f) => recorder.record(f)));
  const bigSizes = (await messagesSince(beforeBig)).map((m) => (m.kind === 'attempts' ? m.attempts.length : 1));
  t.ok(
    bigSizes.length > 1 && bigSizes.every((n) => n * 4096 * 3 <= 256 * 1024),
    `split by size: ${bigSizes.join(', ')}`,
  );
  t.equal(
    bigSizes.reduce((x, y) => x + y, 0),
    30,
    'every attempt stored',
  );
});

t.test('when the batch cannot be stored, every attempt in it is refused', async (t) => {
  const failing: Publisher = { ...s.publisher, publishAttempts: () => Promise.reject(new Error('nats down')) };
  const r: AttemptRecorder = createAttemptRecorder(failing, (publish) => publish());
  const account = randomUUID();
  const outcomes = await Promise.allSettled([r.record(fact(account)), r.record(fact(account))]);
  t.same(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected'],
  );
});

t.test(
  'a deliverer stores attempts that may be the last one by one, and the others together when they finish together',
  async (t) => {
    const sink = await startReceiver(t);
    const single = await putDestination(s, sink.url, { retry_policy: { max_attempts: 1, delays_ms: [], jitter: 0 } });
    const multi = await putDestination(s, sink.url);
    const before = await count();
    // Waiting before the deliverer starts: it takes them in one pull, and many answers come in one turn.
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => enqueue(s, i % 2 === 0 ? single : multi)));
    await startDeliverer(t, s);
    const mine = async () =>
      (await readAttempts(s.broker)).filter((a) => a.destination_id === single.id || a.destination_id === multi.id);
    await waitFor(async () => (await mine()).filter((a) => a.outcome === 'delivered').length >= ids.length, {
      timeoutMs: 30_000,
      message: 'every delivery to be attempted',
    });
    const stored = await messagesSince(before);
    const alone = stored.filter((m): m is AttemptFact => m.kind === 'attempt');
    const together = stored.filter((m): m is AttemptFacts => m.kind === 'attempts');
    t.comment(
      `${together.length} messages held ${together.reduce((n, m) => n + m.attempts.length, 0)} attempts; ${alone.length} stored alone`,
    );
    t.ok(
      together.every((m) => m.attempts.every((a) => a.destination_id === multi.id)),
      'no attempt that may be the last is in a batch',
    );
    t.equal(alone.filter((a) => a.destination_id === single.id).length, 30, 'each of those is stored alone');
    const delivered = (await mine()).filter((a) => a.outcome === 'delivered');
    t.equal(delivered.length, 60, 'every delivery has one delivered attempt');
    t.equal(new Set(delivered.map((a) => a.delivery_id)).size, 60, 'one per delivery');
  },
);
