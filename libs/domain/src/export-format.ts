// Export file formats. NDJSON: one JSON object per line. CSV (RFC 4180): a header line, CRLF line
// ends, every string quoted with inner quotes doubled; NULL is an unquoted empty field and the empty
// string a quoted one ("") — the convention of PostgreSQL's COPY … CSV — so both survive a round trip.
// Objects (labels) are written as their JSON text.
//
// A CSV is opened in spreadsheets, and its strings come from webhook senders and receivers (headers,
// event types, response excerpts): a string that a spreadsheet would read as a formula is prefixed
// with a single quote, as OWASP's CSV injection guidance says. NDJSON is read by programs: left as is.

export type Format = 'ndjson' | 'csv';

export const CONTENT_TYPES: Record<Format, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/** The first characters that make a spreadsheet cell a formula (or a DDE call). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The text as a spreadsheet shows it, never as a formula: a leading single quote where needed. */
export function neutraliseCell(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = typeof value === 'string' ? neutraliseCell(value) : JSON.stringify(value);
  return `"${s.replaceAll('"', '""')}"`;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The header of a file in this format ('' for NDJSON). */
export function fileHeader(format: Format, columns: readonly string[]): string {
  return format === 'csv' ? `${columns.join(',')}\r\n` : '';
}

/** One batch of rows as text, each row's columns in the given order. */
export function encodeRows<R extends object>(
  format: Format,
  columns: readonly (keyof R & string)[],
  rows: readonly R[],
): string {
  let out = '';
  for (const row of rows) {
    if (format === 'csv') out += csvLine(columns.map((c) => row[c]));
    else out += `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))}\n`;
  }
  return out;
}
