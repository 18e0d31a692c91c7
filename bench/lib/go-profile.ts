// CPU profiles of nats-server (Go's pprof, from its prof_port) over the bench's measured windows.
// Go hands out a profile only for a fixed number of seconds, so the profiler takes them back to back
// in short chunks and the summary counts the chunks that lie inside the windows.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { monotonicUs } from './profile.ts';

const CHUNK_S = 5;

export interface GoChunk {
  file: string;
  /** monotonicUs() when the request was sent and when the profile came back. */
  startUs: number;
  endUs: number;
}

export interface GoProfiler {
  /** Ends the chunk in progress and returns every chunk taken. */
  stop(): Promise<GoChunk[]>;
}

/** Profiles the server behind `profileUrl` (http://host:prof_port) until stop(), into `dir`. */
export function startGoProfiler(profileUrl: string, dir: string): GoProfiler {
  const chunks: GoChunk[] = [];
  const abort = new AbortController();
  const loop = (async () => {
    for (let n = 0; !abort.signal.aborted; n++) {
      const startUs = monotonicUs();
      try {
        const res = await fetch(`${profileUrl}/debug/pprof/profile?seconds=${CHUNK_S}`, { signal: abort.signal });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.toString().slice(0, 200)}`);
        const file = path.join(dir, `nats-server.${n}.pb.gz`);
        await writeFile(file, body);
        chunks.push({ file, startUs, endUs: monotonicUs() });
      } catch (err) {
        if (abort.signal.aborted) break;
        // The server restarting, or a profile still running: try again shortly.
        console.error(`nats-server profile: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
      return chunks;
    },
  };
}

export interface GoProfileSummary {
  /** Chunks counted (inside the windows) of those taken, and the CPU time they hold. */
  chunks: number;
  chunks_taken: number;
  cpu_s: number;
  /** Shares of CPU time spent in each function itself. */
  top: Array<{ name: string; self_pct: number }>;
  /**
   * The same time charged to the innermost of nats-server's own functions on each stack: a write
   * system call or an allocation then counts for the server function that made it.
   */
  by_server_fn: Array<{ name: string; self_pct: number }>;
  /** Shares of CPU time spent in each of nats-server's own functions and what they called. */
  server: Array<{ name: string; total_pct: number }>;
}

const SERVER_PKG = 'github.com/nats-io/nats-server/v2/server.';
const SERVER_PKG_OLD = 'github.com/nats-io/nats-server/server.';
const isServer = (f: string) => f.startsWith(SERVER_PKG) || f.startsWith(SERVER_PKG_OLD);

/**
 * Self and inclusive CPU time by function over the chunks that lie at least half inside one of
 * `windows` ([start, end] in monotonicUs()); all chunks when none does.
 */
export async function summarizeGoProfile(
  chunks: readonly GoChunk[],
  windows: ReadonlyArray<readonly [number, number]>,
): Promise<GoProfileSummary> {
  const inside = (c: GoChunk) =>
    windows.some(([a, b]) => Math.min(b, c.endUs) - Math.max(a, c.startUs) >= (c.endUs - c.startUs) / 2);
  const chosen = chunks.some(inside) ? chunks.filter(inside) : chunks;
  const self = new Map<string, number>();
  const charged = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const c of chosen) {
    const p = Profile.decode(gunzipSync(await readFile(c.file)));
    const str = (i: unknown) => p.stringTable.strings[Number(i)] ?? '?';
    const fnName = new Map(p.function.map((f) => [String(f.id), str(f.name)]));
    // A location holds the inlined frames of one address, innermost first.
    const frames = new Map(
      p.location.map((l) => [String(l.id), l.line.map((x) => fnName.get(String(x.functionId)) ?? '?')]),
    );
    const cpu = p.sampleType.findIndex((t) => str(t.type) === 'cpu');
    for (const s of p.sample) {
      const ns = Number(s.value[cpu] ?? 0);
      total += ns;
      const stack = s.locationId.flatMap((id) => frames.get(String(id)) ?? []);
      const leaf = stack[0];
      if (leaf !== undefined) self.set(leaf, (self.get(leaf) ?? 0) + ns);
      const owner = stack.find(isServer) ?? '(runtime: scheduler, GC, timers)';
      charged.set(owner, (charged.get(owner) ?? 0) + ns);
      for (const f of new Set(stack)) if (isServer(f)) inclusive.set(f, (inclusive.get(f) ?? 0) + ns);
    }
  }
  const short = (f: string) => f.replace(SERVER_PKG, 'server.').replace(SERVER_PKG_OLD, 'server.');
  const pct = (ns: number) => Math.round((1000 * ns) / Math.max(1, total)) / 10;
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    chunks: chosen.length,
    chunks_taken: chunks.length,
    cpu_s: Math.round(total / 1e7) / 100,
    top: sorted(self, 25).map(([f, ns]) => ({ name: short(f), self_pct: pct(ns) })),
    by_server_fn: sorted(charged, 25).map(([f, ns]) => ({ name: short(f), self_pct: pct(ns) })),
    server: sorted(inclusive, 25).map(([f, ns]) => ({ name: short(f), total_pct: pct(ns) })),
  };
}
