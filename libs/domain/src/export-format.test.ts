import t from 'tap';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { csvField, csvLine, encodeRows, fileHeader, neutraliseCell } from './export-format.ts';

/** An independent RFC 4180 reader: unquoted empty → null, quoted → the string. */
function readCsv(text: string): Array<Array<string | null>> {
  return parse(text, { cast: (value, ctx) => (ctx.quoting ? value : value === '' ? null : value) });
}

t.test(
  'given special characters, when written as CSV fields, then each is quoted with inner quotes doubled',
  async (t) => {
    t.equal(csvField('plain'), '"plain"');
    t.equal(csvField('a,b'), '"a,b"');
    t.equal(csvField('say "hi"'), '"say ""hi"""');
    t.equal(csvField('line\r\nbreak'), '"line\r\nbreak"');
    t.equal(csvField(''), '""', 'the empty string is a quoted empty field');
    t.equal(csvField(null), '', 'null is an unquoted empty field');
    t.equal(csvField(42), '42');
    t.equal(csvField({ k: 'v' }), '"{""k"":""v""}"', 'objects as JSON text');
    t.equal(csvLine(['a', null, 3]), '"a",,3\r\n');
  },
);

t.test(
  'given strings a spreadsheet would run as formulas, when written as CSV, then each is prefixed with a single quote',
  async (t) => {
    const planted = [
      '=HYPERLINK("http://evil","x")',
      '+1+1',
      '-2+3',
      '@SUM(A1:A2)',
      '\t=1',
      '\r=1',
      "=cmd|' /C calc'!A0",
    ];
    for (const s of planted) {
      const [[cell]] = readCsv(csvLine([s])) as [[string]];
      t.equal(cell, `'${s}`, JSON.stringify(s));
    }
    for (const s of ['plain', 'a=b', ' =1', "'already quoted", '{"k":"=v"}', ''])
      t.equal(neutraliseCell(s), s, `${JSON.stringify(s)} left alone`);
    t.equal(csvField(-5), '-5', 'numbers are values, not formulas');
    t.equal(csvField({ note: '=1' }), '"{""note"":""=1""}"', 'JSON text starts with a brace');
    t.equal(encodeRows('ndjson', ['a'], [{ a: '=1+1' }]), '{"a":"=1+1"}\n', 'NDJSON is left as it is');
  },
);

t.test(
  'given any strings, nulls and numbers, when written as CSV, then an independent parser reads back the same rows, formulas neutralised',
  async (t) => {
    const cell = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constant(null),
      fc.string({ unit: fc.constantFrom(',', '"', '\r', '\n', ' ', 'a', '=', '+', '-', '@', '\t') }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, fc.integer()), { minLength: 1, maxLength: 20 }), (rows) => {
        const objects = rows.map(([a, b, n]) => ({ a, b, n }));
        const text = fileHeader('csv', ['a', 'b', 'n']) + encodeRows('csv', ['a', 'b', 'n'], objects);
        const [header, ...body] = readCsv(text);
        if (JSON.stringify(header) !== '["a","b","n"]') throw new Error(`header: ${JSON.stringify(header)}`);
        const back = body.map(([a, b, n]) => ({ a, b, n: Number(n) }));
        const want = objects.map(({ a, b, n }) => ({
          a: a === null ? a : neutraliseCell(a),
          b: b === null ? b : neutraliseCell(b),
          n,
        }));
        if (JSON.stringify(back) !== JSON.stringify(want))
          throw new Error(`mismatch: ${JSON.stringify({ objects, back })}`);
      }),
      { numRuns: 300 },
    );
    t.pass('300 random tables survived the round trip');
  },
);

t.test(
  'given rows, when written as NDJSON, then each line parses back to its row with missing columns as null',
  async (t) => {
    const rows = [
      { id: 'e1', labels: { env: 'prod' }, n: 1, note: 'line\nbreak' },
      { id: 'e2', labels: null, n: 2 } as { id: string; labels: null; n: number; note?: string },
    ];
    const text = encodeRows('ndjson', ['id', 'labels', 'n', 'note'], rows);
    t.equal(fileHeader('ndjson', ['id']), '');
    const lines = text.split('\n');
    t.equal(lines.pop(), '', 'ends with a newline');
    t.same(
      lines.map((l) => JSON.parse(l)),
      [
        { id: 'e1', labels: { env: 'prod' }, n: 1, note: 'line\nbreak' },
        { id: 'e2', labels: null, n: 2, note: null },
      ],
    );
  },
);
