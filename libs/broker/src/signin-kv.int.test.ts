import t from 'tap';
import { startNats } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { openSignInFailureKv } from './signin-kv.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'signin-kv-test' });
t.teardown(() => broker.close());

t.test('failures count per key, concurrently, until cleared', async (t) => {
  const a = await openSignInFailureKv(broker, { replicas: 1, windowMs: 60_000 });
  const b = await openSignInFailureKv(broker, { replicas: 1, windowMs: 60_000 });
  t.equal(await a.count('k1'), 0);
  await Promise.all([a.fail('k1'), b.fail('k1'), a.fail('k1'), b.fail('k1')]);
  t.equal(await b.count('k1'), 4, 'two copies failing at once both count');
  t.equal(await a.count('k2'), 0, 'keys are separate');
  await a.clear('k1');
  t.equal(await b.count('k1'), 0);
  t.equal(await b.fail('k1'), 1, 'counting starts again after a clear');
});

t.test('a counter ages out with the window', async (t) => {
  await handlesOf(broker).jsm.streams.delete('KV_hs_signin_failures');
  const kv = await openSignInFailureKv(broker, { replicas: 1, windowMs: 1_000 });
  await kv.fail('k3');
  t.equal(await kv.count('k3'), 1);
  await new Promise((r) => setTimeout(r, 2_500));
  t.equal(await kv.count('k3'), 0, 'gone after the window');
});
