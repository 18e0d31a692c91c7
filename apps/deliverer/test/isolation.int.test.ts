// Isolation and the circuit breaker: a hanging destination with a thousand deliveries waiting does
// not hold up a healthy one, and waiting behind an open circuit costs no attempt.
import t from 'tap';
import { DELIVERY_HEADERS, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
const deliverer = await startDeliverer(t, s, { maxInFlight: 16, circuit: { failureThreshold: 5, openMs: 300 } });

async function enqueueMany(dest: Parameters<typeof enqueue>[1], n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => enqueue(s, dest, `{"${tag}":${i + j}}`)));
  }
}

t.test('a hanging destination with 1,000 waiting deliveries does not delay a healthy one', async (t) => {
  const stuck = await startReceiver(t);
  stuck.respond(() => 'hang');
  const healthy = await startReceiver(t);
  // The hanging one's timeout outlasts the test: its first requests stay stuck throughout.
  const hanging = await putDestination(s, stuck.url, { timeout_ms: 120_000, max_in_flight: 8 });
  const ok = await putDestination(s, healthy.url, { timeout_ms: 10_000, max_in_flight: 8 });

  await enqueueMany(hanging, 1_000, 'h');
  await stuck.waitForCount(8);
  await enqueueMany(ok, 300, 'ok');
  const arrived = () => new Set(healthy.requests.map((r) => r.headers[DELIVERY_HEADERS.deliveryId]));
  await waitFor(() => arrived().size === 300, { timeoutMs: 40_000, message: 'every healthy delivery arrives' });
  t.equal(arrived().size, 300, 'every healthy delivery arrived');
  await waitFor(
    async () => {
      const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${ok.id}`);
      return i.num_pending === 0 && i.num_ack_pending === 0;
    },
    { message: 'and was acked' },
  );

  const stuckInfo = await s.broker.consumers.info(STREAMS.deliveries, `dst_${hanging.id}`);
  t.equal(stuck.requests.length, 8, 'the hanging destination holds only its max_in_flight requests');
  t.equal(stuckInfo.num_ack_pending, 8, 'eight in hand');
  t.equal(stuckInfo.num_pending, 992, 'the rest still waits on the server');
  // Release the hung requests before the receiver goes, so the deliverer is not left holding them.
  await s.catalog.put('destination', hanging.id, { ...hanging, active: false });
});

t.test('an open circuit stops requests without burning attempts', async (t) => {
  const rx = await startReceiver(t);
  let failing = true;
  rx.respond(() => (failing ? { status: 500 } : { status: 200 }));
  const dest = await putDestination(s, rx.url, {
    max_in_flight: 4,
    retry_policy: { max_attempts: 10, delays_ms: [20], jitter: 0 },
  });
  await enqueueMany(dest, 40, 'c');
  await waitFor(() => deliverer.circuitState(dest.id) === 'open', {
    message: 'the circuit opens after consecutive failures',
  });
  const whenOpened = rx.requests.length;
  failing = false;
  const info = await waitFor(
    async () => {
      const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
      return i.num_pending === 0 && i.num_ack_pending === 0 && i;
    },
    { timeoutMs: 20_000, message: 'all 40 settled' },
  );
  t.equal(info.num_pending + info.num_ack_pending, 0, 'all 40 settled');
  const delivered = await waitFor(async () => {
    const facts = (await readAttempts(s.broker)).filter(
      (f) => f.destination_id === dest.id && f.outcome === 'delivered',
    );
    return facts.length === 40 && facts;
  });
  t.equal(new Set(delivered.map((f) => f.delivery_id)).size, 40, 'every delivery ended delivered');
  t.ok(whenOpened < 40, `the circuit opened after ${whenOpened} requests, before every delivery had been tried`);
  t.equal(deliverer.circuitState(dest.id), 'closed', 'a successful probe closed it');
  // Per delivery, the attempt numbers the receiver saw are 1, 2, 3, … without a gap: no attempt was
  // spent without a request, whatever waited behind the open circuit.
  const seen = new Map<string, number[]>();
  for (const r of rx.requests) {
    const id = r.headers[DELIVERY_HEADERS.deliveryId] as string;
    seen.set(id, [...(seen.get(id) ?? []), Number(r.headers[DELIVERY_HEADERS.attempt])]);
  }
  const gaps = [...seen.values()].filter((list) => list.some((n, i) => n !== i + 1));
  t.same(gaps, [], 'attempt numbers are consecutive for every delivery');
});
