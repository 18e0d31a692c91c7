import t from 'tap';
import { MIN_PULL_BYTES, PullWindow } from './window.ts';

const MB = 1024 * 1024;

t.test('given an empty window, the whole of it is asked for; then only once a quarter is free', async (t) => {
  const w = new PullWindow(64, 8 * MB);
  t.same(w.next(), { msgs: 64, bytes: 8 * MB });
  for (let i = 0; i < 60; i++) w.took(1_000);
  t.equal(w.next(), null, '4 of 64 free: not in drips');
  for (let i = 0; i < 12; i++) w.settled(1_000);
  t.same(w.next(), { msgs: 16, bytes: 8 * MB - 48_000 }, 'a quarter free: what is free');
  w.took(7 * MB);
  t.equal(w.next(), null, 'less than a quarter of the bytes free');
});

t.test('given a next message larger than what was left, the next pull waits for empty hands', async (t) => {
  const w = new PullWindow(64, 8 * MB);
  w.took(5 * MB);
  w.tooLarge();
  t.equal(w.next(), null, 'hands not empty: wait');
  w.settled(5 * MB);
  t.same(w.next(), { msgs: 64, bytes: 8 * MB }, 'empty: the whole window');
});

t.test(
  'given a message larger than the whole window, it comes alone, with more room each time it does not fit',
  async (t) => {
    const w = new PullWindow(64, 3 * MB);
    w.tooLarge();
    t.same(w.next(), { msgs: 1, bytes: MIN_PULL_BYTES }, 'one message, the largest a stream takes');
    w.tooLarge();
    t.same(w.next(), { msgs: 1, bytes: 2 * MIN_PULL_BYTES }, 'still too large: more');
    w.took(5 * MB);
    w.settled(5 * MB);
    t.same(w.next(), { msgs: 64, bytes: 3 * MB }, 'once it came, the window as before');
  },
);

t.test('given lost pulls, the byte window halves to a floor, and grows back by an eighth per good pull', async (t) => {
  const w = new PullWindow(64, 8 * MB);
  w.lost();
  t.equal(w.bytes, 4 * MB);
  for (let i = 0; i < 20; i++) w.lost();
  t.equal(w.bytes, 64 * 1024, 'never below 64 KB');
  w.wentWell();
  t.equal(w.bytes, 72 * 1024);
  for (let i = 0; i < 100; i++) w.wentWell();
  t.equal(w.bytes, 8 * MB, 'never above the configured window');
});

t.test('given no message bound (a capacity decides), the bytes alone limit', async (t) => {
  const w = new PullWindow(Number.POSITIVE_INFINITY, 4 * MB);
  w.took(1_000);
  const next = w.next();
  t.equal(next?.bytes, 4 * MB - 1_000);
  t.equal(next?.msgs, Number.POSITIVE_INFINITY, 'the capacity callback bounds the count');
});
