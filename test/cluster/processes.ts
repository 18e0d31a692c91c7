// Gateway roles as separate `hookstream` child processes, the way they run in production: one role
// per process, each with its own port (the API, or /healthz, /readyz and /metrics for the others).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { freePort } from '@hookstream/embedded';
import { waitFor } from '@hookstream/testkit';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'apps/hookstream/src/main.ts');

export interface RoleProcess {
  name: string;
  role: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  /** kill -9, and wait for the exit. */
  kill9(): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function onExit(child: ChildProcess): Promise<void> {
  return exited(child) ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The last `lines` lines of a log file, for failure messages. */
export async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs `hookstream <args>` to completion (e.g. migrate); rejects on a non-zero exit. */
export function runCommand(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else void tail(logFile).then((t) => reject(new Error(`hookstream ${args.join(' ')} exited ${code}:\n${t}`)));
    });
  });
}

/**
 * Spawns `hookstream` with ROLES=role on a free port and resolves once it answers /healthz. The
 * process is stopped (SIGTERM, SIGKILL after 15 s) at teardown.
 */
export async function startRole(
  t: Test,
  o: { name: string; role: string; env: NodeJS.ProcessEnv; logDir: string },
): Promise<RoleProcess> {
  const port = await freePort();
  const logFile = path.join(o.logDir, `${o.name}.log`);
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...o.env, ROLES: o.role, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  t.teardown(async () => {
    if (exited(child)) return;
    const gone = onExit(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (exited(child))
        throw new Error(`${o.name} exited (${child.exitCode ?? child.signalCode}):\n${await tail(logFile)}`);
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.ok;
    },
    { timeoutMs: 90_000, intervalMs: 200, message: `${o.name} (${o.role}) answers /healthz` },
  );
  return {
    name: o.name,
    role: o.role,
    url,
    child,
    logFile,
    async kill9() {
      const gone = onExit(child);
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Sum of a metric's samples (every label set) in a process's /metrics. */
export async function metricSum(url: string, name: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
