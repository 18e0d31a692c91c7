import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { startPostgres } from './index.ts';

// mkdtemp makes a 0700 directory; when we run as root Postgres runs as 'postgres' and must enter it.
async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-embedded-pg-'));
  await chmod(dir, 0o755);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

const signals = (): number[] =>
  ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'].map((e) => process.listenerCount(e));

t.test('initialises, serves, stops, and keeps its data across a restart', async (t) => {
  const dir = await tmp(t);
  const before = signals();
  const server = await startPostgres({ dataDir: path.join(dir, 'pg') });
  t.teardown(() => server.stop());
  t.same(signals(), before, 'starting Postgres left no signal handlers behind');
  t.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/hookstream$/);

  const [db] = await query<{ name: string }>(server.url, 'SELECT current_database() AS name');
  t.equal(db?.name, 'hookstream', 'the database was created');
  t.same(await query(server.url, 'SHOW fsync'), [{ fsync: 'on' }], 'durable by default');
  await query(server.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");

  await server.stop();
  await t.rejects(query(server.url, 'SELECT 1'), 'stop() really stopped the server');

  await server.start();
  const rows = await query<{ v: string }>(server.url, 'SELECT v FROM kept');
  t.same(rows, [{ v: 'survives' }], 'data kept across stop/start');

  // A second handle on a running data directory is refused with Postgres' reason, not a hang.
  await t.rejects(startPostgres({ dataDir: path.join(dir, 'pg') }), /postmaster\.pid/);

  await server.stop();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const takenPort = (blocker.address() as AddressInfo).port;
  await t.rejects(
    startPostgres({ dataDir: path.join(dir, 'pg'), port: takenPort }),
    /already in use/,
    'a taken port is reported',
  );
  await new Promise((resolve) => blocker.close(resolve));

  const again = await startPostgres({ dataDir: path.join(dir, 'pg'), port: server.port });
  t.teardown(() => again.stop());
  t.same(
    await query(again.url, 'SELECT v FROM kept'),
    [{ v: 'survives' }],
    'a new handle reuses an initialised data dir',
  );
});

t.test('a password switches the cluster to SCRAM; ephemeral skips fsync', async (t) => {
  const dir = await tmp(t);
  const server = await startPostgres({
    dataDir: path.join(dir, 'pg'),
    user: 'hs',
    password: 's3cret/!',
    database: 'other',
    ephemeral: true,
  });
  t.teardown(() => server.stop());
  t.same(await query(server.url, 'SHOW fsync'), [{ fsync: 'off' }]);
  t.match(server.url, /^postgres:\/\/hs:s3cret%2F!@127\.0\.0\.1:\d+\/other$/);
  const [row] = await query<{ user: string }>(server.url, 'SELECT current_user AS user');
  t.equal(row?.user, 'hs');
  await t.rejects(
    query(`postgres://hs:wrong@127.0.0.1:${server.port}/other`, 'SELECT 1'),
    /password authentication failed/,
  );
});
