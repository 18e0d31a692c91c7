// max_in_flight bounds a destination's requests, not the recording that follows them: once a
// response is in, the next delivery may start while the attempt is still being stored. What is
// being recorded is bounded too, by as many again.
import t from 'tap';
import type { Publisher } from '@hookstream/broker';
import { DELIVERY_HEADERS, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);

// The real publisher, with attempt facts held until the test lets them through.
let letThrough: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  letThrough = resolve;
});
let held = 0;
const hold =
  <A extends unknown[], R>(publish: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    held++;
    await gate;
    return publish(...args);
  };
const gated: Publisher = {
  ...s.publisher,
  publishAttempt: hold(s.publisher.publishAttempt.bind(s.publisher)),
  publishAttempts: hold(s.publisher.publishAttempts.bind(s.publisher)),
};
await startDeliverer(t, s, { publisher: gated });
// Teardowns run last-registered first: a failed test still lets the deliverer stop.
t.teardown(() => letThrough());

t.test('a delivery whose response is in frees its place for the next one while its attempt is stored', async (t) => {
  const rx = await startReceiver(t);
  let open = 0;
  let maxOpen = 0;
  rx.respond(async () => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    await new Promise((resolve) => setTimeout(resolve, 20));
    open--;
    return { status: 200 };
  });
  const dest = await putDestination(s, rx.url, {
    max_in_flight: 4,
    retry_policy: { max_attempts: 5, delays_ms: [50], jitter: 0 },
  });
  await Promise.all(Array.from({ length: 12 }, (_, i) => enqueue(s, dest, `{"n":${i}}`)));

  // Nothing is stored while the gate is shut, yet twice max_in_flight requests were made.
  await rx.waitForCount(8);
  await waitFor(() => held > 0, { message: 'attempts wait to be stored' });
  const info = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
  t.equal(info.num_ack_pending, 8, 'eight in hand: four recorded-pending, then four more');
  t.equal(info.num_pending, 4, 'the rest waits on the server');
  t.equal(rx.requests.length, 8, 'no more requests than that while nothing is stored');
  t.equal((await readAttempts(s.broker)).length, 0, 'no attempt stored yet');

  letThrough();
  await waitFor(async () => (await readAttempts(s.broker)).filter((f) => f.outcome === 'delivered').length === 12, {
    message: 'all twelve recorded delivered',
  });
  const ids = new Set(rx.requests.map((r) => r.headers[DELIVERY_HEADERS.deliveryId]));
  t.equal(ids.size, 12, 'each delivery was sent');
  t.equal(rx.requests.length, 12, 'once');
  t.ok(maxOpen <= 4, `at most max_in_flight requests were open at the receiver at once (${maxOpen})`);
});
