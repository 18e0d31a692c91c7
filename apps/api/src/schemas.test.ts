// The event-type schema cache: bounded (its Ajv instance is replaced when full) and still right
// after the replacement.
import t from 'tap';
import { MAX_DETAILED_PAYLOAD_BYTES, checkJsonSchema, payloadErrors } from './schemas.ts';

const schemaN = (n: number) => ({
  type: 'object',
  required: [`f${n}`],
  properties: { [`f${n}`]: { type: 'integer' } },
});

t.test(
  'given more distinct schemas than the cache holds, when each is used, then every one still validates correctly',
  async (t) => {
    const first = schemaN(0);
    t.same(payloadErrors(first, { f0: 1 }), [], 'valid payload passes');
    for (let n = 1; n <= 2_500; n++) t.equal(checkJsonSchema(schemaN(n)), null);
    // schema 0 was compiled by an instance that has since been replaced: it is compiled again.
    t.same(payloadErrors(first, { f0: 1 }), []);
    t.match(payloadErrors(first, { f0: 'x' }), ['payload.f0 must be integer']);
    t.match(payloadErrors(schemaN(2_500), {}), [/must have required property 'f2500'/]);
  },
);

t.test('given an unusable schema, then checkJsonSchema says why and nothing is cached for it', async (t) => {
  t.match(checkJsonSchema({ type: 'nonsense' }), /type/);
  t.throws(() => payloadErrors({ type: 'nonsense' }, {}));
});

// Inputs long enough that a backtracking engine would not finish them within the test's timeout
// (`^(a+)+$` against 30 characters already took seconds on one): finishing is the assertion.
const N = 100_000;
const catastrophic: Array<{ pattern: string; input: string; matches: boolean }> = [
  { pattern: '^(a+)+$', input: `${'a'.repeat(N)}!`, matches: false },
  { pattern: '^(a|a)*$', input: `${'a'.repeat(N)}!`, matches: false },
  { pattern: '^(a|aa)+$', input: `${'a'.repeat(N)}!`, matches: false },
  { pattern: '^(.*a){12}$', input: 'a'.repeat(N) + 'b', matches: false },
  { pattern: '(x+x+)+y', input: 'x'.repeat(N), matches: false },
  { pattern: '^(\\w+\\s?)*$', input: `${'word '.repeat(N / 5)}!`, matches: false },
  { pattern: '^(a+)+$', input: 'a'.repeat(N), matches: true },
];

t.test(
  'given a schema with a catastrophic pattern, when a long adversarial string is validated, then it finishes with the right answer',
  async (t) => {
    for (const c of catastrophic) {
      const schema = { type: 'object', properties: { s: { type: 'string', pattern: c.pattern } } };
      t.equal(checkJsonSchema(schema), null, `${c.pattern} is accepted`);
      const errs = payloadErrors(schema, { s: c.input });
      t.equal(errs.length === 0, c.matches, `${c.pattern} on ${c.input.length} characters`);
      if (!c.matches) t.match(errs[0], /payload\.s must match pattern/);
    }
  },
);

t.test(
  'given patternProperties and propertyNames with catastrophic patterns, then long keys are checked in linear time',
  async (t) => {
    const key = `${'a'.repeat(N)}!`;
    const pp = { type: 'object', patternProperties: { '^(a+)+$': { type: 'integer' } }, additionalProperties: false };
    t.match(
      payloadErrors(pp, { [key]: 1 }),
      [/must NOT have additional properties/],
      'the key does not match the pattern',
    );
    t.same(payloadErrors(pp, { [key.slice(0, -1)]: 1 }), [], 'a matching key is checked against its subschema');
    t.match(payloadErrors(pp, { [key.slice(0, -1)]: 'x' }), [/must be integer/]);
    const names = { type: 'object', propertyNames: { pattern: '^(a|aa)+$' } };
    t.match(payloadErrors(names, { [key]: 1 }), [/must match pattern/]);
  },
);

t.test('given ordinary patterns, then they accept and reject as ECMAScript patterns do', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['^[a-z]+@[a-z]+\\.com$', 'ann@example.com', true],
    ['^[a-z]+@[a-z]+\\.com$', 'ann@example.org', false],
    ['^\\d{3}-\\d{4}$', '555-1234', true],
    ['^\\d{3}-\\d{4}$', '555-12345', false],
    ['^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$', '2026-12', true],
    ['^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$', '2026-13', false],
    ['ord', 'a word here', true], // unanchored: found anywhere, as JSON Schema says
    ['^\\p{Lu}\\p{Ll}+$', 'Émile', true],
    ['^\\p{Lu}\\p{Ll}+$', 'émile', false],
    ['^[^\\s]+$', 'no-space', true],
    ['^[^\\s]+$', 'a space', false],
    ['^\\u00e9+$', 'ééé', true],
  ];
  for (const [pattern, value, ok] of cases) {
    const errs = payloadErrors({ type: 'string', pattern }, value);
    t.equal(errs.length === 0, ok, `${pattern} on ${JSON.stringify(value)}`);
    t.equal(new RegExp(pattern, 'u').test(value), ok, 'the same answer as a JavaScript RegExp');
  }
});

t.test(
  'given a pattern RE2 cannot run (backreference, lookaround), then the schema is refused, naming the pattern',
  async (t) => {
    for (const pattern of ['^(a)\\1$', '^(?=a)a$', '^(?!a)b$', '(?<=a)b', '(?<!a)b']) {
      const problem = checkJsonSchema({ type: 'object', properties: { s: { type: 'string', pattern } } });
      t.ok(problem?.includes(JSON.stringify(pattern)), `${pattern}: ${problem}`);
      t.match(problem, /linear-time engine/);
    }
    const pp = checkJsonSchema({ type: 'object', patternProperties: { '^(x)\\1$': { type: 'string' } } });
    t.ok(pp?.startsWith('pattern "^(x)\\\\1$" is not supported'), `patternProperties: ${pp}`);
  },
);

t.test(
  'given uniqueItems on a long array of distinct objects, then it is checked without comparing every pair',
  async (t) => {
    const schema = { type: 'array', uniqueItems: true };
    // 200 000 distinct objects: pairwise comparison would be 2·10¹⁰ deep comparisons.
    const items = Array.from({ length: 200_000 }, (_, i) => ({ id: i, tags: ['x'] }));
    t.same(payloadErrors(schema, items), []);
    items.push({ tags: ['x'], id: 7 }); // the same value as item 7, keys in another order
    t.match(payloadErrors(schema, items), ['payload must NOT have duplicate items']);
    t.same(payloadErrors(schema, [1, '1', [1], { a: 1 }, null, true]), [], 'values of different types are distinct');
    t.match(payloadErrors(schema, [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }]), [/duplicate/]);
    t.same(payloadErrors({ type: 'array', uniqueItems: false }, [1, 1]), []);
  },
);

t.test('given an invalid payload, then several errors are listed while that stays cheap, else the first', async (t) => {
  const schema = {
    type: 'object',
    required: ['id', 'amount'],
    properties: { id: { type: 'string' }, amount: { type: 'integer' }, n: { type: 'integer' } },
  };
  t.same(payloadErrors(schema, { n: 'x' }), [
    "payload must have required property 'id'",
    "payload must have required property 'amount'",
    'payload.n must be integer',
  ]);
  t.same(
    payloadErrors(schema, { n: 'x' }, MAX_DETAILED_PAYLOAD_BYTES + 1),
    ["payload must have required property 'id'"],
    'a large payload: the first error',
  );
  const branches = { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } };
  t.equal(payloadErrors(branches, [true, null]).length, 1, 'anyOf: the first error only');
  t.same(payloadErrors(schema, { id: 'a', amount: 1 }), []);
});
