// A destination's backlog of large deliveries. A pull of dozens of them would have nats-server queue
// more for the deliverer's connection than its max_pending (here 4 MB): the server would cut the
// connection off, and every message of the pull would come again as a new attempt. A destination's
// pulls stay within its window of bytes (pullBytes).
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { connectBroker, createPublisher } from '@hookstream/broker';
import { DELIVERY_HEADERS } from '@hookstream/contracts';
import { startNats, startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, stackOn, startDeliverer } from './harness.ts';

const DELIVERIES = 20;
const BODY_BYTES = 1_000_000;

t.test(
  'given a backlog of 1 MB deliveries and a 4 MB max_pending, when the deliverer drains it, then each is sent once, as attempt 1',
  async (t) => {
    const logFile = path.join(t.testdir(), 'nats.log');
    const nats = await startNats(t, { maxPayload: '2MB', maxPending: '4MB', logFile });
    const s = await stackOn(t, nats.url);
    const rx = await startReceiver(t);
    const d = await putDestination(s, `${rx.url}/large`, {
      max_in_flight: 32,
      retry_policy: { max_attempts: 3, delays_ms: [50, 100], jitter: 0 },
    });
    const body = Buffer.alloc(BODY_BYTES, 'x');
    for (let i = 0; i < DELIVERIES; i++) await enqueue(s, d, body);

    // The deliverer on a connection of its own, as in production.
    const own = await connectBroker({ servers: nats.url, name: 'deliverer-large-test' });
    t.teardown(() => own.close());
    await startDeliverer(t, s, { broker: own, publisher: createPublisher(own), pullBytes: 2 * 1024 * 1024 });

    await waitFor(() => rx.requests.length >= DELIVERIES, {
      timeoutMs: 60_000,
      message: 'every large delivery to arrive',
    });
    const attempts = rx.requests.map((r) => r.headers[DELIVERY_HEADERS.attempt]);
    t.same(
      attempts,
      Array.from({ length: DELIVERIES }, () => '1'),
      'each sent once, as its first attempt',
    );
    t.equal(new Set(rx.requests.map((r) => r.headers[DELIVERY_HEADERS.deliveryId])).size, DELIVERIES, 'every delivery');
    t.ok(
      rx.requests.every((r) => r.body.length === BODY_BYTES),
      'whole',
    );
    t.notMatch(await readFile(logFile, 'utf8'), /Slow Consumer/, 'the connection was never cut off');
  },
);
