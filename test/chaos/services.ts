// The system under test as separate processes: nats-server and Postgres (embedded, in a temporary
// directory), and every gateway role as its own `hookstream` process, supervised — a process that
// dies is started again, whether the fault injector killed it or it fell over by itself (which is
// counted and reported).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type NatsServerHandle,
  type PostgresHandle,
  freePort,
  startNatsServer,
  startPostgres,
} from '@hookstream/embedded';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'apps/hookstream/src/main.ts');

export type RoleName = 'api' | 'router' | 'deliverer' | 'projector';

export interface Infra {
  nats: NatsServerHandle;
  pg: PostgresHandle;
}

export async function startInfra(dir: string): Promise<Infra> {
  // As root, Postgres runs as the 'postgres' user, which must be able to enter the run directory.
  await chmod(dir, 0o755);
  const [nats, pg] = await Promise.all([
    startNatsServer({
      storeDir: path.join(dir, 'jetstream'),
      port: 0,
      monitorPort: 0,
      logFile: path.join(dir, 'nats-server.log'),
    }),
    startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true }),
  ]);
  return { nats, pg };
}

function runOnce(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`hookstream ${args.join(' ')} exited ${code}; see ${logFile}`)),
    );
  });
}

export interface Slot {
  name: string;
  role: RoleName;
  port: number;
  url: string;
  child: ChildProcess | null;
  /** Exits we did not cause, after the process had become healthy. */
  crashes: number;
  /** Starts that failed before the process became healthy (e.g. NATS down at the time). */
  failedStarts: number;
  starts: number;
  /** A start is in progress: the fault injector leaves the slot alone meanwhile. */
  restarting: boolean;
}

export class Supervisor {
  readonly slots: Slot[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly logDir: string;
  private stopping = false;
  private readonly expectedExit = new Set<ChildProcess>();

  constructor(opts: { natsUrl: string; databaseUrl: string; logDir: string; logLevel: string }) {
    this.logDir = opts.logDir;
    this.env = {
      ...process.env,
      NATS_URL: opts.natsUrl,
      DATABASE_URL: opts.databaseUrl,
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      LOG_LEVEL: opts.logLevel,
      STREAM_REPLICAS: '1',
      HOST: '127.0.0.1',
      DATA_DIR: path.join(opts.logDir, 'data'),
      // One key for every role of the run, as an operator gives one to every process.
      SECRETS_KEY: randomBytes(32).toString('base64'),
    };
  }

  async migrate(): Promise<void> {
    await mkdir(this.logDir, { recursive: true });
    return runOnce(['migrate'], this.env, path.join(this.logDir, 'migrate.log'));
  }

  async add(role: RoleName, count: number): Promise<Slot[]> {
    await mkdir(this.logDir, { recursive: true });
    const added: Slot[] = [];
    for (let i = 1; i <= count; i++) {
      const port = await freePort();
      const slot: Slot = {
        name: `${role}${i}`,
        role,
        port,
        url: `http://127.0.0.1:${port}`,
        child: null,
        crashes: 0,
        failedStarts: 0,
        starts: 0,
        restarting: false,
      };
      this.slots.push(slot);
      added.push(slot);
    }
    return added;
  }

  byRole(role: RoleName): Slot[] {
    return this.slots.filter((s) => s.role === role);
  }

  /** Spawns the slot's process and resolves once it answers /healthz (restarting it meanwhile if it dies). */
  async start(slot: Slot, timeoutMs = 120_000): Promise<void> {
    if (slot.restarting) return;
    slot.restarting = true;
    try {
      const deadline = Date.now() + timeoutMs;
      while (!this.stopping) {
        const child = this.spawn(slot);
        const healthy = await this.waitHealthy(slot, child, deadline);
        if (healthy) {
          this.watch(slot, child);
          return;
        }
        slot.failedStarts++;
        if (Date.now() > deadline)
          throw new Error(`${slot.name} did not become healthy in ${timeoutMs} ms; see ${this.logFile(slot)}`);
        await sleep(500);
      }
    } finally {
      slot.restarting = false;
    }
  }

  /** The slot runs a process and no start is in progress. */
  canKill(slot: Slot): boolean {
    return !slot.restarting && slot.child !== null && !exited(slot.child);
  }

  /** SIGTERM (the process finishes what it holds), then start again. */
  async restartGracefully(slot: Slot): Promise<void> {
    const child = slot.child;
    if (child && !exited(child)) {
      this.expectedExit.add(child);
      const gone = onExit(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    }
    await this.start(slot);
  }

  /** kill -9, then start again after `downMs`. */
  async kill9(slot: Slot, downMs: number): Promise<boolean> {
    const child = slot.child;
    if (slot.restarting || !child || exited(child)) return false;
    slot.restarting = true;
    try {
      this.expectedExit.add(child);
      const gone = onExit(child);
      child.kill('SIGKILL');
      await gone;
      await sleep(downMs);
    } finally {
      slot.restarting = false;
    }
    if (!this.stopping) await this.start(slot);
    return true;
  }

  /** Every slot has a live, healthy process (after faults: wait for restarts in progress). */
  async allHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const slot of this.slots) {
      while (!(slot.child && !exited(slot.child) && (await ping(slot.url)))) {
        if (Date.now() > deadline) throw new Error(`${slot.name} is not healthy; see ${this.logFile(slot)}`);
        await sleep(200);
      }
    }
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || exited(child)) return;
        this.expectedExit.add(child);
        const gone = onExit(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }),
    );
  }

  logFile(slot: Slot): string {
    return path.join(this.logDir, `${slot.name}.log`);
  }

  private spawn(slot: Slot): ChildProcess {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { ...this.env, ROLES: slot.role, PORT: String(slot.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(this.logFile(slot), { flags: 'a' });
    log.write(`--- start ${++slot.starts} at ${new Date().toISOString()}\n`);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    slot.child = child;
    return child;
  }

  private async waitHealthy(slot: Slot, child: ChildProcess, deadline: number): Promise<boolean> {
    while (Date.now() < deadline && !this.stopping) {
      if (exited(child)) return false;
      if (await ping(slot.url)) return true;
      await sleep(100);
    }
    if (!exited(child)) child.kill('SIGKILL');
    return false;
  }

  /** A healthy process that exits without us asking is a crash: count it, start it again. */
  private watch(slot: Slot, child: ChildProcess): void {
    child.once('exit', () => {
      if (this.stopping || this.expectedExit.has(child)) return;
      slot.crashes++;
      void sleep(1_000).then(() =>
        this.stopping || slot.child !== child ? undefined : this.start(slot).catch(() => {}),
      );
    });
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function onExit(child: ChildProcess): Promise<void> {
  return exited(child) ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
