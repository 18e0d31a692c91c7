// Array parameters for the unnest() writes, as Postgres array literals built with one join. pg
// converts a JS array by appending element after element, quoting and escaping each; on the
// projector's batches of a thousand rows times a dozen columns that is much of what the process
// allocates, all of it garbage a moment later.

export type ArrayElement = string | number | null;

const ESCAPED = /[\\"]/;
const ESCAPES = /[\\"]/g;

/**
 * The literal of a one-dimensional array for a `$n::type[]` parameter. Strings are always quoted
 * (so commas, braces, spaces and the word NULL stay data) and escaped where they hold `"` or `\`;
 * null is SQL NULL.
 */
export function pgArray(values: readonly ArrayElement[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    if (v === null) parts[i] = 'NULL';
    else if (typeof v === 'number') parts[i] = String(v);
    else parts[i] = ESCAPED.test(v) ? `"${v.replace(ESCAPES, '\\$&')}"` : `"${v}"`;
  }
  return `{${parts.join(',')}}`;
}
