import t from 'tap';
import { createTestDatabase } from '@hookstream/testkit';
import {
  MigrationChecksumError,
  SchemaBehindError,
  assertSchemaCurrent,
  loadMigrations,
  migrate,
  schemaStatus,
} from './migrate.ts';
import { createPool } from './pool.ts';

const url = await createTestDatabase(t);
const pool = createPool(url);
t.teardown(() => pool.end());
const versions = loadMigrations().map((m) => m.version);

t.test('an empty database is behind and roles refuse it', async (t) => {
  t.ok(versions.length >= 1);
  t.same(await schemaStatus(pool), { current: 0, latest: versions.length, behind: true });
  await t.rejects(assertSchemaCurrent(pool), SchemaBehindError);
  await t.rejects(assertSchemaCurrent(pool), /hookstream migrate/);
});

t.test('two pools migrating at once apply each migration exactly once', async (t) => {
  const other = createPool(url);
  t.teardown(() => other.end());
  const [a, b] = await Promise.all([migrate(pool), migrate(other)]);
  t.same(
    [...a.applied, ...b.applied].sort((x, y) => x - y),
    versions,
    'every version applied by one of them',
  );
  t.equal(a.current, versions.length);
  t.equal(b.current, versions.length);
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  t.same(
    rows.map((r) => r.version),
    versions,
  );
});

t.test('applying again is a no-op', async (t) => {
  const before = await pool.query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
  const again = await migrate(pool);
  t.same(again.applied, []);
  t.equal(again.current, versions.length);
  const after = await pool.query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
  t.same(after.rows, before.rows);
  t.same(await assertSchemaCurrent(pool), { current: versions.length, latest: versions.length, behind: false });
  const tables = await pool.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  t.same(
    tables.rows.map((r) => r.t),
    [
      'attempts',
      'audit_log',
      'dead_letters',
      'deliveries',
      'delivery_rollups',
      'delivery_rollups_hourly',
      'destination_health',
      'event_rollups',
      'event_rollups_hourly',
      'event_routings',
      'events',
      'exports',
      'projection_checkpoints',
      'replays',
      'schema_migrations',
    ],
  );
  // The event log's filter by idempotency key reads this index, not the account's whole log.
  const idx = await pool.query<{ def: string }>(
    `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'events_account_idempotency_key'`,
  );
  t.match(
    idx.rows[0]?.def,
    /ON public\.events USING btree \(account_id, idempotency_key, received_at DESC, id DESC\) WHERE \(idempotency_key IS NOT NULL\)/,
  );
});

t.test('a migration edited after it was applied is reported', async (t) => {
  const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
  await t.rejects(migrate(pool, edited), MigrationChecksumError);
});

t.test('a failing migration rolls back and leaves the schema where it was', async (t) => {
  const bad = [
    ...loadMigrations(),
    {
      version: versions.length + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x int); SELECT nope;',
      checksum: 'x',
    },
  ];
  await t.rejects(migrate(pool, bad), /broken failed/);
  const s = await schemaStatus(pool, bad);
  t.same(s, { current: versions.length, latest: versions.length + 1, behind: true });
  const { rows } = await pool.query(`SELECT to_regclass('half_done') AS r`);
  t.equal(rows[0].r, null, 'the failed file left nothing behind');
});
