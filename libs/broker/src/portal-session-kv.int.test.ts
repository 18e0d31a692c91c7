import t from 'tap';
import { startNats } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { openPortalSessionKv } from './portal-session-kv.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'portal-session-kv-test' });
t.teardown(() => broker.close());

t.test('create once, compare-and-set, keys by prefix, purge', async (t) => {
  const kv = await openPortalSessionKv(broker, { replicas: 1, maxAgeMs: 7 * 86_400_000 });
  t.equal(await kv.create('s.a.1', { n: 1 }), true);
  t.equal(await kv.create('s.a.1', { n: 2 }), false, 'an existing key is not overwritten');
  const got = await kv.get('s.a.1');
  t.same(got?.value, { n: 1 });
  t.equal(await kv.update('s.a.1', { n: 3 }, got!.revision), true);
  t.equal(await kv.update('s.a.1', { n: 4 }, got!.revision), false, 'a stale revision is refused');
  t.same((await kv.get('s.a.1'))?.value, { n: 3 });
  await kv.create('s.a.2', {});
  await kv.create('s.b.1', {});
  await kv.create('t.x', {});
  t.same((await kv.keys('s.a.')).sort(), ['s.a.1', 's.a.2'], "one account's keys only");
  await kv.delete('s.a.1');
  t.equal(await kv.get('s.a.1'), null);
  t.same(await kv.keys('s.a.'), ['s.a.2'], 'a purged key is not listed');
  t.equal(await kv.create('s.a.1', { n: 5 }), true, 'a purged key can be created again');
});

t.test('the bucket keeps entries for the longest session, and follows a change of it', async (t) => {
  await openPortalSessionKv(broker, { replicas: 1, maxAgeMs: 3_600_000 });
  t.equal((await handlesOf(broker).jsm.streams.info('KV_hs_portal_sessions')).config.max_age, 3_600_000 * 1_000_000);
  await openPortalSessionKv(broker, { replicas: 1, maxAgeMs: 7_200_000 });
  t.equal((await handlesOf(broker).jsm.streams.info('KV_hs_portal_sessions')).config.max_age, 7_200_000 * 1_000_000);
});
