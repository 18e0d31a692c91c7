import t from 'tap';
import fc from 'fast-check';
import { createTestDatabase } from '@hookstream/testkit';
import { pgArray } from './arrays.ts';
import { createPool } from './pool.ts';

const pool = createPool(await createTestDatabase(t), { max: 2 });
t.teardown(() => pool.end());

const roundTrip = async (values: (string | null)[]) =>
  (await pool.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [pgArray(values)])).rows[0]?.a;

t.test('text that array syntax would misread comes back unchanged', async (t) => {
  const tricky = [
    '',
    ' ',
    'NULL',
    'null',
    'a,b',
    '{x}',
    '"',
    '\\',
    '\\"',
    'a\\',
    'tab\there',
    'line\nbreak',
    'é 日本',
    '{"k":"v\\"w"}',
    ' padded ',
  ];
  t.same(await roundTrip(tricky), tricky);
  t.same(await roundTrip(['x', null, 'y']), ['x', null, 'y'], 'null is SQL NULL, not the text');
  t.same(await roundTrip([]), []);
});

t.test('any strings: same array back', async (t) => {
  // Postgres text cannot hold NUL; the projection replaces it before it gets here (pgText).
  const syntax = fc.string({ unit: fc.constantFrom('"', '\\', ',', '{', '}', ' ', '\t', 'N', 'U', 'L', 'a', 'é') });
  const text = fc.oneof(
    syntax,
    fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000')),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.option(text, { nil: null }), { maxLength: 20 }), async (values) => {
      t.same(await roundTrip(values), values);
      return true;
    }),
    { numRuns: 200 },
  );
});

t.test('numbers, uuids and times keep their types', async (t) => {
  const { rows } = await pool.query<{ n: number[]; u: string[]; ts: Date[] }>(
    'SELECT $1::int4[] AS n, $2::uuid[] AS u, $3::timestamptz[] AS ts',
    [
      pgArray([1, -2, 0, null]),
      pgArray(['6f1c4a58-2f5e-4b8e-9d3a-0c1e2f3a4b5c']),
      pgArray(['2025-01-01T00:00:00.123Z', 'Tue, 01 Jan 2025 00:00:00 GMT']),
    ],
  );
  t.same(rows[0]?.n, [1, -2, 0, null]);
  t.same(rows[0]?.u, ['6f1c4a58-2f5e-4b8e-9d3a-0c1e2f3a4b5c']);
  t.same(
    rows[0]?.ts.map((d) => d.toISOString()),
    ['2025-01-01T00:00:00.123Z', '2025-01-01T00:00:00.000Z'],
  );
});
