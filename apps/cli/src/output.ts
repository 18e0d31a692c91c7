// What the CLI prints: aligned tables and key/value blocks for people, JSON for scripts (--json),
// progress on stderr (a bar on a terminal, a line per step otherwise) so stdout stays parseable.
import type { Writable } from 'node:stream';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  /** Progress bars only where a person watches. */
  stderrIsTty: boolean;
}

export type Row = Record<string, unknown>;
export interface Column {
  key: string;
  title?: string;
  /** Shown value; default String(value), '-' for null or undefined. */
  format?: (value: unknown, row: Row) => string;
  /** Longest shown; longer values end in '…'. */
  max?: number;
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

const fit = (s: string, max: number | undefined) => (max && s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function table(rows: Row[], columns: Column[]): string {
  const head = columns.map((c) => c.title ?? c.key.toUpperCase().replaceAll('_', ' '));
  const body = rows.map((r) =>
    columns.map((c) => fit(c.format ? c.format(r[c.key], r) : cell(r[c.key]), c.max).replace(/[\r\n\t]/g, ' ')),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

/** `key  value` lines, keys aligned. */
export function details(obj: Row, keys?: string[]): string {
  const ks = keys ?? Object.keys(obj);
  const w = Math.max(...ks.map((k) => k.length));
  return ks.map((k) => `${k.padEnd(w)}  ${cell(obj[k])}`).join('\n') + '\n';
}

export class Output {
  readonly io: Io;
  readonly json: boolean;
  constructor(io: Io, json: boolean) {
    this.io = io;
    this.json = json;
  }
  write(text: string): void {
    this.io.stdout.write(text);
  }
  /** A JSON document on stdout, whatever the mode. */
  printJson(value: unknown): void {
    this.write(`${JSON.stringify(value, null, 2)}\n`);
  }
  /** One object: JSON, or key/value lines. */
  item(obj: Row, keys?: string[]): void {
    if (this.json) this.printJson(obj);
    else this.write(details(obj, keys));
  }
  /** A page: `{data, next_cursor}` as JSON, or a table and a hint for the next page. */
  list(page: { data: Row[]; next_cursor?: string | null }, columns: Column[]): void {
    if (this.json) return this.printJson({ data: page.data, next_cursor: page.next_cursor ?? null });
    if (page.data.length === 0) return this.write('(none)\n');
    this.write(table(page.data, columns));
    if (page.next_cursor) this.note(`more: --cursor ${page.next_cursor}  (or --all)`);
  }
  /** For people; on stderr, so that stdout stays clean for pipes and --json. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
  /** What a mutating command did, in table mode; the object itself in JSON mode. */
  done(text: string, obj?: unknown): void {
    if (this.json) this.printJson(obj ?? { ok: true });
    else this.write(`${text}\n`);
  }
  progress(label: string): Progress {
    return new Progress(this.io, label);
  }
}

/** A progress bar on a terminal; elsewhere a line whenever the shown figure changes. */
export class Progress {
  readonly #io: Io;
  readonly #label: string;
  #last = '';
  constructor(io: Io, label: string) {
    this.#io = io;
    this.#label = label;
  }
  update(done: number, total: number | null, status: string): void {
    const pct = total && total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : null;
    if (this.#io.stderrIsTty) {
      const width = 30;
      const filled = pct === null ? 0 : Math.round((pct / 100) * width);
      const bar =
        pct === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% `;
      this.#io.stderr.write(`\r\x1b[2K${this.#label} ${bar}${done}${total !== null ? `/${total}` : ''} ${status}`);
      return;
    }
    const line = `${this.#label}: ${status} ${done}${total !== null ? `/${total}` : ''}${pct !== null ? ` (${pct}%)` : ''}`;
    if (line !== this.#last) this.#io.stderr.write(`${line}\n`);
    this.#last = line;
  }
  finish(text: string): void {
    this.#io.stderr.write(this.#io.stderrIsTty ? `\r\x1b[2K${this.#label}: ${text}\n` : `${this.#label}: ${text}\n`);
  }
}
