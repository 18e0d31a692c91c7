import t from 'tap';
import { MAX_JSON_DEPTH, jsonDepthExceeds, parseJsonBody } from './json.ts';

t.test('depth is counted outside strings only', async (t) => {
  t.equal(jsonDepthExceeds('{"a":[1,{"b":2}]}', 3), false);
  t.equal(jsonDepthExceeds('{"a":[1,{"b":2}]}', 2), true);
  t.equal(
    jsonDepthExceeds('{"a":"[[[[[[[[[[[[[[[[\\"[[[["}', 1),
    false,
    'brackets and escaped quotes in strings do not count',
  );
  t.equal(jsonDepthExceeds('['.repeat(10_000) + ']'.repeat(10_000), MAX_JSON_DEPTH), true);
});

t.test('parse refuses deep nesting, bad JSON and prototype keys with a 400', async (t) => {
  t.same(parseJsonBody('{"a":1}'), { a: 1 });
  for (const bad of [
    '',
    '{"a":',
    '['.repeat(1000) + ']'.repeat(1000),
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
  ]) {
    let status = 0;
    try {
      parseJsonBody(bad);
    } catch (err) {
      status = (err as { status: number }).status;
    }
    t.equal(status, 400, JSON.stringify(bad.slice(0, 30)));
  }
  t.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype untouched');
});
