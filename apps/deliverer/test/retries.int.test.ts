// Attempts, retries and dead letters against a real nats-server and a real HTTP receiver.
import t from 'tap';
import { type DeadLetter, DELIVERY_HEADERS, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, readJson, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
await startDeliverer(t, s);

const attemptsOf = async (deliveryId: string) =>
  (await readAttempts(s.broker))
    .filter((f) => f.kind === 'attempt' && f.delivery_id === deliveryId)
    .sort((a, b) => a.attempt - b.attempt);
const deadLetterOf = async (deliveryId: string) =>
  (await readJson<DeadLetter>(s.broker, STREAMS.deadLetters)).find((d) => d.delivery_id === deliveryId);

t.test('500, 500, 200: delivered on attempt 3, same delivery id every time', async (t) => {
  const rx = await startReceiver(t);
  rx.respond((_req, i) => (i < 2 ? { status: 500, body: 'nope' } : { status: 200, body: 'ok' }));
  const dest = await putDestination(s, `${rx.url}/hook`, {
    headers: { 'X-Custom': 'yes', 'X-Hookstream-Delivery-Id': 'spoofed' },
    auth_token: 'tok_123',
  });
  const body = Buffer.from('{"amount":42,"note":"caf\u00e9"}');
  const { event, delivery } = await enqueue(s, dest, body);

  const reqs = await rx.waitForCount(3);
  const facts = await waitFor(async () => {
    const f = await attemptsOf(delivery.delivery_id);
    return f.length === 3 && f;
  });
  t.equal(reqs.length, 3, 'exactly three requests');
  for (const [i, r] of reqs.entries()) {
    t.equal(r.url, '/hook');
    t.ok(r.body.equals(body), `attempt ${i + 1}: body byte for byte`);
    t.equal(r.headers[DELIVERY_HEADERS.deliveryId], delivery.delivery_id, `attempt ${i + 1}: same delivery id`);
    t.equal(r.headers[DELIVERY_HEADERS.eventId], event.event_id);
    t.equal(r.headers[DELIVERY_HEADERS.attempt], String(i + 1));
    t.equal(r.headers[DELIVERY_HEADERS.eventType], 'order.created');
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.headers['x-custom'], 'yes', 'custom header');
    t.equal(r.headers.authorization, 'Bearer tok_123', 'bearer auth');
  }
  t.same(
    facts.map((f) => [f.attempt, f.outcome, f.status_code]),
    [
      [1, 'retry_scheduled', 500],
      [2, 'retry_scheduled', 500],
      [3, 'delivered', 200],
    ],
  );
  t.equal(facts[0]?.response_excerpt, 'nope');
  t.ok(facts[0]?.next_attempt_at, 'a retry says when');
  t.equal(facts[2]?.next_attempt_at, null);
  t.equal(await deadLetterOf(delivery.delivery_id), undefined, 'not dead-lettered');
});

t.test('always 500: max_attempts requests, then a dead letter with the last status', async (t) => {
  const rx = await startReceiver(t);
  rx.respond(() => ({ status: 503, body: 'down' }));
  const dest = await putDestination(s, rx.url, { retry_policy: { max_attempts: 4, delays_ms: [50, 100], jitter: 0 } });
  const { delivery } = await enqueue(s, dest);
  const dl = await waitFor(() => deadLetterOf(delivery.delivery_id));
  t.equal(dl.reason, 'exhausted');
  t.equal(dl.attempts, 4);
  t.equal(dl.last_status_code, 503);
  t.equal(dl.destination_id, dest.id);
  const facts = await attemptsOf(delivery.delivery_id);
  t.same(
    facts.map((f) => f.outcome),
    ['retry_scheduled', 'retry_scheduled', 'retry_scheduled', 'dead_letter'],
  );
  t.equal(rx.requests.length, 4, 'exactly max_attempts requests');
  // Nothing comes after the dead letter: the message was terminated, not left to be redelivered.
  const info = await waitFor(async () => {
    const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
    return i.num_ack_pending === 0 && i;
  });
  t.equal(info.num_pending, 0, 'nothing left for the destination');
  t.equal(info.num_redelivered, 0, 'nothing waiting to be redelivered');
});

t.test('a 400 is not retried', async (t) => {
  const rx = await startReceiver(t);
  rx.respond(() => ({ status: 400, body: 'bad' }));
  const dest = await putDestination(s, rx.url);
  const { delivery } = await enqueue(s, dest);
  const dl = await waitFor(() => deadLetterOf(delivery.delivery_id));
  t.equal(dl.reason, 'not_retryable');
  t.equal(dl.attempts, 1);
  t.equal(dl.last_status_code, 400);
  t.equal(rx.requests.length, 1);
  const facts = await attemptsOf(delivery.delivery_id);
  t.same(
    facts.map((f) => [f.attempt, f.outcome]),
    [[1, 'dead_letter']],
  );
});

t.test('429 with Retry-After: the next attempt does not come before it', async (t) => {
  const rx = await startReceiver(t);
  rx.respond((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
  const dest = await putDestination(s, rx.url);
  const { delivery } = await enqueue(s, dest);
  const reqs = await rx.waitForCount(2);
  const [first, second] = reqs;
  t.ok(first && second);
  t.ok(
    second!.receivedAt - first!.receivedAt >= 2_000,
    `waited ${second!.receivedAt - first!.receivedAt} ms, at least the 2 s asked`,
  );
  const facts = await waitFor(async () => {
    const f = await attemptsOf(delivery.delivery_id);
    return f.length === 2 && f;
  });
  t.equal(facts[0]?.status_code, 429);
  t.equal(facts[1]?.outcome, 'delivered');
});

t.test('two deliverer copies share the work and never duplicate it', async (t) => {
  await startDeliverer(t, s);
  const rx = await startReceiver(t);
  const dest = await putDestination(s, rx.url, { max_in_flight: 4 });
  const n = 200;
  for (let i = 0; i < n; i += 50)
    await Promise.all(Array.from({ length: 50 }, (_, j) => enqueue(s, dest, `{"n":${i + j}}`)));
  const reqs = await rx.waitForCount(n, 20_000);
  await waitFor(async () => {
    const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
    return i.num_pending === 0 && i.num_ack_pending === 0;
  });
  t.equal(rx.requests.length, n, 'one request per delivery');
  t.equal(new Set(reqs.map((r) => r.headers[DELIVERY_HEADERS.deliveryId])).size, n);
});
