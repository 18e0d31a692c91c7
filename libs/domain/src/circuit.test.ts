import t from 'tap';
import { createCircuit, deriveCircuit } from './circuit.ts';
import type { Circuit } from './circuit.ts';

function failTimes(c: Circuit, n: number, nowMs: number): void {
  for (let i = 0; i < n; i++) {
    c.canSend(nowMs);
    c.onFailure(nowMs);
  }
}

t.test('given a closed circuit', async (t) => {
  t.test('when fewer than 5 consecutive failures happen, then it stays closed', async (t) => {
    const c = createCircuit({ failureThreshold: 5, openMs: 30_000, halfOpenProbes: 1 });
    failTimes(c, 4, 0);
    t.equal(c.state, 'closed');
    t.equal(c.canSend(0), true);
    t.equal(c.retryAtMs, null);
  });
  t.test('when a success comes between failures, then the count starts over', async (t) => {
    const c = createCircuit({ failureThreshold: 5, openMs: 30_000 });
    failTimes(c, 4, 0);
    c.onSuccess(1);
    failTimes(c, 4, 2);
    t.equal(c.state, 'closed');
    t.equal(c.consecutiveFailures, 4);
  });
  t.test('when the 5th consecutive failure happens, then it opens until openMs has passed', async (t) => {
    const c = createCircuit({ failureThreshold: 5, openMs: 30_000 });
    failTimes(c, 5, 1_000);
    t.equal(c.state, 'open');
    t.equal(c.retryAtMs, 31_000);
    t.equal(c.canSend(30_999), false);
  });
});

t.test('given an open circuit', async (t) => {
  const opened = (): Circuit => {
    const c = createCircuit({ failureThreshold: 2, openMs: 1_000 });
    failTimes(c, 2, 0);
    return c;
  };
  t.test('when openMs has passed, then one probe goes through and the next request waits', async (t) => {
    const c = opened();
    t.equal(c.canSend(1_000), true);
    t.equal(c.state, 'half_open');
    t.equal(c.retryAtMs, null);
    t.equal(c.canSend(1_001), false);
  });
  t.test('when the probe succeeds, then it closes and openMs goes back to its base', async (t) => {
    const c = opened();
    c.canSend(1_000);
    c.onSuccess(1_100);
    t.equal(c.state, 'closed');
    t.equal(c.consecutiveFailures, 0);
    t.equal(c.canSend(1_101), true);
    failTimes(c, 2, 2_000);
    t.equal(c.retryAtMs, 3_000, 'base openMs again');
  });
  t.test('when probes keep failing, then it reopens with openMs doubling up to 10 minutes', async (t) => {
    const c = createCircuit({ failureThreshold: 1, openMs: 100_000, maxOpenMs: 600_000 });
    failTimes(c, 1, 0);
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      now = c.retryAtMs as number;
      t.equal(c.canSend(now), true, `probe ${i + 1} allowed`);
      c.onFailure(now);
      t.equal(c.state, 'open');
      waits.push((c.retryAtMs as number) - now);
    }
    t.same(waits, [200_000, 400_000, 600_000, 600_000, 600_000, 600_000]);
  });
  t.test('when late outcomes of earlier requests arrive, then they change nothing', async (t) => {
    const c = opened();
    c.onFailure(10);
    c.onSuccess(20);
    t.equal(c.state, 'open');
    t.equal(c.retryAtMs, 1_000);
  });
});

t.test('given a half-open circuit with 2 probes', async (t) => {
  t.test('when probing, then exactly two requests go through', async (t) => {
    const c = createCircuit({ failureThreshold: 1, openMs: 1_000, halfOpenProbes: 2 });
    failTimes(c, 1, 0);
    t.same([c.canSend(1_000), c.canSend(1_000), c.canSend(1_000)], [true, true, false]);
  });
});

t.test('given a probe that never reports back', async (t) => {
  t.test('when openMs passes after it started, then another probe is allowed', async (t) => {
    const c = createCircuit({ failureThreshold: 1, openMs: 1_000 });
    failTimes(c, 1, 0);
    t.equal(c.canSend(1_000), true);
    t.equal(c.canSend(1_999), false);
    t.equal(c.canSend(2_000), true);
    t.equal(c.state, 'half_open');
  });
});

t.test('given nonsense options, when created, then the defaults are used', async (t) => {
  const c = createCircuit({ failureThreshold: 0, openMs: -1, halfOpenProbes: Number.NaN });
  failTimes(c, 9, 0);
  t.equal(c.state, 'closed', 'the default threshold is 10 consecutive failures');
  c.canSend(0);
  c.onFailure(0);
  t.equal(c.state, 'open');
  t.equal(c.retryAtMs, 15_000, 'the default pause is 15 s');
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    const at = c.retryAtMs as number;
    c.canSend(at);
    c.onFailure(at);
    waits.push((c.retryAtMs as number) - at);
  }
  t.same(waits, [30_000, 60_000, 120_000, 120_000, 120_000], 'pauses double and stop growing at 2 min');
});

t.test('deriveCircuit: the circuit as recorded attempts show it', async (t) => {
  const now = 1_000_000;
  const base = { attempts: 20, failuresSinceSuccess: 0, lastErrorAtMs: null, lastSuccessAtMs: now - 1_000, nowMs: now };
  t.equal(
    deriveCircuit({ ...base, attempts: 0, lastSuccessAtMs: null }),
    null,
    'given no attempts and no failure on record, then unknown',
  );
  t.equal(deriveCircuit(base), 'closed', 'given only successes, then closed');
  t.equal(
    deriveCircuit({ ...base, failuresSinceSuccess: 9, lastErrorAtMs: now - 500 }),
    'closed',
    'given fewer failures since the last success than the threshold, then closed',
  );
  t.equal(
    deriveCircuit({ ...base, failuresSinceSuccess: 10, lastErrorAtMs: now - 500 }),
    'open',
    'given ten failures since it last succeeded, then open',
  );
  t.equal(
    deriveCircuit({ ...base, failuresSinceSuccess: 10, lastErrorAtMs: now - 500, lastSuccessAtMs: null }),
    'open',
    'also when it never succeeded',
  );
  t.equal(
    deriveCircuit({ ...base, failuresSinceSuccess: 10, lastErrorAtMs: now - 2_000, lastSuccessAtMs: now - 1_000 }),
    'closed',
    'given a success after the last failure, then closed',
  );
  t.equal(
    deriveCircuit({ ...base, failuresSinceSuccess: 10, lastErrorAtMs: now - 121_000, lastSuccessAtMs: null }),
    'half_open',
    'given failures but quiet for longer than the longest pause, then half open (the next attempt probes)',
  );
  t.equal(
    deriveCircuit(
      { ...base, failuresSinceSuccess: 3, lastErrorAtMs: now - 1, lastSuccessAtMs: null },
      { failureThreshold: 3 },
    ),
    'open',
    'the threshold is an option',
  );
});
