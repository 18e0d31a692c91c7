// What a receiver gets beyond the basics: signatures, rate limits, and what happens to deliveries
// of paused and deleted destinations. Real nats-server, real HTTP receiver.
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { type DeadLetter, DELIVERY_HEADERS, STREAMS } from '@hookstream/contracts';
import { generateSigningSecret } from '@hookstream/signing';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, readJson, startDeliverer, startStack } from './harness.ts';

const s = await startStack(t);
const deliverer = await startDeliverer(t, s);

const deadLetters = () => readJson<DeadLetter>(s.broker, STREAMS.deadLetters);

t.test(
  'a Standard Webhooks signature verifies with the standardwebhooks package, with both secrets during a rotation',
  async (t) => {
    const rx = await startReceiver(t);
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    const expired = generateSigningSecret();
    const now = Date.now();
    const dest = await putDestination(s, rx.url, {
      signature_scheme: 'standard_webhooks',
      signing_secrets: [
        {
          secret: previous,
          created_at: new Date(now - 60_000).toISOString(),
          expires_at: new Date(now + 3_600_000).toISOString(),
        },
        { secret: current, created_at: new Date(now).toISOString(), expires_at: null },
        {
          secret: expired,
          created_at: new Date(now - 120_000).toISOString(),
          expires_at: new Date(now - 1_000).toISOString(),
        },
      ],
    });
    const body = '{"type":"invoice.paid","data":{"name":"Zoë 🦤"}}';
    const { delivery } = await enqueue(s, dest, body);
    const [req] = await rx.waitForCount(1);
    t.ok(req);
    const headers = req!.headers as Record<string, string>;
    t.equal(headers['webhook-id'], delivery.delivery_id, 'webhook-id is the delivery id');
    t.equal(headers['webhook-signature']?.split(' ').length, 2, 'two signatures: current and previous');
    for (const secret of [current, previous]) {
      t.same(new Webhook(secret).verify(req!.body, headers), JSON.parse(body), 'verifies');
    }
    t.throws(() => new Webhook(expired).verify(req!.body, headers), 'an expired secret no longer signs');

    // The rotation ends: a new version of the record, whose secrets and headers the next attempt follows.
    await s.catalog.put('destination', dest.id, {
      ...dest,
      headers: { 'X-Team': 'billing' },
      signing_secrets: [{ secret: current, created_at: new Date(now).toISOString(), expires_at: null }],
    });
    await enqueue(s, dest, body);
    const next = (await rx.waitForCount(2))[1];
    const nextHeaders = next!.headers as Record<string, string>;
    t.equal(nextHeaders['webhook-signature']?.split(' ').length, 1, 'one signature once the previous secret is gone');
    t.same(new Webhook(current).verify(next!.body, nextHeaders), JSON.parse(body), 'verifies with the current secret');
    t.throws(() => new Webhook(previous).verify(next!.body, nextHeaders), 'the previous secret no longer signs');
    t.equal(nextHeaders['x-team'], 'billing', "the new version's custom header is sent");
  },
);

t.test('rate_limit_per_s: never more than the limit in any one-second window, no attempt burned', async (t) => {
  const rx = await startReceiver(t);
  const limit = 5;
  const dest = await putDestination(s, rx.url, { rate_limit_per_s: limit, max_in_flight: 16 });
  const n = 16;
  for (let i = 0; i < n; i++) await enqueue(s, dest, `{"i":${i}}`);
  const reqs = await rx.waitForCount(n, 20_000);
  const perSecond = new Map<number, number>();
  for (const r of reqs) {
    const w = Math.floor(r.receivedAt / 1000);
    perSecond.set(w, (perSecond.get(w) ?? 0) + 1);
  }
  t.ok(
    [...perSecond.values()].every((c) => c <= limit),
    `per-second counts ${JSON.stringify([...perSecond.values()])} ≤ ${limit}`,
  );
  t.ok(
    reqs.every((r) => r.headers[DELIVERY_HEADERS.attempt] === '1'),
    'every request is a first attempt: waiting cost nothing',
  );
  t.equal(new Set(reqs.map((r) => r.headers[DELIVERY_HEADERS.deliveryId])).size, n, 'each delivery once');
});

t.test('a paused destination keeps its deliveries; deleting it dead-letters them without a request', async (t) => {
  const rx = await startReceiver(t);
  const dest = await putDestination(s, rx.url, { active: false });
  const queued = [];
  for (let i = 0; i < 3; i++) queued.push((await enqueue(s, dest, `{"i":${i}}`)).delivery.delivery_id);
  // The consumer of a destination that was never active does not exist yet: the deliveries wait in the stream.
  await s.catalog.put('destination', dest.id, { ...dest, active: true });
  await rx.waitForCount(3);
  await s.catalog.put('destination', dest.id, { ...dest, active: false });
  await waitFor(() => !deliverer.activeDestinations().includes(dest.id), { message: 'the pause took effect' });
  await waitFor(
    async () => {
      const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
      return i.num_ack_pending === 0;
    },
    { message: 'the first three settled' },
  );
  const paused = [];
  for (let i = 0; i < 3; i++) paused.push((await enqueue(s, dest, `{"p":${i}}`)).delivery.delivery_id);
  const info = await waitFor(
    async () => {
      const i = await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
      return i.num_pending === 3 && i;
    },
    { message: 'three waiting while paused' },
  );
  t.equal(info.num_pending, 3, 'paused: the new deliveries wait on the server');
  t.equal(rx.requests.length, 3, 'nothing sent while paused');

  await s.catalog.remove('destination', dest.id);
  const dls = await waitFor(
    async () => {
      const all = (await deadLetters()).filter((d) => d.destination_id === dest.id);
      return all.length === 3 && all;
    },
    { message: 'three dead letters' },
  );
  t.same(new Set(dls.map((d) => d.delivery_id)), new Set(paused), 'each waiting delivery dead-lettered once');
  t.ok(dls.every((d) => d.reason === 'destination_deleted' && d.attempts === 0));
  t.equal(rx.requests.length, 3, 'no request for a deleted destination');
  await waitFor(
    async () => {
      try {
        await s.broker.consumers.info(STREAMS.deliveries, `dst_${dest.id}`);
        return false;
      } catch {
        return true;
      }
    },
    { message: 'the drained consumer is removed' },
  );
  const facts = (await readAttempts(s.broker)).filter((f) => f.kind === 'attempt' && f.destination_id === dest.id);
  t.equal(facts.length, 3, 'attempt facts only for the three sent');
});
