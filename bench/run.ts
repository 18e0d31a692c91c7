// `make bench`: starts its own nats-server and Postgres, measures this machine's raw limits, runs
// Hookstream's scenarios against them (one process per role, load generators and receivers in
// processes of their own), writes bench/results/latest.json (the previous one becomes
// previous.json) and prints each figure beside its target and the raw limit of the same run.
// Not a test: it reports, it does not pass or fail. docs/performance.md says how to read it.
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Ctx, type ReceiverInfo } from './lib/context.ts';
import { type GoProfileSummary, startGoProfiler, summarizeGoProfile } from './lib/go-profile.ts';
import { type ProfileSummary, monotonicUs, summarizeProfile } from './lib/profile.ts';
import { startServer } from './lib/procs.ts';
import {
  baselineDefects,
  ceiling,
  compare,
  figures,
  render,
  renderCosts,
  renderGoProfile,
  renderProfile,
  renderSyscalls,
} from './lib/report.ts';
import { startServices } from './lib/services.ts';
import { load, machine } from './lib/sys.ts';
import { ROLES, type Role, System } from './lib/system.ts';
import { FULL, QUICK, readOptions } from './options.ts';
import { runQuery, runRebuild } from './scenarios/data.ts';
import { runBacklog, runFanout } from './scenarios/isolation.ts';
import { runDefault, runE2e, runIngest, runSustained } from './scenarios/pipeline.ts';
import { runRaw } from './scenarios/raw.ts';
import { FANOUT, setUp } from './scenarios/setup.ts';

const opts = readOptions(process.argv.slice(2), process.env);
const NATS = 'nats-server';
const profiled = opts.profile.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
const profileNats = opts.profile.includes(NATS);
if (profiled.length + (profileNats ? 1 : 0) !== opts.profile.length) {
  console.error(`--profile takes roles among ${[...ROLES, NATS].join(', ')}; got ${opts.profile.join(', ')}`);
  process.exit(2);
}
const latestFile = path.join(opts.resultsDir, 'latest.json');

async function printComparison(file: string, latest: Record<string, unknown>): Promise<void> {
  let previous: { figures?: unknown; plan?: string; load_start?: number[] };
  try {
    previous = JSON.parse(await readFile(file, 'utf8')) as typeof previous;
  } catch (err) {
    console.log(`\nno comparison: cannot read ${file} (${(err as Error).message})`);
    return;
  }
  const c = compare(
    latest.figures as ReturnType<typeof figures>,
    (previous.figures ?? []) as ReturnType<typeof figures>,
  );
  console.log(
    `\nCompared with ${file} (${previous.plan ?? '?'} run, load ${String(previous.load_start ?? '?')} at its start):\n${c.text}`,
  );
  if (previous.plan !== latest.plan)
    console.log(
      `The two runs used different plans (${previous.plan} / ${String(latest.plan)}): windows and counts differ.`,
    );
  console.log(
    `${c.regressions} regression(s) beyond 10% (worse by >10%, and so is the ratio to the raw limit where there is one).`,
  );
}

if (opts.compareOnly) {
  await printComparison(
    opts.compare as string,
    JSON.parse(await readFile(latestFile, 'utf8')) as Record<string, unknown>,
  );
  process.exit(0);
}

const plan = opts.quick ? QUICK : FULL;
const t0 = Date.now();
const log = (msg: string) => console.log(`[bench +${Math.round((Date.now() - t0) / 1000)}s] ${msg}`);
const want = (section: string) => !opts.only || opts.only.has(section);

log(`plan: ${plan.label}; load average ${load().join(' ')} on ${machine().cpus} cores`);
const services = await startServices({ profileNats });
log(
  `nats-server ${services.natsUrl}, postgres ${services.pg.url.replace(/\/\/[^@]*@/, '//')}, data in ${services.dir}`,
);
const receiver = await startServer<ReceiverInfo>('receiver.ts', { origins: FANOUT });
const ctx: Ctx = { plan, services, receiver, system: null, log, cpu: {}, cost: {}, syscalls: {} };
const results: Record<string, unknown> = {
  version: 1,
  plan: plan.label,
  quick: opts.quick,
  started_at: new Date(t0).toISOString(),
  machine: machine(),
  load_start: load(),
};
const scenarios: Record<string, unknown> = {};
const notes: string[] = [];
// Profiled roles run under --cpu-prof from their start; only the samples inside a scenario count.
const profileDir =
  profiled.length > 0 || profileNats ? await mkdtemp(path.join(tmpdir(), 'hookstream-bench-prof-')) : null;
const windows: Array<[number, number]> = [];
// nats-server is profiled all along, in chunks; those inside the scenarios' windows count.
const natsProfiler =
  profileDir && services.natsProfileUrl ? startGoProfiler(services.natsProfileUrl, profileDir) : null;

async function section<T>(name: string, fn: () => Promise<T>): Promise<void> {
  if (!want(name)) return;
  const start = monotonicUs();
  try {
    scenarios[name] = await fn();
  } catch (err) {
    notes.push(`${name} failed: ${(err as Error).message}`);
    log(`${name} FAILED: ${(err as Error).stack ?? String(err)}`);
  }
  // A scenario that reports its measured windows (ingest: its runs, not the drains between) is
  // profiled over those; any other over its whole section.
  const own = (scenarios[name] as { windows_us?: Array<[number, number]> } | undefined)?.windows_us;
  windows.push(...(own ?? [[start, monotonicUs()]]));
}

let natsChunks: Awaited<ReturnType<NonNullable<typeof natsProfiler>['stop']>> = [];
try {
  if (want('raw')) results.raw = await runRaw(ctx);
  const hookstream = ['ingest', 'e2e', 'sustained', 'fanout', 'fanout2', 'backlog', 'rebuild', 'query', 'default'].some(
    want,
  );
  if (hookstream) {
    const system = await System.connect({
      natsUrl: services.natsUrl,
      databaseUrl: services.databaseUrl,
      dir: services.dir,
      profile: profileDir ? { dir: profileDir, roles: profiled } : null,
      baseEnv: process.env,
    });
    ctx.system = system;
    try {
      log('hookstream: api, router, deliverer and projector, one process each');
      await system.startAll();
      const setup = await setUp(ctx, system.apiUrl);
      await section('ingest', () => runIngest(ctx, setup));
      await section('e2e', () => runE2e(ctx, setup));
      await section('sustained', () => runSustained(ctx, setup));
      await section('fanout', () => runFanout(ctx, setup));
      // Two copies of the deliverer: what running a second copy of the role buys on the same cores.
      await section('fanout2', () => runFanout(ctx, setup, 2));
      await section('backlog', () => runBacklog(ctx, setup));
      system.recordPeaks();
      await section('rebuild', () => runRebuild(ctx));
      await section('query', () => runQuery(ctx, system.apiUrl));
      system.recordPeaks();
      const backlog = scenarios.backlog as { deliverer_rss_mb?: number } | undefined;
      scenarios.memory = {
        peak_rss_mb: { ...system.peakRss },
        ready_rss_mb: { ...system.readyRss },
        ...(backlog ? { deliverer_backlog_mb: backlog.deliverer_rss_mb } : {}),
      };
      // Last: it stops the one-process-per-role system and runs make run's default in its place.
      await section('default', () => runDefault(ctx, setup));
    } finally {
      await system.stopAll();
    }
  }
} finally {
  natsChunks = (await natsProfiler?.stop()) ?? [];
  await receiver.stop();
  await services.stop(opts.keep);
}

// Each role's profiles (one per process that played it) are written as it exits.
const profiles: Record<string, ProfileSummary & { dir: string }> = {};
for (const role of profileDir ? profiled : []) {
  const dir = path.join(profileDir as string, role);
  const files = (await readdir(dir).catch(() => []))
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  if (files.length > 0) profiles[role] = { dir, ...(await summarizeProfile(files, windows)) };
}
const natsProfile: (GoProfileSummary & { dir: string }) | null =
  natsChunks.length > 0 ? { dir: profileDir as string, ...(await summarizeGoProfile(natsChunks, windows)) } : null;
if (profileDir) results.profiles = { ...profiles, ...(natsProfile ? { [NATS]: natsProfile } : {}) };

results.scenarios = scenarios;
results.cpu = ctx.cpu;
results.cost = ctx.cost;
results.syscalls = ctx.syscalls;
results.ceiling = ceiling(ctx.cost, machine().cpus);
// A fixed rate the machine barely holds measures queueing, not the pipeline's latency.
const e2eIdle = ctx.cpu.e2e?.idle;
if (e2eIdle !== undefined && e2eIdle < 20 * machine().cpus) {
  notes.push(
    `the end-to-end run left ${e2eIdle}% of one core idle (under a fifth of the machine): at 1,000/s this machine had little room, and its latencies include queueing; compare them with runs whose machine had room, and the ratios and CPU costs with any run`,
  );
}
results.load_end = load();
results.duration_s = Math.round((Date.now() - t0) / 1000);
results.figures = figures(results);
notes.push(...baselineDefects(results.figures as ReturnType<typeof figures>));
results.notes = notes;

await mkdir(opts.resultsDir, { recursive: true });
await copyFile(latestFile, path.join(opts.resultsDir, 'previous.json')).catch(() => {});
await writeFile(latestFile, JSON.stringify(results, null, 2) + '\n');

console.log(`\nHookstream bench — ${plan.label}`);
console.log(
  `${machine().cpus} cores (${machine().cpu_model}), Node ${process.version}; load average ${String(results.load_start)} at start, ${String(results.load_end)} at the end; ${String(results.duration_s)} s.`,
);
console.log(render(results.figures as ReturnType<typeof figures>));
console.log(
  '\nCPU by process during each measured window (% of one core; 200% = this whole machine; "others" = processes outside the bench):',
);
for (const [scenario, shares] of Object.entries(ctx.cpu)) {
  console.log(
    `  ${scenario.padEnd(24)} ${Object.entries(shares)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}
console.log('\nCPU cost per unit of work (µs of CPU per event, request, delivery…; contention inflates it somewhat):');
console.log(renderCosts(ctx.cost));
console.log(
  '\nSystem calls per unit of work (reads / writes per event, request, delivery…: how well each process batches its I/O):',
);
console.log(renderSyscalls(ctx.syscalls));
const c = results.ceiling as ReturnType<typeof ceiling>;
if (c) {
  console.log(
    `\nFrom the 1,000/s run: the pipeline spends ${c.total_us} µs of CPU per event (${Object.entries(c.per_process_us)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}).` +
      `\nOn ${c.cores} otherwise idle cores that caps end-to-end at about ${c.cores_bound_per_s.toLocaleString('en')}/s (all cores busy), and the busiest single-threaded process (${c.busiest}) at ${c.busiest_bound_per_s.toLocaleString('en')}/s: an estimate, not a measurement.`,
  );
}
for (const [role, p] of Object.entries(profiles)) console.log(`\n${renderProfile(role, p)}`);
if (natsProfile) console.log(`\n${renderGoProfile(NATS, natsProfile)}`);
for (const n of notes) console.log(`NOTE: ${n}`);
console.log(`\nwritten: ${latestFile}`);
if (opts.compare) await printComparison(opts.compare, results);
