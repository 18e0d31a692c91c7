// What every scenario gets: the plan, the services, the receiver, the system (once started), a
// logger, and the places its results and CPU shares go.
import type { Plan } from '../options.ts';
import type { Server } from './procs.ts';
import type { Services } from './services.ts';
import { readFileSync } from 'node:fs';
import { cpuWindow, processTree } from './sys.ts';
import type { System } from './system.ts';

/** The receiver process: its main origin, one more origin per fan-out destination, its pid. */
export interface ReceiverInfo {
  url: string;
  origins: string[];
  pid: number;
}

export interface Ctx {
  plan: Plan;
  services: Services;
  receiver: Server<ReceiverInfo>;
  system: System | null;
  log(msg: string): void;
  /** Per scenario: process group → % of one core over its measured window. */
  cpu: Record<string, Record<string, number>>;
  /**
   * Per scenario: process group → CPU µs spent per unit of work (event, request, delivery,
   * message) over its window. Unlike rates, this barely depends on what else the machine runs.
   */
  cost: Record<string, { unit: string; units: number; us: Record<string, number> }>;
  /**
   * Per scenario: process group → read and write system calls per unit of work (sockets, pipes and
   * files alike), from /proc/<pid>/io. Counts, not times: they move only when the code batches
   * differently, whatever else the machine runs.
   */
  syscalls: Record<string, { unit: string; units: number; per: Record<string, { reads: number; writes: number }> }>;
}

/** read and write system calls of a set of processes so far (0 for those gone or unreadable). */
function ioCalls(pids: readonly number[]): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      reads += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0);
      writes += Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
    } catch {
      /* exited, or not ours to read */
    }
  }
  return { reads, writes };
}

const NOT_WORK = new Set(['others', 'idle']);
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Starts a CPU window over the services, the receiver, the roles and the given extra processes.
 * stop(units, unit) also records the CPU cost per unit of work done in the window.
 */
export function measureCpu(
  ctx: Ctx,
  scenario: string,
  extra: Record<string, number | number[]> = {},
): { stop(units?: number, unit?: string): Record<string, number> } {
  const pg = ctx.services.pg.pid;
  const groups: Record<string, () => { pids: number[]; root?: number }> = {
    'nats-server': () => ({ pids: [ctx.services.nats.pid] }),
    postgres: () => ({ pids: processTree(pg), root: pg }),
    receiver: () => ({ pids: [ctx.receiver.pid] }),
    bench: () => ({ pids: [process.pid] }),
  };
  for (const [role, pid] of Object.entries(ctx.system?.pids() ?? {})) groups[role] = () => ({ pids: [pid] });
  for (const [name, pid] of Object.entries(extra)) groups[name] = () => ({ pids: Array.isArray(pid) ? pid : [pid] });
  const w = cpuWindow(groups);
  const io0 = new Map(Object.entries(groups).map(([name, g]) => [name, ioCalls(g().pids)]));
  const t0 = performance.now();
  return {
    stop(units, unit = 'event') {
      const shares = w.stop();
      const elapsedS = (performance.now() - t0) / 1000;
      ctx.cpu[scenario] = shares;
      if (units && units > 0) {
        const us: Record<string, number> = {};
        for (const [name, pct] of Object.entries(shares)) {
          if (!NOT_WORK.has(name)) us[name] = Math.round(((pct / 100) * elapsedS * 1e6) / units);
        }
        ctx.cost[scenario] = { unit, units, us };
        const per: Record<string, { reads: number; writes: number }> = {};
        for (const [name, g] of Object.entries(groups)) {
          const before = io0.get(name);
          const now = ioCalls(g().pids);
          if (!before || now.reads + now.writes === 0) continue;
          per[name] = {
            reads: round2((now.reads - before.reads) / units),
            writes: round2((now.writes - before.writes) / units),
          };
        }
        ctx.syscalls[scenario] = { unit, units, per };
      }
      return shares;
    },
  };
}
