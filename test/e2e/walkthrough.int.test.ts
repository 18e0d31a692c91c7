// The README's walk-through, over real HTTP, through every role: ingest → route → deliver → project.
import t from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

t.test('account → key → source → destination → route → ingest → delivered, visible in the event log', async (t) => {
  const gw = await startSystem(t);
  const receiver = await startReceiver(t);
  const anon = client(gw.url as string);
  const acct = await anon.call('POST', '/v1/accounts', { name: 'acme' });
  t.equal(acct.status, 201);
  const api = client(gw.url as string, acct.json.data.api_key);
  const src = await api.call('POST', '/v1/sources', { name: 'shop' });
  const dst = await api.call('POST', '/v1/destinations', { name: 'orders', url: `${receiver.url}/orders` });
  t.equal(dst.status, 201);
  const route = await api.call('POST', '/v1/routes', {
    source_id: src.json.data.id,
    destination_id: dst.json.data.id,
    event_type_pattern: 'order.*',
  });
  t.equal(route.status, 201);

  const body = '{"id":"o_1","total":42}';
  const accepted = await anon.ingest(src.json.data.path_token, body, {
    'content-type': 'application/json',
    'x-event-type': 'order.created',
    'x-webhook-id': 'o_1',
  });
  t.equal(accepted.status, 202);
  const eventId = accepted.json.data.id;
  const dup = await anon.ingest(src.json.data.path_token, body, { 'x-webhook-id': 'o_1' });
  t.same(dup.json.data, { status: 'accepted', note: 'duplicate' });
  const skipped = await anon.ingest(src.json.data.path_token, '{}', { 'x-event-type': 'customer.created' });
  t.equal(skipped.status, 202);

  const [req] = await receiver.waitForCount(1, 15_000);
  t.equal(req?.body.toString(), body, 'delivered byte-exact');
  t.equal(req?.headers['content-type'], 'application/json');
  t.equal(req?.headers['x-hookstream-event-id'], eventId);
  t.match(req?.headers['x-hookstream-delivery-id'], /^[0-9a-f-]{36}$/);
  t.ok(req?.headers['webhook-signature'], 'signed with the destination secret');

  const delivered = await waitFor(
    async () => {
      const r = await api.call('GET', `/v1/events/${eventId}`);
      return r.status === 200 && r.json.data.status === 'delivered' && r.json.data.deliveries[0]?.attempts.length === 1
        ? r.json.data
        : null;
    },
    { timeoutMs: 15_000, message: 'event projected as delivered' },
  );
  t.equal(delivered.deliveries.length, 1);
  t.equal(delivered.deliveries[0].attempts[0].status_code, 200);
  t.equal(delivered.deliveries[0].destination_id, dst.json.data.id);

  const unrouted = await waitFor(
    async () => {
      const r = await api.call('GET', `/v1/events/${skipped.json.data.id}`);
      return r.status === 200 && r.json.data.status === 'unrouted' ? r.json.data : null;
    },
    { timeoutMs: 15_000, message: 'unmatched event visible as unrouted' },
  );
  t.equal(unrouted.deliveries.length, 0);

  const list = await api.call('GET', '/v1/events?limit=10');
  t.equal(list.status, 200);
  t.equal(list.json.data.length, 2, 'the duplicate was stored once');
  t.equal(receiver.requests.length, 1, 'the unmatched event went nowhere');
});
