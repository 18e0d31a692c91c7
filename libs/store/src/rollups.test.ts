// The duration histogram of the rollups and the status classes, as given/when/then.
import t from 'tap';
import { HIST_BUCKETS, histBucket, histQuantile, statusClass } from './rollups.ts';

t.test('given durations, when bucketed, then each bucket spans a quarter of a doubling', async (t) => {
  t.equal(histBucket(0), 0);
  t.equal(histBucket(1), 0);
  t.equal(histBucket(2), 4, '2 ms ends bucket 4');
  t.equal(histBucket(2.01), 5);
  t.equal(histBucket(1024), 40);
  t.equal(histBucket(Number.NaN), 0, 'nonsense counts as instant, not as an error');
  t.equal(histBucket(10 * 60_000), HIST_BUCKETS - 1, 'beyond 131 s: the last bucket');
});

t.test('given a histogram, when a quantile is read, then it is within a bucket of the truth', async (t) => {
  const hist = new Array<number>(HIST_BUCKETS).fill(0);
  const durations = Array.from({ length: 1000 }, (_, i) => 1 + i); // 1 … 1000 ms
  for (const d of durations) (hist[histBucket(d)] as number) += 1;
  const p50 = histQuantile(hist, 0.5) as number;
  const p95 = histQuantile(hist, 0.95) as number;
  t.ok(Math.abs(p50 - 500) / 500 < 0.19, `p50 ${p50} near 500`);
  t.ok(Math.abs(p95 - 950) / 950 < 0.19, `p95 ${p95} near 950`);
  t.equal(histQuantile(new Array<number>(HIST_BUCKETS).fill(0), 0.5), null, 'empty: no figure');
  const one = new Array<number>(HIST_BUCKETS).fill(0);
  one[0] = 4;
  t.ok((histQuantile(one, 0.5) as number) <= 1, 'sub-millisecond answers stay under 1 ms');
});

t.test('given status codes, when classed, then 2xx … 5xx, and no answer is network', async (t) => {
  t.same([200, 204, 301, 404, 429, 500, 503, null, 0, 999].map(statusClass), [
    '2xx',
    '2xx',
    '3xx',
    '4xx',
    '4xx',
    '5xx',
    '5xx',
    'network',
    'network',
    'network',
  ]);
});
