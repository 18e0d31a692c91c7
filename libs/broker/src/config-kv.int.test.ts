import t from 'tap';
import { startNats } from '@hookstream/testkit';
import { connectBroker } from './connection.ts';
import { openConfigKv } from './config-kv.ts';
import { ensureTopology } from './topology.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'config-kv-test' });
t.teardown(() => broker.close());
await ensureTopology(broker, { replicas: 1, duplicateWindowS: 60 });
const kv = await openConfigKv(broker);
const account = (name: string) => ({ id: 'a1', name, plan: 'free', created_at: '2026-01-01T00:00:00.000Z' }) as never;

t.test('create refuses an existing key; update refuses a stale revision', async (t) => {
  const first = await kv.create('account', 'a1', account('one'));
  t.type(first, 'number', 'created');
  t.equal(await kv.create('account', 'a1', account('two')), null, 'the key exists: refused, not thrown');
  t.equal(((await kv.get('account', 'a1'))?.record as { name: string }).name, 'one', 'the first value stays');

  const next = await kv.update('account', 'a1', account('three'), first as number);
  t.type(next, 'number', 'the revision last seen: written');
  t.equal(await kv.update('account', 'a1', account('four'), first as number), null, 'a stale revision: refused');
  t.equal(((await kv.get('account', 'a1'))?.record as { name: string }).name, 'three');

  await kv.delete('account', 'a1');
  t.type(await kv.create('account', 'a1', account('again')), 'number', 'a deleted key can be created again');
});
