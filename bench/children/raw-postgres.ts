// Raw limit 5: Postgres writing rows of the events read model, one connection, into a copy of the
// table with all its indexes. Two ways, each a figure of its own:
// - `insert`: multi-row INSERTs (500 rows per statement through unnest, each statement its own
//   commit) — what a projector sends, and so the ceiling of one that writes events;
// - `copy`: COPY … FROM STDIN (CSV, 5,000 rows per COPY, each its own commit) — the fastest way
//   rows get into Postgres at all.
// 1 KB bodies, like the rest of the bench; event ids in time order (UUIDv7), as the api gives them.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { v7 as uuidv7 } from 'uuid';
import { makeBody } from './body.ts';
import { oneShot } from './ipc.ts';

interface Args {
  databaseUrl: string;
  durationS: number;
  mode: 'insert' | 'copy';
  /** Rows per INSERT statement or per COPY. */
  rowsPerStatement: number;
}

const COLUMNS =
  'id, account_id, direction, source_id, event_type, status, received_at, content_type, headers, body, stream_seq';
const csvQuote = (s: string) => `"${s.replaceAll('"', '""')}"`;

oneShot<Args>(async (a) => {
  const client = new pg.Client({ connectionString: a.databaseUrl });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS bench_raw_events');
  await client.query('CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)');
  const account = randomUUID();
  const sources = [randomUUID(), randomUUID(), randomUUID()];
  const body = makeBody(0, 0);
  const headers = JSON.stringify({ 'content-type': 'application/json', 'user-agent': 'bench' });
  let rows = 0;
  let seq = 0;
  const t0 = performance.now();
  const end = t0 + a.durationS * 1000;
  if (a.mode === 'copy') {
    // The constant columns once; what varies per row is written per row. bytea as `\x` hex (CSV
    // leaves the backslash alone), headers quoted.
    const tail = `,${csvQuote(headers)},\\x${body.toString('hex')},`;
    const lines = function* (n: number): Generator<string> {
      const now = new Date().toISOString();
      for (let i = 0; i < n; i += 500) {
        let chunk = '';
        for (let j = i; j < Math.min(n, i + 500); j++) {
          chunk += `${uuidv7()},${account},inbound,${sources[j % sources.length] as string},bench.event,received,${now},application/json${tail}${++seq}\n`;
        }
        yield chunk;
      }
    };
    while (performance.now() < end) {
      await pipeline(
        Readable.from(lines(a.rowsPerStatement)),
        client.query(copyFrom(`COPY bench_raw_events (${COLUMNS}) FROM STDIN WITH (FORMAT csv)`)),
      );
      rows += a.rowsPerStatement;
    }
  }
  while (a.mode === 'insert' && performance.now() < end) {
    const n = a.rowsPerStatement;
    const ids: string[] = [];
    const src: string[] = [];
    const at: string[] = [];
    const seqs: number[] = [];
    // Arrays per row, as the projector sends them (bodies are not shared between rows).
    const bodies: Buffer[] = [];
    const hdrs: string[] = [];
    const now = new Date().toISOString();
    for (let i = 0; i < n; i++) {
      ids.push(uuidv7());
      src.push(sources[i % sources.length] as string);
      at.push(now);
      seqs.push(++seq);
      bodies.push(body);
      hdrs.push(headers);
    }
    await client.query(
      `INSERT INTO bench_raw_events (${COLUMNS})
       SELECT id, $2, 'inbound', source_id, 'bench.event', 'received', received_at, 'application/json', headers, body, stream_seq
       FROM unnest($1::uuid[], $3::jsonb[], $4::bytea[], $5::uuid[], $6::timestamptz[], $7::int8[]) AS t(id, headers, body, source_id, received_at, stream_seq)`,
      [ids, account, hdrs, bodies, src, at, seqs],
    );
    rows += n;
  }
  const elapsed = (performance.now() - t0) / 1000;
  await client.query('DROP TABLE bench_raw_events');
  await client.end();
  return { rows_per_s: Math.round(rows / elapsed), rows, rows_per_statement: a.rowsPerStatement };
});
