import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import {
  DEFAULT_RETRY_POLICY,
  EXPONENTIAL_CAP_MS,
  MAX_DELAY_MS,
  TWO_PHASE,
  TWO_PHASE_DELAYS_MS,
  baseDelayMs,
  retryDelayMs,
  validateRetryPolicy,
} from './retry.ts';
import type { RetryPolicy } from './retry.ts';

function holds<Ts>(tt: Test, property: fc.IProperty<Ts>): void {
  const details = fc.check(property, { numRuns: 500 });
  tt.equal(details.failed, false, fc.defaultReportMessage(details) ?? 'property holds');
}

const mid = (): number => 0.5; // jitter factor 1: the base delay
const low = (): number => 0; // the bottom of the jitter band
const high = (): number => 0.999999; // the top of the jitter band

t.test('given the default policy', async (t) => {
  t.test('when read, then it is 5 attempts of exponential backoff with ±20% jitter', async (t) => {
    t.same(DEFAULT_RETRY_POLICY, { max_attempts: 5, backoff: 'exponential', jitter: 0.2 });
    t.equal(validateRetryPolicy(DEFAULT_RETRY_POLICY), null);
  });
  t.test('when attempts 1..4 fail, then the base delays are 10 s, 40 s, 160 s, 640 s', async (t) => {
    t.same(
      [1, 2, 3, 4].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, mid)),
      [10_000, 40_000, 160_000, 640_000],
    );
  });
  t.test('when jitter is drawn at either end, then the delay moves by 20% each way', async (t) => {
    t.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 1, low), 8_000);
    t.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 1, high), 12_000);
  });
  t.test('when a policy allows many attempts, then exponential delays stop growing at the cap', async (t) => {
    t.equal(baseDelayMs({ max_attempts: 50 }, 49), EXPONENTIAL_CAP_MS);
    t.equal(baseDelayMs({ max_attempts: 50 }, 5000), EXPONENTIAL_CAP_MS);
  });
});

t.test('given the two-phase preset', async (t) => {
  t.test(
    'when read, then it has 12 attempts: 5 fast delays (seconds to minutes) and 6 slow ones (hours)',
    async (t) => {
      t.equal(TWO_PHASE.max_attempts, 12);
      t.equal(TWO_PHASE.backoff, 'two_phase');
      t.same(TWO_PHASE_DELAYS_MS, [5e3, 15e3, 30e3, 60e3, 120e3, 900e3, 1800e3, 3600e3, 7200e3, 14400e3, 28800e3]);
      t.equal(validateRetryPolicy(TWO_PHASE), null);
    },
  );
  t.test('when each attempt fails, then the delays follow the table and the last one repeats', async (t) => {
    const policy: RetryPolicy = { ...TWO_PHASE, jitter: 0 };
    t.same(
      TWO_PHASE_DELAYS_MS.map((_, i) => retryDelayMs(policy, i + 1, mid)),
      TWO_PHASE_DELAYS_MS,
    );
    t.equal(retryDelayMs(policy, 30, mid), 8 * 3_600_000);
  });
});

t.test('given explicit delays_ms', async (t) => {
  const policy: RetryPolicy = { max_attempts: 6, delays_ms: [1000, 2000, 3000], backoff: 'two_phase', jitter: 0 };
  t.test('when attempts fail, then delays_ms wins over backoff and its last entry repeats', async (t) => {
    t.same(
      [1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n, mid)),
      [1000, 2000, 3000, 3000, 3000],
    );
  });
  t.test('when jitter is set, then it applies to them too', async (t) => {
    t.equal(retryDelayMs({ ...policy, jitter: 0.5 }, 1, low), 500);
    t.equal(retryDelayMs({ ...policy, jitter: 0.5 }, 1, high), 1500);
  });
  t.test('when a delay is 0, then the retry is immediate', async (t) => {
    t.equal(retryDelayMs({ max_attempts: 2, delays_ms: [0] }, 1, high), 0);
  });
});

t.test('given odd inputs, when computing a delay, then it stays a non-negative integer', async (t) => {
  t.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 0, mid), 10_000, 'attempt 0 is treated as 1');
  t.equal(retryDelayMs(DEFAULT_RETRY_POLICY, Number.NaN, mid), 10_000);
  t.equal(
    retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => Number.NaN),
    10_000,
    'a broken random is the middle',
  );
  t.equal(
    retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 7),
    12_000,
    'random is clamped',
  );
  t.equal(retryDelayMs({ max_attempts: 3, delays_ms: [-5] }, 1, mid), 0);
  t.equal(retryDelayMs({ max_attempts: 3, delays_ms: [Number.NaN] }, 1, mid), 10_000);
});

t.test('given policies to validate', async (t) => {
  t.test('when they are well formed, then there is no error', async (t) => {
    for (const p of [
      { max_attempts: 1 },
      { max_attempts: 50, delays_ms: [0, MAX_DELAY_MS] },
      { max_attempts: 3, backoff: 'two_phase', retry_on_4xx: true, jitter: 0 },
      { max_attempts: 3, jitter: 1 },
    ]) {
      t.equal(validateRetryPolicy(p), null, JSON.stringify(p));
    }
  });
  t.test('when a field is out of range or of the wrong type, then the message names it', async (t) => {
    const bad: [unknown, RegExp][] = [
      [null, /must be an object/],
      [[], /must be an object/],
      [{}, /max_attempts/],
      [{ max_attempts: 0 }, /max_attempts/],
      [{ max_attempts: 51 }, /max_attempts/],
      [{ max_attempts: 2.5 }, /max_attempts/],
      [{ max_attempts: '5' }, /max_attempts/],
      [{ max_attempts: 5, delays_ms: [] }, /delays_ms/],
      [{ max_attempts: 5, delays_ms: [-1] }, /delays_ms/],
      [{ max_attempts: 5, delays_ms: [MAX_DELAY_MS + 1] }, /delays_ms/],
      [{ max_attempts: 5, delays_ms: [1.5] }, /delays_ms/],
      [{ max_attempts: 5, delays_ms: 'x' }, /delays_ms/],
      [{ max_attempts: 5, backoff: 'linear' }, /backoff/],
      [{ max_attempts: 5, retry_on_4xx: 'yes' }, /retry_on_4xx/],
      [{ max_attempts: 5, jitter: 1.5 }, /jitter/],
      [{ max_attempts: 5, jitter: Number.NaN }, /jitter/],
      [{ max_attempts: 5, max_attempt: 3 }, /unknown field "max_attempt"/],
    ];
    for (const [p, msg] of bad) t.match(validateRetryPolicy(p), msg, JSON.stringify(p));
  });
});

t.test('properties', async (t) => {
  const policy = fc.record(
    {
      max_attempts: fc.integer({ min: 1, max: 50 }),
      delays_ms: fc.array(fc.integer({ min: 0, max: MAX_DELAY_MS }), { minLength: 1, maxLength: 50 }),
      backoff: fc.constantFrom('exponential' as const, 'two_phase' as const),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ['max_attempts'] },
  );
  t.test(
    'given any valid policy, attempt and random draw, then the delay is an integer within the jitter band',
    async (t) => {
      holds(
        t,
        fc.property(
          policy,
          fc.integer({ min: 1, max: 60 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (p, n, r) => {
            const base = baseDelayMs(p, n);
            const jitter = p.jitter ?? 0.2;
            const d = retryDelayMs(p, n, () => r);
            return (
              validateRetryPolicy(p) === null &&
              Number.isInteger(d) &&
              d >= 0 &&
              d >= Math.floor(base * (1 - jitter)) &&
              d <= Math.ceil(base * (1 + jitter))
            );
          },
        ),
      );
    },
  );
});
