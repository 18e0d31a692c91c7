// The event log filtered by idempotency key, on the whole system (real NATS and Postgres): the list,
// the outbound list and the live stream return exactly the account's events with that key.
import t from 'tap';
import { waitFor } from '@hookstream/testkit';
import { client, startSystem } from '../../../test/e2e/harness.ts';

/** The ids of the `event: event` items of a text/event-stream, as they arrive. */
async function liveIds(url: string, key: string, signal: AbortSignal): Promise<{ status: number; ids: string[] }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal });
  const ids: string[] = [];
  if (res.status !== 200 || !res.body) return { status: res.status, ids };
  void (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const data = /^event: event\ndata: (.*)$|^data: (.*)$/m.exec(block);
          if (block.startsWith('event: event') && data) ids.push(JSON.parse((data[1] ?? data[2]) as string).id);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { status: res.status, ids };
}

t.test('GET /v1/events?idempotency_key= returns exactly the events with that key, of one account', async (t) => {
  const gw = await startSystem(t);
  const base = gw.url as string;
  const signup = async (name: string) => (await client(base).call('POST', '/v1/accounts', { name })).json.data;
  const a = await signup('acme');
  const b = await signup('other');
  const api = client(base, a.api_key);
  const other = client(base, b.api_key);
  const src = (await api.call('POST', '/v1/sources', { name: 'shop' })).json.data;

  const publish = async (c: typeof api, eventId: string) => {
    const r = await c.call('POST', '/v1/outbound-events', {
      event_type: 'order.created',
      payload: {},
      event_id: eventId,
    });
    t.equal(r.status, 202, JSON.stringify(r.json));
    return r.json.data.id as string;
  };
  const mine = await publish(api, 'order-42');
  await publish(api, 'order-43');
  const theirs = await publish(other, 'order-42');
  const ingested = await api.ingest(src.path_token as string, '{"n":1}', {
    'content-type': 'application/json',
    'idempotency-key': 'in-7',
  });
  t.equal(ingested.status, 202);
  await api.ingest(src.path_token as string, '{"n":2}', { 'content-type': 'application/json' });
  await waitFor(async () => (await api.call('GET', '/v1/events?limit=500')).json.data.length === 4, {
    timeoutMs: 30_000,
    message: 'every event projected',
  });
  await waitFor(async () => (await other.call('GET', '/v1/events?limit=500')).json.data.length === 1, {
    timeoutMs: 30_000,
  });

  const ids = async (c: typeof api, path: string) => {
    const r = await c.call('GET', path);
    t.equal(r.status, 200, `${path}: ${JSON.stringify(r.json).slice(0, 200)}`);
    return r.json.data.map((e: { id: string }) => e.id);
  };
  t.same(
    await ids(api, '/v1/events?idempotency_key=order-42'),
    [mine],
    "the account's one event with that key, not the other account's",
  );
  t.same(await ids(other, '/v1/events?idempotency_key=order-42'), [theirs]);
  t.same(await ids(api, '/v1/events?idempotency_key=in-7'), [ingested.json.data.id], 'a key given at ingest');
  t.same(await ids(api, '/v1/events?idempotency_key=order-4'), [], 'exact, not a prefix');
  t.same(await ids(api, '/v1/events?idempotency_key=order-42&direction=inbound'), [], 'with the other filters');
  t.same(await ids(api, '/v1/outbound-events?idempotency_key=order-42'), [mine], 'the outbound list takes it too');
  t.same(await ids(api, '/v1/outbound-events?idempotency_key=in-7'), []);

  const nul = await api.call('GET', '/v1/events?idempotency_key=a%00b');
  t.equal(nul.status, 400);
  t.match(nul.json, { code: 'validation_failed', error: /^querystring\.idempotency_key: must not contain NUL/ });
  const long = await api.call('GET', `/v1/events?idempotency_key=${'k'.repeat(513)}`);
  t.equal(long.status, 400, 'longer than any stored key');
  t.match(long.json.error, /^querystring\.idempotency_key/);
  t.equal((await api.call('GET', '/v1/events?idempotency_key=')).status, 400, 'an empty key');
  t.equal(
    (await api.call('GET', '/v1/events/live?idempotency_key=a%00b')).status,
    400,
    'the live stream refuses it alike',
  );

  // Live: only new events with the key are sent.
  const ctl = new AbortController();
  t.teardown(() => ctl.abort());
  const live = await liveIds(`${base}/v1/events/live?idempotency_key=later-1`, a.api_key, ctl.signal);
  t.equal(live.status, 200);
  const other1 = await publish(api, 'later-2');
  const later = await publish(api, 'later-1');
  await publish(other, 'later-1');
  await waitFor(() => live.ids.includes(later), { timeoutMs: 30_000, message: 'the matching event appears live' });
  await waitFor(async () => (await api.call('GET', `/v1/events/${other1}`)).status === 200, { timeoutMs: 30_000 });
  // One more poll after the other event is readable, so that a wrongly sent one would have come.
  await new Promise((r) => setTimeout(r, 1_500));
  t.same([...new Set(live.ids)], [later], 'nothing else: not the other key, not the other account');
});
