import t from 'tap';
import { createTokenBucket } from './token-bucket.ts';

t.test('given a bucket of 10/s with the default burst', async (t) => {
  t.test('when 10 requests come at once, then all go and the 11th waits 100 ms', async (t) => {
    const b = createTokenBucket(10);
    const waits = Array.from({ length: 11 }, () => b.take(0));
    t.same(waits.slice(0, 10), Array(10).fill(0));
    t.equal(waits[10], 100);
  });
  t.test('when a request is told to wait, then it spends nothing and goes once the wait is over', async (t) => {
    const b = createTokenBucket(10);
    for (let i = 0; i < 10; i++) b.take(0);
    t.equal(b.take(40), 60);
    t.equal(b.take(40), 60, 'asking again costs nothing');
    t.equal(b.take(100), 0);
    t.equal(b.take(100), 100);
  });
  t.test('when idle for long, then it refills only up to the burst', async (t) => {
    const b = createTokenBucket(10);
    b.take(0);
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (b.take(60_000) === 0) allowed++;
    t.equal(allowed, 10);
  });
});

t.test('given an explicit burst', async (t) => {
  t.test('when requests come at once, then exactly `burst` go through', async (t) => {
    const b = createTokenBucket(1, 3);
    t.same([b.take(0), b.take(0), b.take(0), b.take(0)], [0, 0, 0, 1000]);
    t.equal(b.burst, 3);
  });
});

t.test('given a fractional rate, when the token is spent, then the wait is rate-based', async (t) => {
  const b = createTokenBucket(0.5);
  t.equal(b.take(0), 0);
  t.equal(b.take(0), 2000);
  t.equal(b.take(1500), 500);
});

t.test('given a clock that steps back, when taking, then no tokens appear and the wait stays positive', async (t) => {
  const b = createTokenBucket(1, 1);
  t.equal(b.take(10_000), 0);
  t.equal(b.take(5_000), 1000);
  t.equal(b.take(10_500), 500);
});

t.test('given invalid arguments, when creating, then it throws a RangeError', async (t) => {
  t.throws(() => createTokenBucket(0), RangeError);
  t.throws(() => createTokenBucket(Number.NaN), RangeError);
  t.throws(() => createTokenBucket(5, 0.5), RangeError);
});
