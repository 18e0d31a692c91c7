import t from 'tap';
import { StreamMissing, connectBroker, ensureTopology } from '@hookstream/broker';
import { CONFIG_BUCKET } from '@hookstream/contracts';
import { deleteStream, openRawBucket, publishRaw, startNats, streamMessages } from './index.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'testkit-broker' });
t.teardown(() => broker.close());
await ensureTopology(broker, { replicas: 1, duplicateWindowS: 60 });

t.test(
  'publishRaw stores bytes as given, headers and message id included; streamMessages reads them back',
  async (t) => {
    const first = await publishRaw(broker, 'hs.facts.attempt.acct', '{not json', {
      headers: { 'Hs-Test': 'yes' },
      msgId: 'raw-1',
    });
    t.equal(first.stream, 'HS_FACTS');
    t.equal(first.duplicate, false);
    t.equal(
      (await publishRaw(broker, 'hs.facts.attempt.acct', '{not json', { msgId: 'raw-1' })).duplicate,
      true,
      'the id dedupes',
    );
    await publishRaw(broker, 'hs.facts.routed.acct', new Uint8Array([1, 2, 3]));
    const stored = await streamMessages(broker, 'HS_FACTS');
    t.same(
      stored.map((m) => [m.seq, m.subject, Buffer.from(m.data).toString('hex')]),
      [
        [1, 'hs.facts.attempt.acct', Buffer.from('{not json').toString('hex')],
        [2, 'hs.facts.routed.acct', '010203'],
      ],
    );
    t.equal(stored[0]?.headers['Hs-Test'], 'yes');
    t.same(await streamMessages(broker, 'NO_SUCH_STREAM'), [], 'a missing stream has no messages');
  },
);

t.test('openRawBucket reads and writes values as stored, with every revision', async (t) => {
  const raw = await openRawBucket(broker, CONFIG_BUCKET);
  t.equal(await raw.get('account.a1'), null);
  await raw.put('account.a1', '{"v":1}');
  await raw.put('account.a1', '{"v":2}');
  t.equal(await raw.get('account.a1'), '{"v":2}');
  t.same(await raw.keys(), ['account.a1']);
  t.same(
    (await raw.history()).map((e) => [e.key, e.operation, e.value]),
    [
      ['account.a1', 'PUT', '{"v":1}'],
      ['account.a1', 'PUT', '{"v":2}'],
    ],
  );
});

t.test('deleteStream removes a stream', async (t) => {
  await deleteStream(broker, 'HS_ADVISORIES');
  await t.rejects(broker.streams.info('HS_ADVISORIES'), StreamMissing);
});
