// What the operating system says about the processes of a run: CPU time from /proc/<pid>/stat,
// resident memory from /proc/<pid>/status, and the machine's load. Linux only, like the bench.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

const TICKS_PER_S = 100; // CLK_TCK on Linux x86-64 and arm64

/** CPU seconds (user + system) of one process, plus those of its reaped children when `withChildren`. */
export function cpuSeconds(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: f[0] is field 3 (state); utime 14, stime 15, cutime 16, cstime 17.
    const own = Number(f[11]) + Number(f[12]);
    const reaped = withChildren ? Number(f[13]) + Number(f[14]) : 0;
    return (own + reaped) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** A process and its direct children (Postgres: the postmaster and its backends). */
export function processTree(root: number): number[] {
  const out = [root];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid !== root && parentOf(pid) === root) out.push(pid);
  }
  return out;
}

/** A group's CPU seconds: a tree root counts its reaped children too (backends that exited). */
export function groupCpuSeconds(pids: readonly number[], treeRoot?: number): number {
  let s = 0;
  for (const pid of pids) s += cpuSeconds(pid, pid === treeRoot);
  return s;
}

export interface Memory {
  rss_mb: number;
  hwm_mb: number;
}

export function memoryOf(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss_mb: kb('VmRSS') / 1024, hwm_mb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (all cores, all processes) since boot. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

export type ProcessGroups = Record<string, () => { pids: number[]; root?: number }>;

/**
 * CPU use of named process groups over a window, in % of one core (200% = both cores of this
 * machine): start() snapshots, stop() returns the shares, plus 'others': what processes outside
 * the bench used meanwhile (other people's tests on a shared machine), and 'idle'. This is the
 * evidence for "which process saturates which core".
 */
export function cpuWindow(groups: ProcessGroups): { stop(): Record<string, number> } {
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  const start = new Map<string, number>();
  for (const [name, g] of Object.entries(groups)) {
    const { pids, root } = g();
    start.set(name, groupCpuSeconds(pids, root));
  }
  return {
    stop() {
      const elapsed = (performance.now() - t0) / 1000;
      const out: Record<string, number> = {};
      let ours = 0;
      for (const [name, g] of Object.entries(groups)) {
        const { pids, root } = g();
        const used = groupCpuSeconds(pids, root) - (start.get(name) ?? 0);
        ours += used;
        out[name] = Math.round((100 * used) / elapsed);
      }
      const busy = machineBusySeconds() - busy0;
      out.others = Math.max(0, Math.round((100 * (busy - ours)) / elapsed));
      out.idle = Math.max(0, Math.round(100 * cpus().length - (100 * busy) / elapsed));
      return out;
    },
  };
}

/** Keeps the highest RSS seen per named process while running (sampled every `everyMs`). */
export function rssSampler(pids: () => Record<string, number>, everyMs = 500) {
  const peaks: Record<string, number> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids())) {
      const m = memoryOf(pid);
      if (m) peaks[name] = Math.max(peaks[name] ?? 0, m.rss_mb);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      sample();
      return Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v)]));
    },
  };
}

export function load(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    mem_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
  };
}
