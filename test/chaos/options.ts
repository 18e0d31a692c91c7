// The chaos run's size and knobs, from the environment (documented in test/chaos/README.md).

export interface ChaosOptions {
  events: number;
  seconds: number;
  seed: number;
  settleS: number;
  /** After a settle that ran out of time: how long to wait again once the deliverers restarted. */
  lateS: number;
  /** Events that finished only after that restart fail the run. */
  failOnLate: boolean;
  faultGapMs: number;
  natsKill: boolean;
  keep: boolean;
  /** A role process that crashes by itself (not killed by the injector) fails the run. */
  failOnCrash: boolean;
  logLevel: string;
  apis: number;
  routers: number;
  deliverers: number;
  projectors: number;
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  return raw === '1' || raw === 'true';
}

export function readOptions(env: NodeJS.ProcessEnv): ChaosOptions {
  return {
    events: int(env, 'CHAOS_EVENTS', 6_000, 1),
    seconds: int(env, 'CHAOS_SECONDS', 180, 1),
    // Unset: a fresh seed each run, printed so that a failing run can be repeated.
    seed: int(env, 'CHAOS_SEED', Math.floor(Math.random() * 2 ** 31), 0),
    settleS: int(env, 'CHAOS_SETTLE_S', 300, 1),
    lateS: int(env, 'CHAOS_LATE_S', 120, 1),
    failOnLate: bool(env, 'CHAOS_FAIL_ON_LATE', false),
    faultGapMs: int(env, 'CHAOS_FAULT_GAP_MS', 3_000, 100),
    natsKill: bool(env, 'CHAOS_NATS_KILL', true),
    keep: bool(env, 'CHAOS_KEEP', false),
    failOnCrash: bool(env, 'CHAOS_FAIL_ON_CRASH', false),
    logLevel: env.CHAOS_LOG_LEVEL || 'info',
    apis: int(env, 'CHAOS_APIS', 2, 1),
    routers: int(env, 'CHAOS_ROUTERS', 2, 1),
    deliverers: int(env, 'CHAOS_DELIVERERS', 3, 1),
    projectors: int(env, 'CHAOS_PROJECTORS', 1, 1),
  };
}
