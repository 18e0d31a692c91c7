// The payload validator's pool: answers in order of need, stops a costly validation with its
// worker and goes on with a fresh one, and answers what is still waiting when it closes.
import t from 'tap';
import { createPayloadValidator } from './payload-validator.ts';

const typed = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } };

// Every key tried against every pattern: far more than the test's short time limit.
const costly = () => {
  const patterns: Record<string, unknown> = {};
  for (let i = 0; i < 1000; i++) patterns[`^a${i}x\\d+$`] = { type: 'integer' };
  const payload: Record<string, number> = {};
  for (let i = 0; i < 60_000; i++) payload[`a999x${i}`] = 1;
  return { schema: { type: 'object', patternProperties: patterns, additionalProperties: false }, payload };
};

t.test('given more checks than workers, then each gets its own answer', async (t) => {
  const v = createPayloadValidator({ workers: 2 });
  t.teardown(() => v.close());
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => v.check(typed, i % 2 === 0 ? { id: i } : { id: `x${i}` }, 20)),
  );
  answers.forEach((a, i) =>
    t.same(
      a,
      i % 2 === 0 ? { ok: true } : { ok: false, kind: 'invalid', errors: ['payload.id must be integer'] },
      `check ${i}`,
    ),
  );
});

t.test(
  'given a validation past the time limit, then it answers too_costly and the checks after it still run',
  async (t) => {
    const v = createPayloadValidator({ workers: 1, timeoutMs: 300 });
    t.teardown(() => v.close());
    const { schema, payload } = costly();
    const [slow, after] = await Promise.all([v.check(schema, payload, 800_000), v.check(typed, { id: 1 }, 8)]);
    t.same(slow, { ok: false, kind: 'too_costly', reason: 'it took longer than 0.3 s' });
    t.same(after, { ok: true }, 'the job queued behind it ran on the replacement worker');
    t.same(await v.check(typed, {}, 2), {
      ok: false,
      kind: 'invalid',
      errors: ["payload must have required property 'id'"],
    });
  },
);

t.test('given a schema that cannot be compiled, then it is unusable, not a failure of the pool', async (t) => {
  const v = createPayloadValidator();
  t.teardown(() => v.close());
  const r = await v.check({ type: 'string', pattern: '(a)\\1' }, 'aa', 4);
  t.match(r, { ok: false, kind: 'unusable', reason: /not supported/ });
  t.same(await v.check(typed, { id: 2 }, 8), { ok: true });
});

t.test(
  'given checks still waiting, when the validator closes, then they are answered and later checks refused',
  async (t) => {
    const v = createPayloadValidator({ workers: 1, timeoutMs: 10_000 });
    const { schema, payload } = costly();
    const running = v.check(schema, payload, 800_000);
    const waiting = v.check(typed, { id: 1 }, 8);
    await new Promise((r) => setTimeout(r, 200));
    await v.close();
    t.match(await running, { ok: false, kind: 'too_costly', reason: /shutting down/ });
    t.match(await waiting, { ok: false, kind: 'too_costly', reason: /shutting down/ });
    await t.rejects(v.check(typed, { id: 1 }, 8), /closed/);
  },
);

t.test('given as many checks waiting as allowed, then the next answers busy at once', async (t) => {
  const v = createPayloadValidator({ workers: 1, timeoutMs: 300, maxWaiting: 1 });
  t.teardown(() => v.close());
  t.same(await v.check(typed, { id: 0 }, 8), { ok: true }, 'the worker is up');
  const { schema, payload } = costly();
  const running = v.check(schema, payload, 800_000); // goes to the idle worker at once
  const waiting = v.check(typed, { id: 1 }, 8);
  t.same(await v.check(typed, { id: 2 }, 8), { ok: false, kind: 'busy' });
  t.match(await running, { kind: 'too_costly' });
  t.same(await waiting, { ok: true });
});
