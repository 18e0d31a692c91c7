// Embedded servers never outlive the process that started them, and a new start clears what a dead
// one left behind, without touching any process that is not one of its servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { startNatsServer, startPostgres } from './index.ts';
import { processInfo, stillRunning } from './procfs.ts';
import { sleep } from './process.ts';

const FIXTURE = path.join(import.meta.dirname, 'orphans.fixture.ts');

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
  const info = async (pid: number): Promise<{ pid: number; startTime: string }> => ({
    pid,
    startTime: (await processInfo(pid))?.startTime ?? '',
  });
  const held = { child, nats: await info(pids.nats), postgres: await info(pids.postgres), watchdog: pids.watchdog };
  // Whatever a test leaves running goes at teardown (only these exact processes).
  t.teardown(async () => {
    for (const p of [held.nats, held.postgres])
      if (await stillRunning(p.pid, p.startTime)) process.kill(p.pid, 'SIGKILL');
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
  await t.rejects(
    access(path.join(dir, 'pg', 'postmaster.pid')),
    'postgres shut down cleanly: it removed its lock file',
  );
  const watchdog = { pid: held.watchdog, startTime: (await processInfo(held.watchdog))?.startTime ?? '' };
  t.ok(await gone(watchdog, 10_000), 'and the watchdog, its work done, exited too');
});

t.test(
  'given servers left running by a dead start, when a new start comes, then it stops them and goes on with their data',
  async (t) => {
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
    const postgres = await startPostgres({
      dataDir: path.join(dir, 'pg'),
      ephemeral: true,
      notice: (l) => notices.push(l),
    });
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
  },
);

t.test(
  'given servers whose starter still runs, when another start comes, then it is refused and they run on',
  async (t) => {
    const dir = await tmp(t);
    const held = await hold(t, dir);
    await t.rejects(
      startNatsServer({ storeDir: path.join(dir, 'nats') }),
      new RegExp(`in use by the running process ${held.child.pid}`),
    );
    await t.rejects(
      startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true }),
      new RegExp(`in use by the running process ${held.child.pid}`),
    );
    t.ok(await stillRunning(held.nats.pid, held.nats.startTime), 'nats-server runs on');
    t.ok(await stillRunning(held.postgres.pid, held.postgres.startTime), 'postgres runs on');
    await killed(held.child);
  },
);

t.test(
  'given pid files that name another program, when the servers start, then that program is left alone',
  async (t) => {
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
    t.equal(
      (await readFile(path.join(dir, 'nats.pid'), 'utf8')).trim(),
      String(nats.pid),
      'nats-server wrote its own pid file',
    );
  },
);
