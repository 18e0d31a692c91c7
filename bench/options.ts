// The bench's settings: command-line flags, plus QUICK=1 from the environment (the Makefile's
// bench-quick sets it). Read once, here; everything else takes a Plan.
import path from 'node:path';

export interface Options {
  quick: boolean;
  /** A previous results file to compare with (--compare FILE). */
  compare: string | null;
  /** Only compare, without running (--compare-only: latest.json against FILE). */
  compareOnly: boolean;
  /**
   * Roles started under --cpu-prof, each profile summarised over the scenarios run (--profile: the
   * api; --profile=deliverer,router or --profile deliverer,router: those), and `nats-server` for
   * Go CPU profiles of the bench's nats-server. Empty: none.
   */
  profile: string[];
  /** Run only these sections (--only raw,ingest,...). */
  only: Set<string> | null;
  /** Keep the temporary data directory (--keep). */
  keep: boolean;
  resultsDir: string;
}

export interface Plan {
  label: string;
  /** Closed-loop raw HTTP baselines: runs × seconds each (the median is reported). */
  rawRuns: number;
  rawS: number;
  jsMessages: number;
  sinkS: number;
  pgS: number;
  ingestRuns: number;
  ingestS: number;
  e2eS: number;
  sustainedProbeS: number;
  /** 0: no confirmation window (quick). */
  sustainedConfirmS: number;
  sustainedRates: number[];
  /** The sustained search stops stepping once it has used this long. */
  sustainedBudgetS: number;
  /** How long to wait for the pipeline to drain between runs. */
  drainS: number;
  fanoutEvents: number;
  /** Filling a backlog (fan-out, dead destination) stops after this long even if short of its count. */
  floodMaxS: number;
  backlog: number;
  healthyS: number;
  rebuildBudgetS: number;
  queryRows: number;
  queryS: number;
}

export const FULL: Plan = {
  label: 'full',
  rawRuns: 3,
  rawS: 8,
  jsMessages: 100_000,
  sinkS: 8,
  pgS: 8,
  ingestRuns: 3,
  ingestS: 10,
  e2eS: 30,
  sustainedProbeS: 15,
  sustainedConfirmS: 60,
  sustainedRates: [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000],
  sustainedBudgetS: 200,
  drainS: 120,
  fanoutEvents: 10_000,
  floodMaxS: 75,
  backlog: 100_000,
  healthyS: 30,
  rebuildBudgetS: 90,
  queryRows: 1_000_000,
  queryS: 15,
};

export const QUICK: Plan = {
  label: 'QUICK (shorter windows, smaller counts: indicative only)',
  rawRuns: 3,
  rawS: 2,
  jsMessages: 20_000,
  sinkS: 2,
  pgS: 2,
  ingestRuns: 1,
  ingestS: 5,
  e2eS: 8,
  sustainedProbeS: 5,
  sustainedConfirmS: 0,
  sustainedRates: [1000, 2000, 4000, 6000],
  sustainedBudgetS: 45,
  drainS: 30,
  fanoutEvents: 1_000,
  floodMaxS: 20,
  backlog: 5_000,
  healthyS: 5,
  rebuildBudgetS: 10,
  queryRows: 100_000,
  queryS: 4,
};

export const SECTIONS = [
  'raw',
  'ingest',
  'e2e',
  'sustained',
  'fanout',
  'fanout2',
  'backlog',
  'rebuild',
  'query',
  'default',
] as const;

export function readOptions(argv: readonly string[], env: Record<string, string | undefined>): Options {
  const flag = (name: string) => argv.includes(name);
  const value = (name: string): string | null => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? null) : null;
  };
  const only = value('--only');
  // --profile=ROLES, --profile ROLES, or a bare --profile (the api).
  const profileNext = value('--profile');
  const profile =
    argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length) ??
    (profileNext?.startsWith('--') === false ? profileNext : flag('--profile') ? 'api' : '');
  return {
    quick: flag('--quick') || env.QUICK === '1' || env.QUICK === 'true',
    compare: value('--compare') ?? value('--compare-only'),
    compareOnly: flag('--compare-only'),
    profile: profile.split(',').filter((r) => r !== ''),
    only: only ? new Set(only.split(',')) : null,
    keep: flag('--keep'),
    resultsDir: path.join(import.meta.dirname, 'results'),
  };
}
