// Reads a V8 .cpuprofile (node --cpu-prof) and says where the self time went: by function and
// by package (a node_modules package, a Hookstream workspace folder, Node internals, GC, idle).
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  samples: number;
  /** True when only the samples inside the given windows were counted. */
  windowed: boolean;
  /** Share of samples where the thread was busy (not '(idle)'). */
  busy_pct: number;
  top: Array<{ name: string; self_pct: number }>;
  packages: Array<{ name: string; self_pct: number }>;
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0] as string;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] as string);
  }
  const ws = /\/(apps|libs)\/([^/]+)\//.exec(url);
  return ws ? `${ws[1]}/${ws[2]}` : url;
}

/** Monotonic microseconds, the clock of a profile's timestamps (CLOCK_MONOTONIC, like hrtime). */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and package, over one or more profiles of the same role (one per process
 * that played it). With `windows` ([start, end] in monotonicUs()), only the samples taken inside
 * them count: the measured runs, not the process's start-up.
 */
export async function summarizeProfile(
  files: readonly string[],
  windows: ReadonlyArray<readonly [number, number]> = [],
): Promise<ProfileSummary> {
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as {
      nodes: ProfileNode[];
      startTime: number;
      samples: number[];
      timeDeltas: number[];
    };
    const hitsOf = new Map<number, number>();
    if (windows.length > 0) {
      let t = profile.startTime;
      for (let i = 0; i < profile.samples.length; i++) {
        t += profile.timeDeltas[i] ?? 0;
        if (windows.some(([a, b]) => t >= a && t <= b)) {
          const id = profile.samples[i] as number;
          hitsOf.set(id, (hitsOf.get(id) ?? 0) + 1);
        }
      }
    }
    for (const n of profile.nodes) {
      const hits = windows.length > 0 ? (hitsOf.get(n.id) ?? 0) : (n.hitCount ?? 0);
      if (hits === 0) continue;
      total += hits;
      const { functionName, url, lineNumber } = n.callFrame;
      if (functionName === '(idle)') {
        idle += hits;
        continue;
      }
      const short = url ? `${url.replace(/^.*\/(node_modules|apps|libs)\//, '$1/')}:${lineNumber + 1}` : '';
      const name = `${functionName || '(anonymous)'} ${short}`.trim();
      byFn.set(name, (byFn.get(name) ?? 0) + hits);
      const pkg = packageOf(url, functionName);
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
    }
  }
  // No sample inside the windows (clocks that do not match): fall back to the whole profiles.
  if (windows.length > 0 && total === 0) return { ...(await summarizeProfile(files)), windowed: false };
  const busy = Math.max(1, total - idle);
  // Shares of busy time: what the CPU did when it worked.
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, self_pct: Math.round((1000 * hits) / busy) / 10 }));
  return {
    samples: total,
    windowed: windows.length > 0,
    busy_pct: Math.round((100 * (total - idle)) / Math.max(1, total)),
    top: top(byFn, 25),
    packages: top(byPkg, 15),
  };
}
