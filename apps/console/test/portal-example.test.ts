import t from 'tap';
import { examplePayload, exampleOf } from '../src/portal/example.ts';

t.test('an example follows the schema: its own examples first, then types', async (t) => {
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'string', examples: ['ord_1'] },
      amount: { type: 'integer', minimum: 1 },
      currency: { enum: ['eur', 'usd'] },
      paid: { type: 'boolean' },
      at: { type: 'string', format: 'date-time' },
      lines: { type: 'array', items: { type: 'object', properties: { sku: { const: 'sku_1' } } } },
      note: { type: ['string', 'null'], default: null },
    },
  };
  t.same(exampleOf(schema), {
    id: 'ord_1',
    amount: 1,
    currency: 'eur',
    paid: true,
    at: '2026-01-01T00:00:00Z',
    lines: [{ sku: 'sku_1' }],
    note: null,
  });
  t.same(exampleOf({ examples: [{ whole: true }], type: 'object' }), { whole: true }, 'a whole example wins');
  t.same(exampleOf({ oneOf: [{ type: 'number' }, { type: 'string' }] }), 1.5);
});

t.test('a type without a schema, or with a non-object one, still gets an object to send', async (t) => {
  t.same(examplePayload(null, 'order.created'), { type: 'order.created', example: true });
  t.same(examplePayload({ type: 'string' }, 'x'), { type: 'x', example: true });
  // A self-referencing schema stops instead of recursing forever.
  const loop: Record<string, unknown> = { type: 'object' };
  loop.properties = { child: loop };
  t.ok(examplePayload(loop, 'tree'));
});
