// Exports of 200,000 events in constant memory, parsed back to the same rows; attempts; expiry.
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { type Pool, createExport } from '@hookstream/store';
import { directJobs, startSystem, tenant, until } from './harness.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Memory the process holds after a full collection: heap objects and the Buffers outside it. */
const live = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

// Twice the 100,000 the export must handle: a 56 MiB file stands well clear of the few MiB that the
// other roles running in this process allocate and retain meanwhile.
const ROWS = 200_000;
const KEEP = { plan: 'enterprise', retention_days: 3650 };
const MB = 1024 * 1024;

async function seedEvents(pool: Pool, account: string, source: string, destination: string): Promise<void> {
  // Values chosen to exercise the formats: quotes, commas, newlines, non-ASCII, NULL and ''.
  await pool.query(
    `INSERT INTO events (id, account_id, direction, source_id, event_type, status, received_at, content_type, headers, body,
       labels, idempotency_key, stream_seq, delivery_count)
     SELECT gen_random_uuid(), $1, CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE $2::uuid END,
       CASE i % 5 WHEN 0 THEN 'order.created' WHEN 1 THEN 'say "hi", ok' WHEN 2 THEN E'line\\nbreak' WHEN 3 THEN 'café ✓' ELSE NULL END,
       CASE WHEN i % 2 = 0 THEN 'delivered' ELSE 'dead_letter' END,
       timestamptz '2025-01-01T00:00:00Z' + i * interval '1 second' + (i % 1000) * interval '1 microsecond',
       'application/json', '{}', '\\x7b7d',
       CASE WHEN i % 4 = 0 THEN jsonb_build_object('env', 'prod', 'note', 'a,b "c"') ELSE NULL END,
       CASE WHEN i % 13 = 0 THEN '' WHEN i % 2 = 0 THEN 'key-' || i ELSE NULL END, i, i % 4
     FROM generate_series(1, ${ROWS}) AS i`,
    [account, source],
  );
  await pool.query(
    `INSERT INTO attempts (delivery_id, n, event_id, account_id, destination_id, started_at, duration_ms, status_code, outcome,
       error_class, error, response_excerpt)
     SELECT gen_random_uuid(), 1 + i % 3, e.id, e.account_id, $2, e.received_at + interval '1 second', i % 900,
       CASE WHEN i % 2 = 0 THEN 200 ELSE NULL END, CASE WHEN i % 2 = 0 THEN 'delivered' ELSE 'retry_scheduled' END,
       CASE WHEN i % 2 = 0 THEN NULL ELSE 'timeout' END, CASE WHEN i % 2 = 0 THEN NULL ELSE 'no answer, "gave up"' END,
       CASE WHEN i % 7 = 0 THEN '' ELSE E'{"ok":true}\\r\\n' END
     FROM (SELECT id, account_id, received_at, row_number() OVER (ORDER BY received_at) AS i FROM events WHERE account_id = $1 LIMIT 2000) e`,
    [account, destination],
  );
  // As autovacuum would have by now on a live database: without statistics the planner takes a
  // bulk-loaded table for empty and picks plans that scan it once per row.
  await pool.query('ANALYZE events');
  await pool.query('ANALYZE attempts');
}

/** The rows as the export must write them, read independently from the database. */
async function expectedEvents(pool: Pool, account: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await pool.query(
    `SELECT id, direction, source_id, event_type, status, received_at, content_type, idempotency_key, labels, delivery_count
     FROM events WHERE account_id = $1 ORDER BY received_at, id`,
    [account],
  );
  return rows.map((r) => ({ ...r, received_at: (r.received_at as Date).toISOString() }));
}

function csvObjects(text: string, numeric: string[], json: string[]): Array<Record<string, unknown>> {
  const [header, ...body] = parse(text, { cast: (v, ctx) => (ctx.quoting ? v : v === '' ? null : v) }) as Array<
    Array<string | null>
  >;
  return body.map((cells) =>
    Object.fromEntries(
      (header as string[]).map((h, i) => {
        const v = cells[i] ?? null;
        if (v !== null && numeric.includes(h)) return [h, Number(v)];
        if (v !== null && json.includes(h)) return [h, JSON.parse(v)];
        return [h, v];
      }),
    ),
  );
}

t.test('an export of 200,000 events completes in constant memory and parses back to the same rows', async (t) => {
  const gw = await startSystem(t);
  const pool = gw.pool as Pool;
  const app = gw.api as NonNullable<typeof gw.api>;
  // A retention window wide enough for the fixed 2025 times (the scheduled cleaner may run meanwhile).
  const a = await tenant(gw, 'acme', KEEP);
  const b = await tenant(gw, 'other');
  const auth = { authorization: `Bearer ${a.key}` };
  await seedEvents(pool, a.accountId, randomUUID(), randomUUID());

  // A first export loads and compiles code (object store, encoders, job handlers) that stays; run a
  // small one first so that the measurement below sees only what an export of many rows adds.
  const warm = await b.api.call('POST', '/v1/exports', { kind: 'events', format: 'ndjson' });
  t.equal(warm.status, 202);
  await until(
    b.api,
    `/v1/exports/${warm.json.data.id}`,
    (e) => e.status !== 'queued' && e.status !== 'running',
    'warm-up export finished',
    120_000,
  );

  // Sampled after a full collection each time, so garbage not yet collected does not count.
  const before = live();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, live());
  }, 500);
  const post = await a.api.call('POST', '/v1/exports', { kind: 'events', format: 'ndjson' });
  t.equal(post.status, 202, JSON.stringify(post.json));
  t.match(post.json.data, { status: 'queued', kind: 'events', format: 'ndjson', rows: 0, download_url: null });
  const done = await until(
    a.api,
    `/v1/exports/${post.json.data.id}`,
    (e) => e.status !== 'queued' && e.status !== 'running',
    'export finished',
    120_000,
  );
  clearInterval(sampler);
  const after = live();
  t.match(done, {
    status: 'completed',
    rows: ROWS,
    error: null,
    download_url: `/v1/exports/${post.json.data.id}/download`,
  });
  t.ok(done.bytes > 48 * MB, `a file of ${(done.bytes / MB).toFixed(1)} MiB`);
  t.ok(Date.parse(done.expires_at) - Date.parse(done.finished_at) === 24 * 3_600_000, 'expires 24 h after it finished');
  // Holding the file (or the rows) would cost more than the file's size; streaming costs a batch.
  t.ok(
    peak - before < 32 * MB,
    `live memory during the export grew by ${((peak - before) / MB).toFixed(1)} MiB (file: ${(done.bytes / MB).toFixed(1)} MiB)`,
  );
  t.ok(after - before < 24 * MB, `and by ${((after - before) / MB).toFixed(1)} MiB after it`);
  const expected = await expectedEvents(pool, a.accountId);
  t.equal(expected.length, ROWS);

  const plain = await app.inject({ method: 'GET', url: `/v1/exports/${post.json.data.id}/download`, headers: auth });
  t.equal(plain.statusCode, 200);
  t.equal(plain.headers['content-type'], 'application/x-ndjson');
  t.equal(Number(plain.headers['content-length']), done.bytes);
  t.match(plain.headers['content-disposition'], /attachment; filename="events-.*\.ndjson"/);
  const lines = plain.body.split('\n');
  t.equal(lines.pop(), '');
  t.equal(lines.length, ROWS);
  t.ok(
    JSON.stringify(lines.map((l) => JSON.parse(l))) === JSON.stringify(expected),
    'NDJSON parses back to the same rows, in order',
  );

  const zipped = await app.inject({
    method: 'GET',
    url: `/v1/exports/${post.json.data.id}/download`,
    headers: { ...auth, 'accept-encoding': 'br, gzip' },
  });
  t.equal(zipped.statusCode, 200);
  t.equal(zipped.headers['content-encoding'], 'gzip');
  t.ok(zipped.rawPayload.length < done.bytes / 3, 'compressed');
  t.ok(gunzipSync(zipped.rawPayload).equals(plain.rawPayload), 'gzip carries the same bytes');

  const csv = await a.api.call('POST', '/v1/exports', { kind: 'events', format: 'csv' });
  const csvDone = await until(
    a.api,
    `/v1/exports/${csv.json.data.id}`,
    (e) => e.status === 'completed',
    'CSV export finished',
    120_000,
  );
  t.equal(csvDone.rows, ROWS);
  const csvFile = await app.inject({ method: 'GET', url: `/v1/exports/${csv.json.data.id}/download`, headers: auth });
  t.equal(csvFile.headers['content-type'], 'text/csv; charset=utf-8');
  const parsed = csvObjects(csvFile.body, ['delivery_count'], ['labels']);
  t.equal(parsed.length, ROWS);
  t.ok(JSON.stringify(parsed) === JSON.stringify(expected), 'CSV parses back to the same rows, NULL and "" kept apart');

  // Another account sees none of it.
  t.equal((await b.api.call('GET', `/v1/exports/${post.json.data.id}`)).status, 404);
  const stolen = await app.inject({
    method: 'GET',
    url: `/v1/exports/${post.json.data.id}/download`,
    headers: { authorization: `Bearer ${b.key}` },
  });
  t.equal(stolen.statusCode, 404);
  t.same(
    (await b.api.call('GET', '/v1/exports')).json.data.map((e: { id: string }) => e.id),
    [warm.json.data.id],
    "B lists its own export only, never A's",
  );
  const listed = await a.api.call('GET', '/v1/exports?limit=1');
  t.same(
    [listed.json.data[0].id, typeof listed.json.next_cursor],
    [csv.json.data.id, 'string'],
    'newest first, paginated',
  );
});

t.test('attempt exports, filters, files not ready and expiry', async (t) => {
  const gw = await startSystem(t);
  const pool = gw.pool as Pool;
  const app = gw.api as NonNullable<typeof gw.api>;
  const jobs = await directJobs(t, gw);
  const a = await tenant(gw, 'acme', KEEP);
  const auth = { authorization: `Bearer ${a.key}` };
  const destination = randomUUID();
  await seedEvents(pool, a.accountId, randomUUID(), destination);

  const post = await a.api.call('POST', '/v1/exports', {
    kind: 'attempts',
    format: 'csv',
    filter: { status: 'delivered', since: '2025-01-01T00:00:00Z', until: '2025-01-01T00:30:00Z' },
  });
  t.equal(post.status, 202, JSON.stringify(post.json));
  const done = await until(
    a.api,
    `/v1/exports/${post.json.data.id}`,
    (e) => e.status === 'completed',
    'attempt export finished',
  );
  const { rows: expected } = await pool.query(
    `SELECT a.event_id, a.delivery_id, a.destination_id, a.n AS attempt, a.started_at, a.duration_ms, a.status_code, a.outcome,
       a.error_class, a.error, a.response_excerpt
     FROM attempts a JOIN events e ON e.id = a.event_id
     WHERE a.account_id = $1 AND e.status = 'delivered' AND a.started_at >= '2025-01-01T00:00:00Z' AND a.started_at < '2025-01-01T00:30:00Z'
     ORDER BY a.started_at, a.delivery_id, a.n`,
    [a.accountId],
  );
  t.ok(expected.length > 100, `${expected.length} attempts match`);
  t.equal(done.rows, expected.length);
  const file = await app.inject({ method: 'GET', url: `/v1/exports/${post.json.data.id}/download`, headers: auth });
  const parsed = csvObjects(file.body, ['attempt', 'duration_ms', 'status_code'], []);
  const want = expected.map((r) => ({ ...r, started_at: (r.started_at as Date).toISOString() }));
  t.ok(JSON.stringify(parsed) === JSON.stringify(want), 'attempts CSV parses back to the same rows');

  // A filter that matches nothing still makes a (header-only) file.
  const none = await a.api.call('POST', '/v1/exports', {
    kind: 'events',
    format: 'csv',
    filter: { event_type: 'no.such.type' },
  });
  t.match(
    await until(a.api, `/v1/exports/${none.json.data.id}`, (e) => e.status === 'completed', 'empty export finished'),
    { rows: 0 },
  );

  // Not complete yet: a record no worker has taken (nothing queued it).
  const pending = await createExport(pool, {
    id: randomUUID(),
    account_id: a.accountId,
    kind: 'events',
    format: 'ndjson',
    filter: {},
  });
  const early = await app.inject({ method: 'GET', url: `/v1/exports/${pending.id}/download`, headers: auth });
  t.equal(early.statusCode, 404);
  t.equal(early.json().code, 'not_ready');

  for (const [body, why] of [
    [{ kind: 'rows', format: 'csv' }, 'unknown kind'],
    [{ kind: 'events', format: 'xml' }, 'unknown format'],
    [{ kind: 'events', format: 'csv', filter: { since: 'yesterday' } }, 'bad time'],
    [
      { kind: 'events', format: 'csv', filter: { since: '2025-02-01T00:00:00Z', until: '2025-01-01T00:00:00Z' } },
      'until before since',
    ],
    [{ kind: 'events', format: 'csv', filter: { colour: 'red' } }, 'unknown filter'],
  ] as const) {
    t.equal((await a.api.call('POST', '/v1/exports', body)).status, 400, why);
  }

  // 24 h later the retention pass removes the files; the records say so.
  const report = await jobs.runRetention(Date.now() + 25 * 3_600_000);
  t.equal(report.exports_expired, 2);
  t.equal((await a.api.call('GET', `/v1/exports/${post.json.data.id}`)).json.data.status, 'expired');
  const late = await app.inject({ method: 'GET', url: `/v1/exports/${post.json.data.id}/download`, headers: auth });
  t.equal(late.statusCode, 404);
  t.equal(late.json().code, 'expired');
  t.equal((await jobs.runRetention(Date.now() + 25 * 3_600_000)).exports_expired, 0, 'expired once');
});
