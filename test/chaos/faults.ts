// The fault injector: at random (seeded) times it kill -9s a role process and starts it again,
// restarts nats-server (or kills it), stops and starts Postgres, and switches a destination into
// failing, hanging or 429 mode for a while. Faults overlap, except that NATS and Postgres have one
// outage at a time each.
import type { Rng } from './prng.ts';
import type { ReceiverProcess } from './receiver.ts';
import { type Infra, type RoleName, type Supervisor, sleep } from './services.ts';
import { type Mode, PROFILES } from './topology.ts';

export type FaultKind = `kill_${RoleName}` | 'nats_restart' | 'nats_kill' | 'postgres_restart' | `dest_${Mode}`;

export interface FaultOptions {
  /** Mean gap between two faults. */
  meanGapMs: number;
  /** How long a destination stays in a fault mode: [min, max]. */
  modeMs: [number, number];
  /** How long NATS / Postgres stay down: [min, max]. */
  natsDownMs: [number, number];
  pgDownMs: [number, number];
  /** Include kill -9 of nats-server (JetStream then recovers its store on start). */
  natsKill: boolean;
}

export interface FaultLog {
  counts: Partial<Record<FaultKind, number>>;
  /** One line per fault, with the time since the run began. */
  lines: string[];
  errors: string[];
}

export interface FaultContext {
  supervisor: Supervisor;
  infra: Infra;
  receiver: ReceiverProcess;
  rng: Rng;
  t0: number;
}

/** Runs faults until `signal` aborts, then waits for every outage in progress to end. */
export async function injectFaults(ctx: FaultContext, o: FaultOptions, signal: AbortSignal): Promise<FaultLog> {
  const { rng } = ctx;
  const log: FaultLog = { counts: {}, lines: [], errors: [] };
  const running = new Set<Promise<void>>();
  let natsBusy = false;
  let pgBusy = false;
  const note = (kind: FaultKind, detail: string) => {
    log.counts[kind] = (log.counts[kind] ?? 0) + 1;
    log.lines.push(`+${((Date.now() - ctx.t0) / 1000).toFixed(1)}s ${kind} ${detail}`);
  };
  const run = (what: string, task: () => Promise<void>) => {
    const p = task().catch((err: unknown) => void log.errors.push(`${what}: ${(err as Error).message}`));
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  type Kind = 'kill' | 'nats' | 'postgres' | 'dest';
  const kinds: Array<readonly [Kind, number]> = [
    ['kill', 5],
    ['nats', 1.2],
    ['postgres', 1],
    ['dest', 4],
  ];
  // Every kind of fault (and a kill of every role) comes once, in seeded order, before the
  // weighted draw: a short run still covers them all.
  const roles = [...new Set(ctx.supervisor.slots.map((s) => s.role))];
  const planned: Array<{ kind: Kind; role?: RoleName }> = [
    ...roles.map((role) => ({ kind: 'kill' as const, role })),
    { kind: 'nats' },
    { kind: 'postgres' },
    { kind: 'dest' },
  ];
  const first = planned
    .map((f) => ({ f, r: rng.next() }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.f);

  while (!signal.aborted) {
    await sleep(Math.min(rng.exp(o.meanGapMs), 4 * o.meanGapMs), signal);
    if (signal.aborted) break;
    const next = first.shift() ?? { kind: rng.weighted(kinds) };
    const kind = next.kind;
    if (kind === 'kill') {
      const slot = rng.pick(next.role ? ctx.supervisor.byRole(next.role) : ctx.supervisor.slots);
      const downMs = rng.int(200, 3_000);
      if (ctx.supervisor.canKill(slot)) {
        note(`kill_${slot.role}`, `${slot.name} down ${downMs} ms`);
        run(`kill ${slot.name}`, async () => void (await ctx.supervisor.kill9(slot, downMs)));
      } else if (next.role) {
        first.push(next); // still restarting: a planned kill waits for its turn again
      }
    } else if (kind === 'nats' && !natsBusy) {
      natsBusy = true;
      const hard = o.natsKill && rng.next() < 0.3;
      const downMs = rng.int(...o.natsDownMs);
      note(hard ? 'nats_kill' : 'nats_restart', `down ${downMs} ms`);
      run('nats', async () => {
        try {
          await (hard ? ctx.infra.nats.kill() : ctx.infra.nats.stop());
          await sleep(downMs);
          await ctx.infra.nats.start();
        } finally {
          natsBusy = false;
        }
      });
    } else if (kind === 'postgres' && !pgBusy) {
      pgBusy = true;
      const downMs = rng.int(...o.pgDownMs);
      note('postgres_restart', `down ${downMs} ms`);
      run('postgres', async () => {
        try {
          await ctx.infra.pg.stop();
          await sleep(downMs);
          await ctx.infra.pg.start();
        } finally {
          pgBusy = false;
        }
      });
    } else if (kind === 'dest') {
      const profile = rng.pick(PROFILES);
      const mode = rng.pick(['fail', 'hang', 'r429'] as const);
      const ms = rng.int(...o.modeMs);
      note(`dest_${mode}`, `${profile} for ${ms} ms`);
      run(`mode ${profile}`, () => ctx.receiver.setMode(profile, mode, ms));
    }
  }
  await Promise.all(running);
  return log;
}

/** After the faults: every destination answers normally, NATS and Postgres run, every role is up. */
export async function restoreAll(ctx: FaultContext, timeoutMs: number): Promise<void> {
  await ctx.receiver.clearModes();
  await ctx.infra.nats.start();
  await ctx.infra.pg.start();
  await ctx.supervisor.allHealthy(timeoutMs);
}
