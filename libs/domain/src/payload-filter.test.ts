import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import { jsonEqual, matchPayloadFilter, validatePayloadFilter } from './payload-filter.ts';

function holds<Ts>(tt: Test, property: fc.IProperty<Ts>): void {
  const details = fc.check(property, { numRuns: 300 });
  tt.equal(details.failed, false, fc.defaultReportMessage(details) ?? 'property holds');
}

const payload = {
  type: 'b',
  data: { amount: 250, currency: 'eur', note: null, tags: ['vip', 'eu'], created: '2026-01-15T10:00:00Z' },
  items: [{ sku: 'A1', qty: 2 }],
};

t.test('given the example filter from the docs', async (t) => {
  const filter = { 'data.amount': { $gt: 100 }, $or: [{ type: 'a' }, { type: { $in: ['b', 'c'] } }] };
  t.test('when validated, then it is valid', async (t) => {
    t.equal(validatePayloadFilter(filter), null);
  });
  t.test('when the amount and type fit, then it matches', async (t) => {
    t.equal(matchPayloadFilter(filter, payload), true);
  });
  t.test('when the amount is too small, then it does not match', async (t) => {
    t.equal(matchPayloadFilter(filter, { ...payload, data: { amount: 100 } }), false);
  });
  t.test('when no $or branch fits, then it does not match', async (t) => {
    t.equal(matchPayloadFilter(filter, { ...payload, type: 'z' }), false);
  });
});

t.test('given a plain value, when matching, then it means $eq with deep equality', async (t) => {
  t.equal(matchPayloadFilter({ 'data.currency': 'eur' }, payload), true);
  t.equal(matchPayloadFilter({ 'data.currency': 'usd' }, payload), false);
  t.equal(matchPayloadFilter({ 'data.tags': ['vip', 'eu'] }, payload), true);
  t.equal(matchPayloadFilter({ 'data.tags': ['eu', 'vip'] }, payload), false);
  t.equal(matchPayloadFilter({ items: [{ qty: 2, sku: 'A1' }] }, payload), true);
  t.equal(matchPayloadFilter({ 'data.note': null }, payload), true);
  t.equal(matchPayloadFilter({ 'data.amount': '250' }, payload), false);
});

t.test('given array indexes in a path, when matching, then elements are reached by index', async (t) => {
  t.equal(matchPayloadFilter({ 'items.0.sku': 'A1' }, payload), true);
  t.equal(matchPayloadFilter({ 'items.1.sku': { $exists: true } }, payload), false);
  t.equal(matchPayloadFilter({ 'items.01.sku': 'A1' }, payload), false);
});

t.test('given each operator', async (t) => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['$eq hit', { 'data.amount': { $eq: 250 } }, true],
    ['$eq miss', { 'data.amount': { $eq: 251 } }, false],
    ['$neq hit', { 'data.amount': { $neq: 1 } }, true],
    ['$neq miss', { 'data.amount': { $neq: 250 } }, false],
    ['$in hit', { 'data.currency': { $in: ['usd', 'eur'] } }, true],
    ['$in miss', { 'data.currency': { $in: ['usd'] } }, false],
    ['$nin hit', { 'data.currency': { $nin: ['usd'] } }, true],
    ['$nin miss', { 'data.currency': { $nin: ['eur'] } }, false],
    ['$exists true', { 'data.note': { $exists: true } }, true],
    ['$exists false', { 'data.nothing': { $exists: false } }, true],
    ['$exists false on present', { 'data.amount': { $exists: false } }, false],
    ['$gt', { 'data.amount': { $gt: 249 } }, true],
    ['$gt equal', { 'data.amount': { $gt: 250 } }, false],
    ['$gte equal', { 'data.amount': { $gte: 250 } }, true],
    ['$lt', { 'data.amount': { $lt: 251 } }, true],
    ['$lte equal', { 'data.amount': { $lte: 250 } }, true],
    ['$lte below', { 'data.amount': { $lte: 249 } }, false],
    ['range', { 'data.amount': { $gte: 200, $lt: 300 } }, true],
    ['range miss', { 'data.amount': { $gte: 200, $lt: 250 } }, false],
    ['string comparison', { 'data.created': { $gte: '2026-01-01', $lt: '2026-02-01' } }, true],
    ['number vs string never compares', { 'data.amount': { $gt: '100' } }, false],
    ['$and', { $and: [{ type: 'b' }, { 'data.currency': 'eur' }] }, true],
    ['$and miss', { $and: [{ type: 'b' }, { 'data.currency': 'usd' }] }, false],
    ['$or inside $and', { $and: [{ $or: [{ type: 'x' }, { type: 'b' }] }] }, true],
  ];
  for (const [name, filter, expected] of cases) {
    t.test(`when ${name}, then ${expected ? 'it matches' : 'it does not match'}`, async (t) => {
      t.equal(validatePayloadFilter(filter), null, 'valid');
      t.equal(matchPayloadFilter(filter, payload), expected);
    });
  }
});

t.test('given a missing path', async (t) => {
  const ops: [string, unknown, boolean][] = [
    ['$eq', 1, false],
    ['$neq', 1, true],
    ['$in', [1], false],
    ['$nin', [1], true],
    ['$exists', true, false],
    ['$exists', false, true],
    ['$gt', 1, false],
    ['$gte', 1, false],
    ['$lt', 1, false],
    ['$lte', 1, false],
  ];
  for (const [op, operand, expected] of ops) {
    t.test(`when ${op} ${JSON.stringify(operand)} is applied, then it ${expected ? 'holds' : 'fails'}`, async (t) => {
      t.equal(matchPayloadFilter({ 'data.absent': { [op]: operand } }, payload), expected);
      t.equal(matchPayloadFilter({ 'type.deeper': { [op]: operand } }, payload), expected, 'through a string');
      t.equal(matchPayloadFilter({ x: { [op]: operand } }, undefined), expected, 'payload not JSON');
    });
  }
});

t.test('given no filter or an empty one, when matching, then everything matches', async (t) => {
  t.equal(matchPayloadFilter(null, payload), true);
  t.equal(matchPayloadFilter(undefined, undefined), true);
  t.equal(matchPayloadFilter({}, 'not an object'), true);
  t.equal(validatePayloadFilter(null), null);
  t.equal(validatePayloadFilter({}), null);
});

t.test('given hostile or malformed filters', async (t) => {
  t.test(
    'when a path uses __proto__, constructor or prototype, then it is invalid and never reaches the prototype',
    async (t) => {
      for (const path of ['__proto__', 'a.__proto__.x', 'constructor', 'constructor.name', 'x.prototype']) {
        t.match(validatePayloadFilter({ [path]: 1 }), /forbidden segment/, path);
      }
      t.equal(matchPayloadFilter({ 'constructor.name': 'Object' }, {}), false);
      t.equal(matchPayloadFilter({ toString: { $exists: true } }, {}), false, 'inherited keys are missing');
      t.equal(
        matchPayloadFilter(JSON.parse('{"__proto__.polluted": {"$exists": false}}') as Record<string, unknown>, {}),
        true,
      );
      t.equal(({} as Record<string, unknown>).polluted, undefined);
    },
  );
  t.test('when a literal holds a __proto__ key, then it is invalid', async (t) => {
    t.match(validatePayloadFilter(JSON.parse('{"a": {"__proto__": {"x": 1}}}')), /__proto__/);
  });
  t.test('when nesting is deeper than 16, then it is invalid and does not match', async (t) => {
    let deep: Record<string, unknown> = { type: 'b' };
    for (let i = 0; i < 20; i++) deep = { $and: [deep] };
    t.match(validatePayloadFilter(deep), /deeper than 16/);
    t.equal(matchPayloadFilter(deep, payload), false);
    let literal: unknown = 1;
    for (let i = 0; i < 20; i++) literal = [literal];
    t.match(validatePayloadFilter({ a: literal }), /deeper than 16/);
  });
  t.test('when shapes are wrong, then each gets a message', async (t) => {
    const bad: [unknown, RegExp][] = [
      [[], /must be an object/],
      ['x', /must be an object/],
      [{ $not: { a: 1 } }, /unknown operator "\$not"/],
      [{ a: { $regex: 'x' } }, /unknown operator "\$regex"/],
      [{ a: { $eq: 1, b: 2 } }, /mixes operators/],
      [{ a: { $in: 'x' } }, /takes an array/],
      [{ a: { $exists: 1 } }, /true or false/],
      [{ a: { $gt: null } }, /number or a string/],
      [{ $or: [] }, /non-empty array/],
      [{ $and: {} }, /non-empty array/],
      [{ $or: [1] }, /must be an object/],
      [{ '': 1 }, /must not be empty/],
      [{ 'a..b': 1 }, /empty segment/],
      [{ ['a'.repeat(257)]: 1 }, /longer than 256/],
      [{ [Array(33).fill('a').join('.')]: 1 }, /more than 32 segments/],
      [{ a: Number.NaN }, /finite/],
      [{ a: new Date() }, /must be JSON/],
      [{ a: undefined }, /must be JSON/],
    ];
    for (const [f, msg] of bad) t.match(validatePayloadFilter(f), msg, JSON.stringify(f) ?? String(f));
  });
  t.test('when unvalidated junk reaches the matcher, then it does not match and does not throw', async (t) => {
    t.equal(matchPayloadFilter({ a: { $regex: 'x' } }, { a: 'x' }), false);
    t.equal(matchPayloadFilter({ $or: 'x' }, {}), false);
    t.equal(matchPayloadFilter({ $nor: [] }, {}), false);
  });
});

t.test('properties', async (t) => {
  t.test('given any JSON value, when compared with itself or a copy, then jsonEqual is true', async (t) => {
    holds(
      t,
      fc.property(fc.jsonValue(), (v) => jsonEqual(v, v) && jsonEqual(v, JSON.parse(JSON.stringify(v)))),
    );
  });
  t.test(
    'given any payload and key, when filtering on its own value, then $eq matches and $neq does not',
    async (t) => {
      const key = fc.stringMatching(/^[a-z]{1,8}$/);
      holds(
        t,
        fc.property(key, fc.jsonValue(), (k, v) => {
          const value = JSON.parse(JSON.stringify(v)) as unknown;
          const doc = { [k]: value };
          return matchPayloadFilter({ [k]: { $eq: value } }, doc) && !matchPayloadFilter({ [k]: { $neq: value } }, doc);
        }),
      );
    },
  );
  t.test('given arbitrary JSON as a filter, when validated and matched, then neither throws', async (t) => {
    holds(
      t,
      fc.property(fc.jsonValue(), fc.jsonValue(), (f, p) => {
        validatePayloadFilter(f);
        if (typeof f === 'object' && f !== null && !Array.isArray(f)) matchPayloadFilter(f, p);
        return true;
      }),
    );
  });
});
