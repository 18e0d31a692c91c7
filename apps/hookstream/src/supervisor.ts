// `make run` without ROLES: the roles in processes of their own under this one (ADR 0019). The api
// runs alone, so ingest never waits behind routing, delivery or projection on one event loop; the
// others lower their CPU priority (priority.ts), so on shared cores the api comes first. This
// process starts the embedded services once, migrates, and hands every child the same NATS_URL,
// DATABASE_URL and secrets key; it restarts a child that dies, with backoff, and stops them in
// order on SIGTERM: the api first (no new events), the projection last (it records the others' work).
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { type Role, type Settings, childEnvironment } from '@hookstream/config';
import { connectBroker, ensureTopology } from '@hookstream/broker';
import type { Logger } from '@hookstream/observability';
import { createPool, migrate } from '@hookstream/store';
import { startServices } from './embedded.ts';
import { keyringFor } from './secrets.ts';
import { type ToChild, type ToSupervisor } from './supervised.ts';

export interface Group {
  name: string;
  roles: readonly Role[];
}

/**
 * Stop order. Router and deliverer need only NATS, so their process never loads pg; projector and
 * jobs share the Postgres side.
 */
export const GROUPS: readonly Group[] = [
  { name: 'api', roles: ['api'] },
  { name: 'delivery', roles: ['router', 'deliverer'] },
  { name: 'projection', roles: ['projector', 'jobs'] },
];

const MAIN = path.join(import.meta.dirname, 'main.ts');
/** A child that ran this long before it died starts again at once; sooner, the wait doubles. */
const STABLE_MS = 60_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const STOP_TIMEOUT_MS = 70_000;
const METRICS_TIMEOUT_MS = 2_000;

type State = 'starting' | 'ready' | 'restarting' | 'stopped';

interface Slot {
  group: Group;
  env: Record<string, string | undefined>;
  child: ChildProcess | null;
  state: State;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
}

export interface Supervisor {
  /** Pid of each running child, by group name. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function supervise(settings: Readonly<Settings>, log: Logger): Promise<Supervisor> {
  const groups = GROUPS.map((g) => ({ ...g, roles: g.roles.filter((r) => settings.roles.includes(r)) })).filter(
    (g) => g.roles.length > 0,
  );
  const needsDb = groups.some((g) => g.roles.some((r) => r !== 'router' && r !== 'deliverer'));
  // The key file of the embedded default is created here, once, not by three children at a time.
  const keyring = await keyringFor(settings, log);
  const services = await startServices(settings, log, { nats: true, database: needsDb });
  try {
    if (services.databaseUrl && !settings.databaseUrl) {
      const pool = createPool(services.databaseUrl, {});
      await migrate(pool).finally(() => pool.end());
    }
    // Streams and buckets once, before the children race to create them.
    const broker = await connectBroker({
      servers: (services.natsUrl as string).split(','),
      name: 'hookstream:supervisor',
    });
    await ensureTopology(broker, {
      replicas: settings.streamReplicas,
      duplicateWindowS: settings.duplicateWindowS,
    }).finally(() => broker.close());
  } catch (err) {
    await services.stop();
    throw err;
  }

  // PUBLIC_URL as this process derived it from PORT: the children's own PORT differs.
  const shared: Record<string, string> = {
    PROCESSES: 'single',
    NATS_URL: services.natsUrl as string,
    PUBLIC_URL: settings.publicUrl,
  };
  if (services.databaseUrl) shared.DATABASE_URL = services.databaseUrl;
  if (keyring.file && !settings.secretsKey && !settings.secretsKeyFile) shared.SECRETS_KEY_FILE = keyring.file;

  let stopping = false;
  const slots: Slot[] = groups.map((group) => ({
    group,
    // Only the api listens on PORT; the others' /metrics and /readyz reach operators through it.
    env: childEnvironment({
      ...shared,
      ROLES: group.roles.join(','),
      PORT: group.name === 'api' ? String(settings.port) : '0',
    }),
    child: null,
    state: 'starting',
    startedAt: 0,
    backoffMs: FIRST_BACKOFF_MS,
    restarts: 0,
    timer: null,
  }));
  const apiSlot = slots.find((s) => s.group.name === 'api');

  const send = (slot: Slot | undefined, msg: ToChild): void => {
    if (slot?.child?.connected) slot.child.send(msg, (err) => void err);
  };
  const tellApi = (): void => {
    const processes = Object.fromEntries(slots.filter((s) => s !== apiSlot).map((s) => [s.group.name, s.state]));
    send(apiSlot, { type: 'hs:processes', processes });
  };
  const setState = (slot: Slot, state: State): void => {
    slot.state = state;
    tellApi();
  };

  // The api's /metrics: every other child's registry, merged into the api's (supervised.ts).
  let nextAsk = 1;
  const asked = new Map<number, { slot: Slot; done(json: unknown[] | null): void }>();
  const collect = async (id: number): Promise<void> => {
    const others = slots.filter((s) => s !== apiSlot && s.child?.connected);
    const replies = await Promise.all(
      others.map(
        (slot) =>
          new Promise<unknown[] | null>((resolve) => {
            const ask = nextAsk++;
            const timer = setTimeout(() => done(null), METRICS_TIMEOUT_MS);
            const done = (json: unknown[] | null) => {
              clearTimeout(timer);
              asked.delete(ask);
              resolve(json);
            };
            asked.set(ask, { slot, done });
            send(slot, { type: 'hs:metrics?', id: ask });
          }),
      ),
    );
    send(apiSlot, { type: 'hs:metrics', id, metrics: replies.filter((r): r is unknown[] => r !== null) });
  };

  const start = (slot: Slot): void => {
    slot.timer = null;
    const child = fork(MAIN, ['run'], {
      env: slot.env,
      // Its own process group: a Ctrl-C on the terminal reaches this process, which stops the
      // children in order. A child whose supervisor died stops on the IPC channel's disconnect.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    slot.child = child;
    slot.startedAt = Date.now();
    setState(slot, slot.restarts > 0 ? 'restarting' : 'starting');
    child.on('message', (raw: unknown) => {
      const m = raw as ToSupervisor;
      if (m.type === 'hs:ready') {
        setState(slot, 'ready');
        log.info({ process: slot.group.name, pid: child.pid, roles: slot.group.roles }, 'role process ready');
      } else if (m.type === 'hs:metrics?') void collect(m.id);
      else if (m.type === 'hs:metrics') asked.get(m.id)?.done(m.metrics);
    });
    child.on('error', (err) => log.error({ err, process: slot.group.name }, 'role process error'));
    child.once('exit', (code, signal) => {
      slot.child = null;
      if (stopping) return;
      // Quick deaths in a row wait longer each time; one that ran a while starts again at once.
      if (Date.now() - slot.startedAt > STABLE_MS) slot.backoffMs = FIRST_BACKOFF_MS;
      const waitMs = slot.backoffMs;
      slot.backoffMs = Math.min(MAX_BACKOFF_MS, slot.backoffMs * 2);
      slot.restarts++;
      setState(slot, 'restarting');
      log.error(
        { process: slot.group.name, roles: slot.group.roles, code, signal, restart_in_ms: waitMs },
        'role process exited; restarting it',
      );
      slot.timer = setTimeout(() => start(slot), waitMs);
    });
  };
  for (const slot of slots) start(slot);

  return {
    pids: () =>
      Object.fromEntries(slots.filter((s) => s.child?.pid).map((s) => [s.group.name, s.child?.pid as number])),
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const slot of slots) {
        if (slot.timer) clearTimeout(slot.timer);
        const child = slot.child;
        if (!child) continue;
        const done = exited(child);
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await done;
        clearTimeout(force);
        slot.state = 'stopped';
        log.debug({ process: slot.group.name }, 'role process stopped');
      }
      await services.stop();
    },
  };
}
