import t from 'tap';
import { headers } from '@nats-io/transport-node';
import { startNats } from '@hookstream/testkit';
import { connectBroker, handlesOf } from './connection.ts';
import { NoStream, PubAcks, PublishRefused, PublishTimeout, pubAcksOf } from './pubacks.ts';

const server = await startNats(t);
const broker = await connectBroker({ servers: server.url, name: 'pubacks-test' });
t.teardown(() => broker.close());
await handlesOf(broker).jsm.streams.add({ name: 'PA', subjects: ['pa.>'], duplicate_window: 60_000_000_000 });
await handlesOf(broker).jsm.streams.add({ name: 'PA_SMALL', subjects: ['small.>'], max_msg_size: 64 });
const acks = pubAcksOf(handlesOf(broker).nc);
const enc = new TextEncoder();

t.test('one PubAcks per connection', async (t) => {
  t.equal(pubAcksOf(handlesOf(broker).nc), acks);
});

t.test('a stored message resolves with its stream and sequence; its headers and id are kept', async (t) => {
  const h = headers();
  h.set('Hs-Test', 'yes');
  h.set('Nats-Msg-Id', 'm-1');
  const first = await acks.publish('pa.one', enc.encode('hello'), h, 5_000);
  t.same(first, { stream: 'PA', seq: 1, duplicate: false });
  const again = await acks.publish('pa.one', enc.encode('hello'), h, 5_000);
  t.same(again, { stream: 'PA', seq: 1, duplicate: true }, 'the same id within the window is a duplicate of the first');
  const stored = await broker.streams.get('PA', 1);
  t.equal(stored?.headers['Hs-Test'], 'yes');
  t.equal(Buffer.from(stored?.data ?? []).toString(), 'hello');
  t.equal(acks.pending, 0);
});

t.test('many at once: each resolves with its own sequence', async (t) => {
  const before = (await handlesOf(broker).jsm.streams.info('PA')).state.last_seq;
  const stored = await Promise.all(
    Array.from({ length: 500 }, (_, i) => acks.publish('pa.many', enc.encode(String(i)), undefined, 5_000)),
  );
  t.same(
    stored.map((s) => s.seq).sort((a, b) => a - b),
    Array.from({ length: 500 }, (_, i) => before + 1 + i),
  );
  t.equal(acks.pending, 0);
});

t.test('no stream for the subject: rejected at once', async (t) => {
  await t.rejects(acks.publish('nowhere.at.all', enc.encode('x'), undefined, 5_000), NoStream);
  t.equal(acks.pending, 0);
});

t.test('a message the stream refuses: rejected with the server description', async (t) => {
  const err = await acks.publish('small.big', new Uint8Array(1_000), undefined, 5_000).catch((e: unknown) => e);
  t.ok(err instanceof PublishRefused, String(err));
  t.match((err as PublishRefused).message, /size/i);
  t.equal(acks.pending, 0);
});

t.test('no acknowledgement in time: rejected with a timeout, the wait forgotten', async (t) => {
  // A plain subscriber answers nothing: no "no responders" either.
  const silent = handlesOf(broker).nc.subscribe('silent.>');
  t.teardown(() => silent.unsubscribe());
  await handlesOf(broker).nc.flush();
  const started = Date.now();
  await t.rejects(acks.publish('silent.one', enc.encode('x'), undefined, 300), PublishTimeout);
  t.ok(Date.now() - started >= 300, 'not before the timeout');
  t.equal(acks.pending, 0);
});

t.test('a closed connection rejects what still waits', async (t) => {
  const other = await connectBroker({ servers: server.url, name: 'pubacks-close' });
  const silent = handlesOf(other).nc.subscribe('silent.>');
  await handlesOf(other).nc.flush();
  const mine = new PubAcks(handlesOf(other).nc);
  const waiting = mine.publish('silent.two', enc.encode('x'), undefined, 60_000);
  silent.unsubscribe();
  await handlesOf(other).nc.close();
  await t.rejects(waiting, /closed/);
  t.equal(mine.pending, 0);
});
