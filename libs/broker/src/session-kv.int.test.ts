import t from 'tap';
import { startNats } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { openConsoleSessionKv } from './session-kv.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'session-kv-test' });
t.teardown(() => broker.close());
const record = {
  account_id: 'a',
  api_key_id: 'k',
  created_at: '2026-01-01T00:00:00.000Z',
  last_seen_at: '2026-01-01T00:00:00.000Z',
};

t.test('put, get, compare-and-set update, purge', async (t) => {
  const kv = await openConsoleSessionKv(broker, { replicas: 1, idleMs: 3_600_000 });
  t.equal(await kv.get('s1'), null, 'nothing before a put');
  await kv.put('s1', record);
  const got = await kv.get('s1');
  t.same(got?.record, record);
  const touched = { ...record, last_seen_at: '2026-01-01T00:05:00.000Z' };
  t.equal(await kv.update('s1', touched, got!.revision), true, 'the revision last read: written');
  t.same((await kv.get('s1'))?.record, touched);
  t.equal(await kv.update('s1', record, got!.revision), false, 'a stale revision: refused');

  const before = await kv.get('s1');
  await kv.delete('s1');
  t.equal(await kv.get('s1'), null, 'gone');
  t.equal(
    await kv.update('s1', touched, before!.revision),
    false,
    'an update read before the delete does not bring it back',
  );
  t.equal(await kv.get('s1'), null);
  const info = await handlesOf(broker).jsm.streams.info('KV_hs_console_sessions');
  t.equal(info.state.messages, 1, 'a purge leaves only its marker: the record itself is dropped');
});

t.test('a stored value that is not a session reads as none', async (t) => {
  await openConsoleSessionKv(broker, { replicas: 1, idleMs: 3_600_000 });
  await handlesOf(broker).js.publish('$KV.hs_console_sessions.junk', new TextEncoder().encode('{"account_id": 1}'));
  await handlesOf(broker).js.publish('$KV.hs_console_sessions.notjson', new TextEncoder().encode('{'));
  const kv = await openConsoleSessionKv(broker, { replicas: 1, idleMs: 3_600_000 });
  t.equal(await kv.get('junk'), null);
  t.equal(await kv.get('notjson'), null);
});

t.test("a member's sessions are found and removed through the member index", async (t) => {
  const kv = await openConsoleSessionKv(broker, { replicas: 1, idleMs: 3_600_000 });
  const mine = { ...record, api_key_id: '', member_id: 'm-1' };
  for (const key of ['aa01', 'aa02']) {
    await kv.put(key, mine);
    await kv.indexByMember('m-1', key);
  }
  await kv.put('bb01', { ...mine, member_id: 'm-2' });
  await kv.indexByMember('m-2', 'bb01');
  t.equal(await kv.deleteForMember('m-1'), 2);
  t.equal(await kv.get('aa01'), null);
  t.equal(await kv.get('aa02'), null);
  t.same((await kv.get('bb01'))?.record, { ...mine, member_id: 'm-2' }, 'another member keeps theirs');
  t.equal(await kv.deleteForMember('m-1'), 0, 'nothing left to find');
});
