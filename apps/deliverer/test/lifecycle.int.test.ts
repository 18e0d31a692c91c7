// How a deliverer's end affects deliveries. kill -9 during an attempt: the delivery is neither lost
// nor changes its id (the deliverer runs as a real child process, `hookstream` with ROLES=deliverer,
// killed with SIGKILL; a fresh one takes over). A graceful stop: what is in flight finishes and is recorded.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { CONSUMERS, type DeadLetter, DELIVERY_HEADERS, STREAMS } from '@hookstream/contracts';
import { publishRaw, startReceiver, waitFor } from '@hookstream/testkit';
import { STACK_KEY, enqueue, putDestination, readAttempts, readJson, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
const MAIN = path.resolve(import.meta.dirname, '../../hookstream/src/main.ts');
// The advisory and the redelivery come after AckWait = timeout_ms + 15 s.
const AFTER_ACK_WAIT_MS = 45_000;

function spawnDeliverer(): ChildProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ROLES: 'deliverer',
      PORT: '0',
      NATS_URL: s.natsUrl,
      SECRETS_KEY: STACK_KEY,
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_DESTINATIONS: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

const deadLetterOf = async (deliveryId: string) =>
  (await readJson<DeadLetter>(s.broker, STREAMS.deadLetters)).find((d) => d.delivery_id === deliveryId);
const attemptsOf = async (deliveryId: string) =>
  (await readAttempts(s.broker)).filter((f) => f.kind === 'attempt' && f.delivery_id === deliveryId);

t.test(
  'kill -9 during the last attempt ends dead-lettered; during an earlier one, the repeat keeps its id',
  async (t) => {
    const last = await startReceiver(t);
    // Attempt 1 fails, attempt 2 (the last) hangs until the process dies.
    last.respond((_r, i) => (i === 0 ? { status: 500 } : 'hang'));
    const early = await startReceiver(t);
    // Attempt 1 hangs until the process dies; the repeat succeeds.
    early.respond((_r, i) => (i === 0 ? 'hang' : { status: 200 }));
    const policy = { delays_ms: [50], jitter: 0 };
    const dLast = await putDestination(s, last.url, {
      timeout_ms: 3_000,
      retry_policy: { max_attempts: 2, ...policy },
    });
    const dEarly = await putDestination(s, early.url, {
      timeout_ms: 3_000,
      retry_policy: { max_attempts: 3, ...policy },
    });

    const child = spawnDeliverer();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const { delivery: lastDelivery } = await enqueue(s, dLast);
    const { delivery: earlyDelivery } = await enqueue(s, dEarly);
    await Promise.all([last.waitForCount(2, 20_000), early.waitForCount(1, 20_000)]);
    child.kill('SIGKILL');
    await exited;
    t.equal(last.requests.length, 2, 'the last attempt was under way when the process died');
    t.equal(await deadLetterOf(lastDelivery.delivery_id), undefined, 'nothing recorded it yet');

    await startDeliverer(t, s);
    const dl = await waitFor(() => deadLetterOf(lastDelivery.delivery_id), {
      timeoutMs: AFTER_ACK_WAIT_MS,
      message: 'dead letter',
    });
    t.equal(dl.reason, 'max_deliveries_advisory');
    t.equal(dl.attempts, 2);
    t.equal(dl.destination_id, dLast.id);
    t.equal(last.requests.length, 2, 'no third request beyond max_attempts');
    const lastFacts = await attemptsOf(lastDelivery.delivery_id);
    t.same(
      lastFacts.map((f) => [f.attempt, f.outcome]).sort(),
      [
        [1, 'retry_scheduled'],
        [2, 'dead_letter'],
      ],
      'the interrupted attempt is on record',
    );

    const reqs = await early.waitForCount(2, AFTER_ACK_WAIT_MS);
    t.same(
      reqs.map((r) => r.headers[DELIVERY_HEADERS.deliveryId]),
      [earlyDelivery.delivery_id, earlyDelivery.delivery_id],
      'the repeat carries the same delivery id',
    );
    t.equal(reqs[1]?.headers[DELIVERY_HEADERS.attempt], '2', 'and counts as the second attempt');
    const earlyFacts = await waitFor(async () => {
      const f = await attemptsOf(earlyDelivery.delivery_id);
      return f.some((x) => x.outcome === 'delivered') && f;
    });
    t.same(
      earlyFacts.map((f) => [f.attempt, f.outcome]),
      [[2, 'delivered']],
      'delivered on the repeat',
    );
    t.equal(await deadLetterOf(earlyDelivery.delivery_id), undefined);
  },
);

t.test(
  'the dead-letter watch never dead-letters a delivery whose last attempt was recorded as delivered',
  async (t) => {
    // A deliverer that recorded "delivered" and died before its ack leaves exactly this behind: an
    // unacked last attempt (so JetStream emits MAX_DELIVERIES) and a delivered fact.
    const rx = await startReceiver(t);
    const dest = await putDestination(s, rx.url, {
      active: false,
      retry_policy: { max_attempts: 2, delays_ms: [50], jitter: 0 },
    });
    const delivered = await enqueue(s, dest);
    const interrupted = await enqueue(s, dest);
    await s.publisher.publishAttempt({
      v: 1,
      kind: 'attempt',
      account_id: s.accountId,
      event_id: delivered.event.event_id,
      delivery_id: delivered.delivery.delivery_id,
      destination_id: dest.id,
      attempt: 2,
      started_at: new Date().toISOString(),
      duration_ms: 5,
      outcome: 'delivered',
      status_code: 200,
      error_class: null,
      error: null,
      response_headers: {},
      response_excerpt: '',
      next_attempt_at: null,
    });
    const advisory = (seq: number) =>
      JSON.stringify({
        type: 'io.nats.jetstream.advisory.v1.max_deliver',
        id: `adv-${seq}`,
        timestamp: new Date().toISOString(),
        stream: STREAMS.deliveries,
        consumer: CONSUMERS.destination(dest.id),
        stream_seq: seq,
        deliveries: 2,
      });
    await startDeliverer(t, s);
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STREAMS.deliveries}.${CONSUMERS.destination(dest.id)}`;
    await publishRaw(s.broker, subject, advisory(delivered.seq));
    await publishRaw(s.broker, subject, advisory(interrupted.seq));

    const dl = await waitFor(() => deadLetterOf(interrupted.delivery.delivery_id), {
      message: 'the interrupted one is dead-lettered',
    });
    t.equal(dl.reason, 'max_deliveries_advisory');
    await waitFor(async () => {
      const i = await s.broker.consumers.info(STREAMS.advisories, CONSUMERS.deadLetterWatch);
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
    t.equal(await deadLetterOf(delivered.delivery.delivery_id), undefined, 'the delivered one is not');
    const facts = await attemptsOf(delivered.delivery.delivery_id);
    t.same(
      facts.map((f) => f.outcome),
      ['delivered'],
      'and its record is unchanged',
    );
    t.equal(rx.requests.length, 0);
  },
);

t.test('stop() finishes the requests in flight and records them', async (t) => {
  const own = await startDeliverer(t, s);
  const rx = await startReceiver(t);
  rx.respond(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 300)));
  const dest = await putDestination(s, rx.url, { max_in_flight: 4 });
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await enqueue(s, dest)).delivery.delivery_id);
  await rx.waitForCount(4);
  await own.stop();
  const facts = (await readAttempts(s.broker)).filter((f) => f.kind === 'attempt' && f.destination_id === dest.id);
  t.same(
    new Set(facts.map((f) => f.delivery_id)),
    new Set(ids),
    'every request in flight has its outcome recorded by the time stop() returns',
  );
  t.ok(
    facts.every((f) => f.outcome === 'delivered'),
    'all delivered',
  );
  const info = await waitFor(async () => {
    const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
    return i.num_ack_pending === 0 && i;
  });
  t.equal(info.num_redelivered, 0, 'and acked: nothing will be sent twice');
});
