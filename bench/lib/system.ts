// Hookstream under test: one process per role (api, router, deliverer, projector), started with
// the production command and settings (and so with the memory sizing main.ts gives itself), so
// that each role's CPU and memory can be read apart.
// The bench's own NATS and Postgres connections watch the pipeline (pending work, projection lag).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Broker, connectBroker } from '@hookstream/broker';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import { freePort } from '@hookstream/embedded';
import { type Pool, createPool } from '@hookstream/store';
import { MALLOC_ARENA_MAX, missingHeapFlags } from '../../apps/hookstream/src/heap.ts';
import { sleep } from './stats.ts';
import { memoryOf } from './sys.ts';

/** The bench's account is on enterprise terms (nothing expires mid-run): set by the operator. */
export const BENCH_OPERATOR_TOKEN = 'bench-operator-token-0123456789';

export const ROLES = ['api', 'router', 'deliverer', 'projector'] as const;
export type Role = (typeof ROLES)[number];
/** A process of the system: a role's first copy goes by the role's name, a further one by `<role>#<n>`. */
export type Copy = Role | `${Role}#${number}`;

function roleOf(name: Copy): Role {
  return name.split('#')[0] as Role;
}

const MAIN = path.join(import.meta.dirname, '..', '..', 'apps', 'hookstream', 'src', 'main.ts');

interface RoleProcess {
  proc: ChildProcess;
  port: number;
  log: string;
}

export interface SystemOptions {
  natsUrl: string;
  databaseUrl: string;
  dir: string;
  /** Roles run under --cpu-prof, each writing its profiles (one per process) into dir/<role>. */
  profile: { dir: string; roles: readonly Role[] } | null;
  /** The environment the roles inherit (PATH and friends), before the bench's settings. */
  baseEnv: Record<string, string | undefined>;
}

export class System {
  readonly broker: Broker;
  readonly pool: Pool;
  private readonly o: SystemOptions;
  private readonly procs = new Map<Copy, RoleProcess>();
  /** One secrets key for every role process of the run. */
  private readonly secretsKey = randomBytes(32).toString('base64');
  private apiPort = 0;
  /** Highest VmHWM (MB) seen per process name (a role, or a further copy of one), over every process that played it. */
  readonly peakRss: Record<string, number> = {};
  /** RSS (MB) of each role right after it became ready, before any load. */
  readonly readyRss: Record<string, number> = {};

  private constructor(o: SystemOptions, broker: Broker, pool: Pool) {
    this.o = o;
    this.broker = broker;
    this.pool = pool;
  }

  /** Where a profiled role writes its profiles; null when the role runs without --cpu-prof. */
  profileDir(role: Role): string | null {
    return this.o.profile?.roles.includes(role) ? path.join(this.o.profile.dir, role) : null;
  }

  static async connect(o: SystemOptions): Promise<System> {
    const broker = await connectBroker({ servers: o.natsUrl, name: 'hookstream-bench' });
    const pool = createPool(o.databaseUrl, { max: 4 });
    return new System(o, broker, pool);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  pid(name: Copy): number {
    return this.procs.get(name)?.proc.pid ?? 0;
  }

  /** Reads every running role's VmHWM (its peak resident set since it started) into peakRss. */
  recordPeaks(): void {
    for (const [role, p] of this.procs) {
      const m = p.proc.pid ? memoryOf(p.proc.pid) : null;
      if (m) this.peakRss[role] = Math.max(this.peakRss[role] ?? 0, Math.round(m.hwm_mb));
    }
  }

  pids(): Record<string, number> {
    return Object.fromEntries([...this.procs].map(([r, p]) => [r, p.proc.pid ?? 0]));
  }

  async startAll(): Promise<void> {
    // The api first: it creates the streams and the config bucket the others attach to.
    await this.start('api');
    await Promise.all((['router', 'deliverer', 'projector'] as const).map((r) => this.start(r)));
  }

  /** Starts a role's process (`name` = `<role>#2` and so on for a further copy of it) and waits until it is ready. */
  async start(name: Copy): Promise<void> {
    if (this.procs.has(name)) return;
    const role = roleOf(name);
    const port = name === 'api' && this.apiPort ? this.apiPort : await freePort();
    if (name === 'api') this.apiPort = port;
    const log = path.join(this.o.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    // A profiled role gets its memory sizing here rather than from main.ts re-executing itself: the
    // first process would write a profile of its own start-up beside the real one.
    const profileDir = this.profileDir(role);
    const profiled = profileDir !== null;
    const prof = profiled
      ? [...missingHeapFlags([], this.o.baseEnv.NODE_OPTIONS), '--cpu-prof', `--cpu-prof-dir=${profileDir}`]
      : [];
    const proc = spawn(process.execPath, [...prof, MAIN, 'run'], {
      env: {
        ...(profiled ? { MALLOC_ARENA_MAX } : {}),
        ...this.o.baseEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        NATS_URL: this.o.natsUrl,
        DATABASE_URL: this.o.databaseUrl,
        ROLES: role,
        ALLOW_PRIVATE_DESTINATIONS: 'true',
        OPERATOR_TOKEN: BENCH_OPERATOR_TOKEN,
        LOG_LEVEL: 'warn',
        STREAM_REPLICAS: '1',
        SECRETS_KEY: this.secretsKey,
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.procs.set(name, { proc, port, log });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`${name} exited at start: ${this.tail(name)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        const m = proc.pid ? memoryOf(proc.pid) : null;
        if (m && this.readyRss[name] === undefined) this.readyRss[name] = Math.round(m.rss_mb);
        return;
      }
      if (Date.now() > deadline) throw new Error(`${name} not ready after 60 s: ${this.tail(name)}`);
      await sleep(200);
    }
  }

  /** SIGTERM and wait: the role finishes in-flight work (and a profiled one writes its CPU profile). */
  async stop(name: Copy): Promise<void> {
    const p = this.procs.get(name);
    if (!p) return;
    this.recordPeaks();
    this.procs.delete(name);
    const { proc } = p;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops every role process; the bench's own connections stay open. */
  async stopRoles(): Promise<void> {
    for (const r of [...this.procs.keys()].reverse()) await this.stop(r);
  }

  /**
   * `make run`'s default on the bench's services: the command without ROLES, which supervises the
   * roles in processes of its own (apps/hookstream/src/supervisor.ts). Ready when its api says so,
   * its other processes included.
   */
  async startDefault(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
    const port = await freePort();
    const log = path.join(this.o.dir, 'default.log');
    const fd = openSync(log, 'a');
    const { ROLES: _roles, PROCESSES: _processes, ...baseEnv } = this.o.baseEnv;
    const proc = spawn(process.execPath, [MAIN, 'run'], {
      env: {
        ...baseEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        NATS_URL: this.o.natsUrl,
        DATABASE_URL: this.o.databaseUrl,
        ALLOW_PRIVATE_DESTINATIONS: 'true',
        OPERATOR_TOKEN: BENCH_OPERATOR_TOKEN,
        LOG_LEVEL: 'warn',
        STREAM_REPLICAS: '1',
        SECRETS_KEY: this.secretsKey,
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const url = `http://127.0.0.1:${port}`;
    const stop = async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
      await exited;
      clearTimeout(timer);
    };
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`the default command exited at start: ${readFileSync(log, 'utf8').slice(-2000)}`);
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return { url, pid: proc.pid ?? 0, stop };
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the default command not ready after 120 s: ${readFileSync(log, 'utf8').slice(-2000)}`);
      }
      await sleep(250);
    }
  }

  async stopAll(): Promise<void> {
    for (const r of [...this.procs.keys()].reverse()) await this.stop(r);
    await this.broker.close();
    await this.pool.end();
  }

  tail(name: Copy): string {
    const p = this.procs.get(name);
    try {
      return p ? readFileSync(p.log, 'utf8').split('\n').slice(-15).join('\n') : '';
    } catch {
      return '';
    }
  }

  /** Work not done yet: the router's backlog plus every destination's waiting and in-hand deliveries. */
  async pending(exclude: ReadonlySet<string> = new Set()): Promise<{ router: number; deliveries: number }> {
    const r = await this.broker.consumers.info(STREAMS.events, CONSUMERS.router);
    let deliveries = 0;
    for (const c of await this.broker.consumers.list(STREAMS.deliveries)) {
      if (!c.name.startsWith('dst_') || exclude.has(c.name.slice(4))) continue;
      deliveries += c.num_pending + c.num_ack_pending;
    }
    return { router: r.num_pending + r.num_ack_pending, deliveries };
  }

  /** Waiting plus in-hand deliveries of one destination. */
  async destinationBacklog(destinationId: string): Promise<number> {
    const c = await this.broker.consumers.info(STREAMS.deliveries, CONSUMERS.destination(destinationId));
    return c.num_pending + c.num_ack_pending;
  }

  async streamLastSeq(stream: string): Promise<number> {
    return this.broker.streams.lastSeq(stream);
  }

  /** Per projected stream: its last sequence and the projection's checkpoint. */
  async projection(): Promise<Record<string, { last: number; checkpoint: number }>> {
    const { rows } = await this.pool.query<{ stream: string; last_seq: string }>(
      'SELECT stream, last_seq FROM projection_checkpoints',
    );
    const cp = new Map(rows.map((r) => [r.stream, Number(r.last_seq)]));
    const out: Record<string, { last: number; checkpoint: number }> = {};
    for (const s of [STREAMS.events, STREAMS.facts, STREAMS.deadLetters]) {
      out[s] = { last: await this.streamLastSeq(s), checkpoint: cp.get(s) ?? 0 };
    }
    return out;
  }

  /** Until nothing is pending and the read models caught up (or the time is up). */
  async drain(timeoutMs: number, exclude: ReadonlySet<string> = new Set()): Promise<{ drained: boolean; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      const p = await this.pending(exclude);
      const proj = await this.projection();
      const caughtUp = Object.values(proj).every((s) => s.checkpoint >= s.last);
      if (p.router === 0 && p.deliveries === 0 && caughtUp) return { drained: true, ms: Date.now() - t0 };
      if (Date.now() - t0 > timeoutMs) return { drained: false, ms: Date.now() - t0 };
      await sleep(500);
    }
  }
}
