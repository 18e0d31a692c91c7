// Outbound safety at delivery time: with private destinations not allowed, a destination on a
// private or loopback address is refused before any traffic and dead-lettered as not retryable.
import t from 'tap';
import { type DeadLetter, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, readJson, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
await startDeliverer(t, s, { allowPrivate: false });

t.test('private, loopback and loopback-by-name destinations are refused unless allowed', async (t) => {
  const rx = await startReceiver(t);
  const port = new URL(rx.url).port;
  // Never reached: an IP literal is judged before connecting, a name after resolving it.
  const urls = ['http://10.255.255.1/', `http://127.0.0.1:${port}/`, `http://localhost:${port}/`];
  const queued = [];
  for (const url of urls) {
    const d = await putDestination(s, url, { retry_policy: { max_attempts: 5, delays_ms: [50], jitter: 0 } });
    queued.push({ url, delivery: (await enqueue(s, d)).delivery });
  }
  for (const { url, delivery } of queued) {
    const dl = await waitFor(
      async () =>
        (await readJson<DeadLetter>(s.broker, STREAMS.deadLetters)).find((x) => x.delivery_id === delivery.delivery_id),
      {
        message: `dead letter for ${url}`,
      },
    );
    t.equal(dl.reason, 'not_retryable', `${url}: not retryable`);
    t.equal(dl.attempts, 1, `${url}: one attempt, no retries`);
    t.equal(dl.last_status_code, null);
    const facts = (await readAttempts(s.broker)).filter(
      (f) => f.kind === 'attempt' && f.delivery_id === delivery.delivery_id,
    );
    t.same(
      facts.map((f) => [f.error_class, f.outcome]),
      [['blocked_address', 'dead_letter']],
      `${url}: blocked`,
    );
  }
  t.equal(rx.requests.length, 0, 'the loopback receiver never saw a request');
});
