import t from 'tap';
import { headers } from '@nats-io/transport-node';
import { startNats } from '@hookstream/testkit';
import { ConsumerMissing } from './admin.ts';
import { connectBroker, handlesOf, isServerAnswer } from './connection.ts';
import { StreamMissing } from './reader.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'ports-test' });
t.teardown(() => broker.close());
const { js, jsm } = handlesOf(broker);
await jsm.streams.add({ name: 'PT', subjects: ['pt.>'] });
const enc = new TextEncoder();
const dec = new TextDecoder();
const spec = (durable: string, filter?: string) => ({
  durable_name: durable,
  ack_policy: 'explicit' as const,
  deliver_policy: 'all' as const,
  max_deliver: 5,
  ...(filter ? { filter_subject: filter } : {}),
});

t.test('ConsumerAdmin: ensure creates, then updates only what differs', async (t) => {
  await broker.consumers.ensure('PT', spec('c1'));
  const first = await broker.consumers.info('PT', 'c1');
  t.equal(first.name, 'c1');
  t.equal(first.stream_name, 'PT');
  t.equal(first.config.max_deliver, 5);
  await broker.consumers.ensure('PT', { ...spec('c1'), max_deliver: 7 });
  t.equal((await broker.consumers.info('PT', 'c1')).config.max_deliver, 7, 'a changed setting is updated in place');
  await broker.consumers.ensure('PT', { ...spec('c1'), max_deliver: 7 });
  t.equal((await broker.consumers.list('PT')).length, 1, 'ensuring again adds no consumer');
});

t.test('ConsumerAdmin: info and delete of a missing consumer throw ConsumerMissing', async (t) => {
  const onInfo = await broker.consumers.info('PT', 'nobody').then(
    () => null,
    (err: unknown) => err,
  );
  t.ok(onInfo instanceof ConsumerMissing, 'info: ConsumerMissing');
  t.match(onInfo, { stream: 'PT', consumer: 'nobody' });
  t.ok(isServerAnswer(onInfo), 'an answer of the server, not a lost request');
  await t.rejects(broker.consumers.delete('PT', 'nobody'), ConsumerMissing, 'delete: ConsumerMissing');
  await t.rejects(
    broker.consumers.info('NO_SUCH_STREAM', 'c1'),
    ConsumerMissing,
    'a missing stream: the consumer is missing too',
  );
});

t.test('ConsumerAdmin: list names every consumer with its backlog; delete removes one', async (t) => {
  await broker.consumers.ensure('PT', spec('c2', 'pt.b.>'));
  await js.publish('pt.a.1', enc.encode('a1'));
  await js.publish('pt.b.1', enc.encode('b1'));
  await js.publish('pt.b.2', enc.encode('b2'));
  const listed = new Map((await broker.consumers.list('PT')).map((c) => [c.name, c]));
  t.same([...listed.keys()].sort(), ['c1', 'c2']);
  t.equal(listed.get('c1')?.num_pending, 3, 'c1 reads every subject');
  t.equal(listed.get('c2')?.num_pending, 2, 'c2 reads its filter only');
  t.equal(listed.get('c2')?.ack_floor.stream_seq, 0);
  await broker.consumers.delete('PT', 'c2');
  t.same(
    (await broker.consumers.list('PT')).map((c) => c.name),
    ['c1'],
  );
  t.same(await broker.consumers.list('NO_SUCH_STREAM'), [], 'a missing stream lists no consumer');
});

t.test('StreamReader: info, last sequence, get by sequence', async (t) => {
  const info = await broker.streams.info('PT');
  t.equal(info.config.name, 'PT');
  t.equal(info.state.messages, 3);
  t.equal(info.state.first_seq, 1);
  t.equal(info.state.last_seq, 3);
  t.equal(await broker.streams.lastSeq('PT'), 3);
  const bySubject = await broker.streams.info('PT', { subjects: 'pt.b.>' });
  t.same(bySubject.state.subjects, { 'pt.b.1': 1, 'pt.b.2': 1 }, 'counts per subject of the filter');
  await t.rejects(broker.streams.info('NO_SUCH_STREAM'), StreamMissing);
  await t.rejects(broker.streams.lastSeq('NO_SUCH_STREAM'), StreamMissing);
  await t.rejects(
    broker.streams.get('NO_SUCH_STREAM', 1),
    StreamMissing,
    'get: the stream missing is not a message missing',
  );
  await t.rejects(
    broker.streams.scan('NO_SUCH_STREAM', { filterSubject: '>', onBatch: async () => {} }),
    StreamMissing,
  );

  const hdrs = headers();
  hdrs.set('Hs-Test', 'yes');
  const ack = await js.publish('pt.c.1', enc.encode('c1'), { headers: hdrs });
  const m = await broker.streams.get('PT', ack.seq);
  t.equal(m?.seq, ack.seq);
  t.equal(m?.subject, 'pt.c.1');
  t.equal(m?.headers['Hs-Test'], 'yes');
  t.equal(dec.decode(m?.data), 'c1');
  t.ok(m && Math.abs(m.timestampMs - Date.now()) < 60_000, 'stored just now');
  t.equal(await broker.streams.get('PT', 999), null, 'a sequence never stored reads as none');
});

t.test('StreamReader: scan in batches, by subject and range; stop on request', async (t) => {
  for (let i = 0; i < 10; i++) await js.publish(`pt.s.${i % 2 === 0 ? 'even' : 'odd'}`, enc.encode(String(i)));
  const batches: string[][] = [];
  const all = await broker.streams.scan('PT', {
    filterSubject: 'pt.s.even',
    batch: 2,
    onBatch: async (ms) => {
      batches.push(ms.map((m) => dec.decode(m.data)));
    },
  });
  t.same(batches, [['0', '2'], ['4', '6'], ['8']], 'in order, at most a batch at a time, the filter only');
  t.equal(all.count, 5);
  t.equal(all.stopped, false);
  t.equal(all.lastSeq, (await broker.streams.lastSeq('PT')) - 1);

  const seen: string[] = [];
  const stopped = await broker.streams.scan('PT', {
    filterSubject: 'pt.s.>',
    batch: 3,
    onBatch: async (ms) => {
      seen.push(...ms.map((m) => dec.decode(m.data)));
      return false;
    },
  });
  t.same(seen, ['0', '1', '2']);
  t.equal(stopped.stopped, true);

  const from = await broker.streams.scan('PT', {
    filterSubject: 'pt.s.>',
    startSeq: all.lastSeq,
    onBatch: async () => {},
  });
  t.equal(from.count, 2, 'from a sequence to the end');
  const none = await broker.streams.scan('PT', {
    filterSubject: 'pt.nothing',
    onBatch: async () => t.fail('no batch'),
  });
  t.equal(none.count, 0);
});

t.test('StreamReader: first sequence at a time, purge a subject before a sequence', async (t) => {
  const before = await broker.streams.lastSeq('PT');
  await new Promise((r) => setTimeout(r, 20));
  const at = Date.now();
  await js.publish('pt.p.x', enc.encode('late'));
  t.equal(await broker.streams.firstSeqAtOrAfter('PT', 'pt.p.>', at), before + 1);
  t.equal(await broker.streams.firstSeqAtOrAfter('PT', 'pt.p.>', Date.now() + 60_000), null, 'none after the last');

  const evenBefore = (await broker.streams.info('PT', { subjects: 'pt.s.even' })).state.subjects?.['pt.s.even'];
  t.equal(evenBefore, 5);
  const purged = await broker.streams.purgeSubjectBefore('PT', 'pt.s.even', before);
  t.equal(purged, 5, 'the subject below the sequence goes');
  const after = await broker.streams.info('PT', { subjects: 'pt.s.>' });
  t.equal(after.state.subjects?.['pt.s.even'], undefined);
  t.equal(after.state.subjects?.['pt.s.odd'], 5, 'other subjects stay');
  t.equal(await broker.streams.purgeSubjectBefore('PT', 'pt.s.odd', 1), 0, 'nothing below sequence 1');
});
