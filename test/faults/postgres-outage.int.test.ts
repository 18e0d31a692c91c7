// Postgres is a projection: with it stopped, ingest and delivery go on; when it returns, the read
// models catch up with no gap and no duplicate.
import t from 'tap';
import { startOwnPostgres, startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from '../e2e/harness.ts';

t.test('ingest and delivery survive a Postgres outage; read models catch up afterwards', async (t) => {
  const pg = await startOwnPostgres(t);
  const gw = await startSystem(t, {}, { databaseUrl: pg.url });
  const receiver = await startReceiver(t);
  const anon = client(gw.url as string);
  const acct = await anon.call('POST', '/v1/accounts', { name: 'acme' });
  const api = client(gw.url as string, acct.json.data.api_key);
  const src = (await api.call('POST', '/v1/sources', { name: 's' })).json.data;
  const dst = (await api.call('POST', '/v1/destinations', { name: 'd', url: receiver.url })).json.data;
  await api.call('POST', '/v1/routes', { destination_id: dst.id });

  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push((await anon.ingest(src.path_token, `{"n":${i}}`)).json.data.id);
  await receiver.waitForCount(10, 15_000);

  await pg.stop();
  for (let i = 10; i < 30; i++) {
    const r = await anon.ingest(src.path_token, `{"n":${i}}`, { 'x-webhook-id': `k${i}` });
    t.equal(r.status, 202, `ingest ${i} accepted with Postgres down`);
    ids.push(r.json.data.id);
  }
  const dup = await anon.ingest(src.path_token, '{"n":10}', { 'x-webhook-id': 'k10' });
  t.equal(dup.json.data.note, 'duplicate', 'dedupe works without Postgres');
  await receiver.waitForCount(30, 20_000);
  t.equal(receiver.requests.length, 30, 'every event delivered while Postgres was down');

  const ready = await anon.call('GET', '/readyz');
  t.equal(ready.status, 200, 'the instance stays ready: it can ingest');
  t.equal(ready.json.data.checks.postgres.ok, false, 'and says that Postgres is down');
  const list = await api.call('GET', '/v1/events');
  t.equal(list.status, 503, 'the event log says it is unavailable');
  t.type(list.json.error, 'string');

  await pg.start();
  const seen = await waitFor(
    async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const r: { status: number; json: any } = await api.call(
          'GET',
          `/v1/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        if (r.status !== 200) return null;
        all.push(
          ...r.json.data.filter((e: { status: string }) => e.status === 'delivered').map((e: { id: string }) => e.id),
        );
        cursor = r.json.next_cursor;
      } while (cursor);
      return all.length === 30 ? all : null;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: 'read models caught up' },
  );
  t.same(new Set(seen), new Set(ids), 'exactly the accepted events, each once, all delivered');
  t.equal(seen.length, new Set(seen).size, 'no duplicate rows');
});
