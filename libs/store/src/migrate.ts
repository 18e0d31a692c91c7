// Numbered SQL migrations (libs/store/migrations/NNNN_name.sql), applied in order under an advisory
// lock so that any number of processes may call migrate() at once. Each file runs in its own
// transaction together with its row in schema_migrations; a file edited after it was applied is
// reported rather than silently skipped.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Pool, checkOut } from './pool.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface SchemaStatus {
  /** Highest version applied (0: none). */
  current: number;
  /** Highest version this code knows. */
  latest: number;
  behind: boolean;
}

export class SchemaBehindError extends Error {
  override name = 'SchemaBehindError';
  readonly code = 'schema_behind';
  readonly status: SchemaStatus;
  constructor(status: SchemaStatus) {
    super(
      `database schema is at version ${status.current}, this build needs ${status.latest}: ` +
        'run `hookstream migrate` (make migrate) before starting this role',
    );
    this.status = status;
  }
}

export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError';
  readonly code = 'migration_checksum';
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Arbitrary, fixed: the key every migrating process agrees on ("hsmigrat").
const MIGRATION_LOCK_KEY = 0x68736d6967726174n;

let cached: Migration[] | undefined;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  if (dir === MIGRATIONS_DIR && cached) return cached;
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2] as string,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `migrations must be numbered 0001, 0002, … without gaps; found ${m.version} at position ${i + 1}`,
      );
  });
  if (dir === MIGRATIONS_DIR) cached = out;
  return out;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface MigrateResult {
  applied: number[];
  current: number;
}

/** Applies every pending migration. Safe to call concurrently and repeatedly. */
export async function migrate(pool: Pool, migrations: Migration[] = loadMigrations()): Promise<MigrateResult> {
  const { client, release, markBroken } = await checkOut(pool);
  try {
    // Session-level lock: held across the per-file transactions below.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations',
      );
      const done = new Map(rows.map((r) => [r.version, r.checksum]));
      const applied: number[] = [];
      for (const m of migrations) {
        const checksum = done.get(m.version);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) {
            throw new MigrationChecksumError(
              `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
            );
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            m.checksum,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.version);
      }
      return { applied, current: Math.max(0, ...done.keys(), ...applied) };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()])
        .catch((err: Error) => markBroken(err));
    }
  } finally {
    release();
  }
}

export async function schemaStatus(pool: Pool, migrations: Migration[] = loadMigrations()): Promise<SchemaStatus> {
  const latest = migrations.length === 0 ? 0 : Math.max(...migrations.map((m) => m.version));
  // Two statements: a relation named in a query must exist when the query is parsed.
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  let current = 0;
  if (exists.rows[0]?.t) {
    const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    current = rows[0]?.v ?? 0;
  }
  return { current, latest, behind: current < latest };
}

/** Roles call this at start-up and refuse to run on a schema older than their code. */
export async function assertSchemaCurrent(pool: Pool): Promise<SchemaStatus> {
  const status = await schemaStatus(pool);
  if (status.behind) throw new SchemaBehindError(status);
  return status;
}
