// The `hookstream` command re-executes itself with its memory sizing (heap.ts): a role process, started
// the way every launcher starts it (`node apps/hookstream/src/main.ts`), must run with them under
// the pid its launcher knows, and still stop cleanly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '@hookstream/embedded';
import { startNats, waitFor } from '@hookstream/testkit';
import { HEAP_FLAGS, MALLOC_ARENA_MAX } from '../src/heap.ts';
import { yieldToApi } from '../src/priority.ts';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');
const SEMI_SPACE = HEAP_FLAGS.find((f) => f.startsWith('--max-semi-space-size=')) as string;

async function startRouter(t: Test, natsUrl: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN, 'run'], {
    env: {
      ...env,
      ROLES: 'router',
      NATS_URL: natsUrl,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
    },
    { timeoutMs: 60_000, intervalMs: 200, message: 'the router process to be ready' },
  );
  return child;
}

/** The command line the kernel holds for a pid (after an execve, the new one). */
async function commandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

/** The environment a pid was started with (after an execve, the new one's). */
async function environment(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
}

/** The nice value of every thread of a pid (field 19 of /proc/<pid>/task/<tid>/stat). */
async function threadNice(pid: number): Promise<number[]> {
  const tids = await readdir(`/proc/${pid}/task`);
  const stats = await Promise.all(
    tids.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null)),
  );
  return stats
    .filter((s): s is string => s !== null)
    .map((s) => Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]));
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

t.test(
  'given a role started without heap flags, when it is ready, then its own pid runs with them and SIGTERM stops it cleanly',
  async (t) => {
    const nats = await startNats(t);
    const child = await startRouter(t, nats.url);
    const args = await commandLine(child.pid as number);
    for (const flag of HEAP_FLAGS) t.ok(args.includes(flag), `runs with ${flag}`);
    t.ok(args.includes(MAIN), 'still the hookstream command');
    t.ok(
      (await environment(child.pid as number)).includes(`MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}`),
      'with glibc malloc arenas bounded',
    );
    const exit = stopped(child);
    child.kill('SIGTERM');
    t.equal(await exit, 0, 'the signal reached the re-executed process, which stopped gracefully');
  },
);

t.test(
  "given the operator's own heap flag in NODE_OPTIONS and malloc arenas, when the role starts, then those values are kept",
  async (t) => {
    const nats = await startNats(t);
    const child = await startRouter(t, nats.url, { NODE_OPTIONS: '--max-old-space-size=700', MALLOC_ARENA_MAX: '4' });
    const args = await commandLine(child.pid as number);
    t.ok(args.includes(SEMI_SPACE), 'the flag it did not set is added');
    t.notOk(
      args.some((a) => a.startsWith('--max-old-space-size')),
      'its own --max-old-space-size is not overridden',
    );
    t.ok((await environment(child.pid as number)).includes('MALLOC_ARENA_MAX=4'), 'its own MALLOC_ARENA_MAX is kept');
  },
);

t.test(
  'given a process without the api role, when it is ready, then every one of its threads runs at BACKGROUND_NICE',
  async (t) => {
    const nats = await startNats(t);
    const child = await startRouter(t, nats.url, { BACKGROUND_NICE: '7' });
    const nice = await threadNice(child.pid as number);
    t.ok(nice.length > 1, `several threads (${nice.length})`);
    t.same([...new Set(nice)], [7], 'V8, libuv and the main thread all yield');
    const later = await threadNice(child.pid as number);
    t.same([...new Set(later)], [7], 'threads started since inherit it');
  },
);

t.test('given BACKGROUND_NICE=0, when a background role starts, then its priority is left alone', async (t) => {
  const nats = await startNats(t);
  const child = await startRouter(t, nats.url, { BACKGROUND_NICE: '0' });
  t.same([...new Set(await threadNice(child.pid as number))], [0]);
});

t.test('given a process with the api role, then yieldToApi leaves it alone', async (t) => {
  const before = await threadNice(process.pid);
  t.equal(yieldToApi(['api', 'router'], 10), null);
  t.same(await threadNice(process.pid), before, 'no thread changed');
});
