// The event-type schema cache: bounded (its Ajv instance is replaced when full) and still right
// after the replacement.
import t from 'tap';
import { checkJsonSchema, payloadErrors } from './schemas.ts';

const schemaN = (n: number) => ({ type: 'object', required: [`f${n}`], properties: { [`f${n}`]: { type: 'integer' } } });

t.test('given more distinct schemas than the cache holds, when each is used, then every one still validates correctly', async (t) => {
  const first = schemaN(0);
  t.same(payloadErrors(first, { f0: 1 }), [], 'valid payload passes');
  for (let n = 1; n <= 2_500; n++) t.equal(checkJsonSchema(schemaN(n)), null);
  // schema 0 was compiled by an instance that has since been replaced: it is compiled again.
  t.same(payloadErrors(first, { f0: 1 }), []);
  t.match(payloadErrors(first, { f0: 'x' }), ['payload.f0 must be integer']);
  t.match(payloadErrors(schemaN(2_500), {}), [/must have required property 'f2500'/]);
});

t.test('given an unusable schema, then checkJsonSchema says why and nothing is cached for it', async (t) => {
  t.match(checkJsonSchema({ type: 'nonsense' }), /type/);
  t.throws(() => payloadErrors({ type: 'nonsense' }, {}));
});
