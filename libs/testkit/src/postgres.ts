// Postgres for tests: a fresh database on the shared test server, or a server of the test's own.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type PostgresHandle, startPostgres } from '@hookstream/embedded';
import pg from 'pg';
import type { Test } from 'tap';

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * CREATE DATABASE hs_test_<random> on TEST_DATABASE_URL (default: the local server, user postgres)
 * and returns its URL; the database is dropped, connections and all, at teardown.
 */
export async function createTestDatabase(t: Test): Promise<string> {
  const base = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const name = `hs_test_${randomBytes(6).toString('hex')}`;
  await admin(base, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  t.teardown(() => admin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`)));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Postgres server of the test's own (for tests that stop and start it), stopped and removed at teardown. */
export async function startOwnPostgres(t: Test): Promise<PostgresHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-test-pg-'));
  // As root, Postgres runs as the 'postgres' user, which must be able to enter mkdtemp's 0700 dir.
  await chmod(dir, 0o755);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  t.teardown(() => server.stop());
  return server;
}
