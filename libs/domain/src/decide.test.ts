import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import { decide, parseHttpDate, parseRetryAfter } from './decide.ts';
import type { AttemptResult } from './decide.ts';
import { DEFAULT_RETRY_POLICY } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

function holds<Ts>(tt: Test, property: fc.IProperty<Ts>): void {
  const details = fc.check(property, { numRuns: 1000 });
  tt.equal(details.failed, false, fc.defaultReportMessage(details) ?? 'property holds');
}

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const mid = (): number => 0.5;
const policy: RetryPolicy = DEFAULT_RETRY_POLICY;

const http = (statusCode: number, retryAfter: string | null = null): AttemptResult => ({
  ok: statusCode >= 200 && statusCode <= 299,
  statusCode,
  errorClass: null,
  retryAfter,
});
const failed = (errorClass: string): AttemptResult => ({ ok: false, statusCode: null, errorClass, retryAfter: null });

t.test('given a 2xx answer, when deciding, then the delivery is delivered on any attempt', async (t) => {
  for (const s of [200, 201, 202, 204, 299])
    t.same(decide(http(s), 1, policy, NOW, mid), { action: 'delivered' }, String(s));
  t.same(decide(http(200), 99, policy, NOW, mid), { action: 'delivered' }, 'even past max_attempts');
});

t.test('given a retryable failure on an early attempt', async (t) => {
  t.test('when the answer is 5xx, 408 or 429, then it retries with the policy delay', async (t) => {
    for (const s of [500, 502, 503, 504, 599, 408, 429]) {
      t.same(
        decide(http(s), 1, policy, NOW, mid),
        { action: 'retry', delayMs: 10_000, reason: `http ${s}` },
        String(s),
      );
    }
    t.same(decide(http(500), 3, policy, NOW, mid), { action: 'retry', delayMs: 160_000, reason: 'http 500' });
  });
  t.test('when the transport failed with a retryable class, then it retries', async (t) => {
    for (const c of ['timeout', 'connect', 'dns', 'tls', 'protocol']) {
      t.same(decide(failed(c), 2, policy, NOW, mid), { action: 'retry', delayMs: 40_000, reason: c }, c);
    }
  });
  t.test('when the error class is unknown or missing, then it retries rather than lose the delivery', async (t) => {
    t.match(decide(failed('something_new'), 1, policy, NOW, mid), { action: 'retry', reason: 'something_new' });
    t.match(decide({ ok: false, statusCode: null, errorClass: null, retryAfter: null }, 1, policy, NOW, mid), {
      action: 'retry',
    });
  });
});

t.test('given a failure that no retry can fix', async (t) => {
  t.test('when the address guard blocked the destination, then it is dead at once', async (t) => {
    t.same(decide(failed('blocked_address'), 1, policy, NOW, mid), {
      action: 'dead',
      reason: 'blocked_address (not retryable)',
      code: 'not_retryable',
    });
  });
  t.test('when the answer is another 4xx, then it is dead at once', async (t) => {
    for (const s of [400, 401, 403, 404, 410, 422])
      t.match(decide(http(s), 1, policy, NOW, mid), { action: 'dead', code: 'not_retryable' }, String(s));
  });
  t.test('when the policy retries 4xx, then a 404 retries', async (t) => {
    t.match(decide(http(404), 1, { ...policy, retry_on_4xx: true }, NOW, mid), { action: 'retry', delayMs: 10_000 });
  });
  t.test(
    'when the answer is a redirect, then it is dead even with retry_on_4xx (redirects are not followed)',
    async (t) => {
      t.match(decide(http(301), 1, policy, NOW, mid), { action: 'dead', reason: 'http 301 (not retryable)' });
      t.match(decide(http(302), 1, { ...policy, retry_on_4xx: true }, NOW, mid), { action: 'dead' });
    },
  );
});

t.test('given the last allowed attempt', async (t) => {
  t.test('when it fails retryably, then the delivery is dead and the reason says it is exhausted', async (t) => {
    t.same(decide(http(503), 5, policy, NOW, mid), {
      action: 'dead',
      reason: 'exhausted after 5 attempts (last: http 503)',
      code: 'exhausted',
    });
    t.match(decide(failed('timeout'), 1, { max_attempts: 1 }, NOW, mid), {
      action: 'dead',
      code: 'exhausted',
      reason: /^exhausted after 1 attempt \(/,
    });
  });
  t.test('when a crash redelivered it past the limit, then it is still dead', async (t) => {
    t.match(decide(http(500), 7, policy, NOW, mid), { action: 'dead', reason: /exhausted after 7 attempts/ });
  });
});

t.test('given Retry-After on a 429 or 503', async (t) => {
  t.test('when it is in seconds, then it replaces the computed delay', async (t) => {
    t.same(decide(http(429, '120'), 1, policy, NOW, mid), {
      action: 'retry',
      delayMs: 120_000,
      reason: 'http 429 (retry-after)',
    });
    t.match(decide(http(503, '7'), 1, policy, NOW, mid), { action: 'retry', delayMs: 7_000 });
  });
  t.test('when it is an HTTP-date, then the delay is the time until then', async (t) => {
    t.match(decide(http(503, 'Mon, 23 Nov 2026 12:05:00 GMT'), 1, policy, NOW, mid), {
      action: 'retry',
      delayMs: 300_000,
    });
  });
  t.test('when it is too short or too long, then it is clamped to 1 s .. 1 h, or to the given bounds', async (t) => {
    t.match(decide(http(429, '0'), 1, policy, NOW, mid), { delayMs: 1_000 });
    t.match(decide(http(429, 'Sun, 01 Jan 2006 00:00:00 GMT'), 1, policy, NOW, mid), { delayMs: 1_000 }, 'a past date');
    t.match(decide(http(429, '86400'), 1, policy, NOW, mid), { delayMs: 3_600_000 });
    t.match(decide(http(429, '86400'), 1, policy, NOW, mid, { maxRetryAfterMs: 60_000 }), { delayMs: 60_000 });
    t.match(decide(http(429, '1'), 1, policy, NOW, mid, { minRetryAfterMs: 5_000 }), { delayMs: 5_000 });
  });
  t.test('when it is malformed, then the policy delay is used', async (t) => {
    t.same(decide(http(429, 'soon'), 1, policy, NOW, mid), { action: 'retry', delayMs: 10_000, reason: 'http 429' });
  });
  t.test('when the status is another retryable one, then Retry-After is ignored', async (t) => {
    t.match(decide(http(500, '120'), 1, policy, NOW, mid), { delayMs: 10_000 });
  });
  t.test('when it is the last attempt, then the delivery is still dead', async (t) => {
    t.match(decide(http(429, '1'), 5, policy, NOW, mid), { action: 'dead', code: 'exhausted' });
  });
});

t.test('given Retry-After values to parse', async (t) => {
  t.test('when they are delta-seconds, then they become milliseconds', async (t) => {
    t.equal(parseRetryAfter('0', NOW), 0);
    t.equal(parseRetryAfter(' 30 ', NOW), 30_000);
  });
  t.test('when they are any of the three HTTP-date forms, then they give the time until that date', async (t) => {
    const at = Date.UTC(2026, 10, 23, 12, 1, 0);
    t.equal(parseHttpDate('Mon, 23 Nov 2026 12:01:00 GMT', NOW), at, 'IMF-fixdate');
    t.equal(parseHttpDate('Monday, 23-Nov-26 12:01:00 GMT', NOW), at, 'RFC 850');
    t.equal(parseHttpDate('Mon Nov 23 12:01:00 2026', NOW), at, 'asctime');
    t.equal(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW), Date.UTC(1994, 10, 6, 8, 49, 37), 'asctime, one-digit day');
    t.equal(parseRetryAfter('Mon, 23 Nov 2026 12:01:00 GMT', NOW), 60_000);
  });
  t.test('when an RFC 850 year would be more than 50 years ahead, then it is read as the past century', async (t) => {
    t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), Date.UTC(1994, 10, 6, 8, 49, 37));
  });
  t.test('when the date is past, then the wait is 0', async (t) => {
    t.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 0);
  });
  t.test('when they are malformed, then the answer is null', async (t) => {
    for (const v of [
      null,
      undefined,
      '',
      ' ',
      '-1',
      '1.5',
      '5s',
      '2026-11-23T12:00:00Z',
      'Mon, 31 Feb 2026 12:00:00 GMT',
      'Mon, 23 Nov 2026 25:00:00 GMT',
      'Mon, 23 Nov 2026 12:01:00 UTC',
    ]) {
      t.equal(parseRetryAfter(v, NOW), null, String(v));
    }
  });
});

t.test('properties of decide', async (t) => {
  const result = fc.record({
    ok: fc.boolean(),
    statusCode: fc.option(fc.integer({ min: 100, max: 599 })),
    errorClass: fc.option(fc.constantFrom('timeout', 'connect', 'dns', 'tls', 'protocol', 'blocked_address', 'weird')),
    retryAfter: fc.option(
      fc.oneof(
        fc.string(),
        fc.nat().map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      ),
    ),
  });
  const anyPolicy = fc.record(
    {
      max_attempts: fc.integer({ min: 1, max: 50 }),
      delays_ms: fc.array(fc.integer({ min: 0, max: 7 * 86_400_000 }), { minLength: 1, maxLength: 5 }),
      backoff: fc.constantFrom('exponential' as const, 'two_phase' as const),
      retry_on_4xx: fc.boolean(),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ['max_attempts'] },
  );
  const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  t.test('given any outcome, policy and attempt, then it never retries at or past max_attempts', async (t) => {
    holds(
      t,
      fc.property(result, anyPolicy, fc.integer({ min: 1, max: 80 }), draw, (r, p, n, u) => {
        const d = decide(r, n, p, NOW, () => u);
        return d.action !== 'retry' || n < p.max_attempts;
      }),
    );
  });
  t.test('given any outcome, then a retry delay is a non-negative finite number', async (t) => {
    holds(
      t,
      fc.property(result, anyPolicy, fc.integer({ min: 1, max: 80 }), draw, (r, p, n, u) => {
        const d = decide(r, n, p, NOW, () => u);
        return d.action !== 'retry' || (Number.isFinite(d.delayMs) && d.delayMs >= 0);
      }),
    );
  });
  t.test(
    'given a 2xx, then it is always delivered; given blocked_address without a 2xx, then always dead',
    async (t) => {
      holds(
        t,
        fc.property(result, anyPolicy, fc.integer({ min: 1, max: 80 }), (r, p, n) => {
          const d = decide(r, n, p, NOW, mid);
          const s = r.statusCode;
          if (s !== null && s >= 200 && s < 300) return d.action === 'delivered';
          if (r.errorClass === 'blocked_address') return d.action === 'dead';
          return true;
        }),
      );
    },
  );
});
