// A nats-server child process with JetStream: config file, start, readiness, stop, kill, restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { findNatsServer, NATS_INSTALL_HINT } from './nats-binary.ts';
import { recordOwner, stopOrphan } from './orphans.ts';
import { detachFromLoop, freePort, hasExited, LogTail, signalOnExit, sleep, stopChild } from './process.ts';
import { readPidFile } from './procfs.ts';
import { stopIfWeDie } from './watchdog.ts';

export interface NatsServerOptions {
  storeDir: string;
  /** 0 or unset: a free port, kept for restarts. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A nats size such as '8MB' (the default; ingest accepts 5 MB bodies plus headers). */
  maxPayload?: string;
  /**
   * Bytes the server may hold for a client that does not read them (`max_pending`, a nats size;
   * the server's default, 64MB, when unset): past it the client is cut off as a slow consumer.
   */
  maxPending?: string;
  /** Default: derived from storeDir, so it is stable across restarts of the same store. */
  serverName?: string;
  /** HTTP monitoring port; 0 picks a free one. Readiness then also polls /healthz. */
  monitorPort?: number;
  /**
   * Go's profiling endpoints (`prof_port`: /debug/pprof/profile and the rest) on this port; 0 picks
   * a free one. For measurements only: the server then also records where goroutines block.
   */
  profilePort?: number;
  cluster?: { name: string; port: number; routes: string[] };
  binary?: string;
  /** Where the server's log goes (appended); discarded when unset. */
  logFile?: string;
  /** JetStream sync_interval (e.g. '1s' or 'always'); nats-server 2.10+ only, so only written when set. */
  syncInterval?: string;
  /**
   * Go threads (GOMAXPROCS) for this server, over natsEnv's choice: the bench measures its raw
   * limits with Go's default beside the project's.
   */
  gomaxprocs?: number;
  /** How long a start may take before it fails; default 30 s. */
  startTimeoutMs?: number;
  /** Notices, such as an earlier start's server being stopped; quiet when unset. */
  notice?: (line: string) => void;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  pid: number;
  /** The monitoring port, when one was asked for. */
  monitorPort: number | undefined;
  /** The profiling port, when one was asked for. */
  profilePort: number | undefined;
  serverName: string;
  /** SIGTERM, wait for exit, SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and store. */
  start(): Promise<void>;
}

/**
 * The server's environment. On a host of one or two cores, shared with the gateway and Postgres,
 * nats-server runs Go code on one thread (GOMAXPROCS=1) unless the operator set GOMAXPROCS: with
 * two, its threads hand work to each other and spin waiting for it, which costs CPU per event while
 * one thread is enough for the load such a host can carry.
 */
export function natsEnv(env: NodeJS.ProcessEnv, cores: number): NodeJS.ProcessEnv {
  return env.GOMAXPROCS === undefined && cores <= 2 ? { ...env, GOMAXPROCS: '1' } : env;
}

/** Graceful shutdown (it flushes the streams' files), then SIGKILL after 5 s. */
const STOP_STEPS: Array<[NodeJS.Signals, number]> = [
  ['SIGTERM', 5000],
  ['SIGKILL', 5000],
];

const SIZE = /^\d+(?:[KMG]B?)?$/i;
const PORT_RETRIES = 3;

function natsConfig(o: {
  serverName: string;
  host: string;
  port: number;
  maxPayload: string;
  maxPending: string | undefined;
  storeDir: string;
  pidFile: string;
  monitorPort: number | undefined;
  profilePort: number | undefined;
  cluster: NatsServerOptions['cluster'];
  syncInterval: string | undefined;
}): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    `server_name: ${q(o.serverName)}`,
    `host: ${q(o.host)}`,
    `port: ${o.port}`,
    // Unquoted: nats parses size suffixes only on bare numbers.
    `max_payload: ${o.maxPayload}`,
    `pid_file: ${q(o.pidFile)}`,
  ];
  if (o.maxPending) lines.push(`max_pending: ${o.maxPending}`);
  if (o.monitorPort !== undefined) lines.push(`http: ${q(`${o.host}:${o.monitorPort}`)}`);
  if (o.profilePort !== undefined) lines.push(`prof_port: ${o.profilePort}`);
  lines.push('jetstream {', `  store_dir: ${q(o.storeDir)}`);
  if (o.syncInterval) lines.push(`  sync_interval: ${q(o.syncInterval)}`);
  lines.push('}');
  if (o.cluster) {
    lines.push(
      'cluster {',
      `  name: ${q(o.cluster.name)}`,
      `  host: ${q(o.host)}`,
      `  port: ${o.cluster.port}`,
      `  routes: [${o.cluster.routes.map(q).join(', ')}]`,
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

/** Reads the INFO line a nats-server sends on connect; null if nothing usable arrives in time. */
function readInfo(host: string, port: number, timeoutMs: number): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buf = '';
    const done = (info: Record<string, unknown> | null): void => {
      socket.destroy();
      clearTimeout(timer);
      resolve(info);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('data', (chunk) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      try {
        done(line.startsWith('INFO ') ? (JSON.parse(line.slice(5)) as Record<string, unknown>) : null);
      } catch {
        done(null);
      }
    });
  });
}

function openLog(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a' });
  stream.on('error', () => {}); // a log that cannot be written must not stop the server
  return stream;
}

async function healthy(host: string, monitorPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${monitorPort}/healthz?js-enabled-only=true`, {
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a nats-server with JetStream and resolves once it accepts clients with JetStream enabled
 * (checked on the INFO it sends, and on /healthz when a monitoring port is set). Standalone servers
 * restore their streams before they listen, so that INFO means the stored data is back.
 */
export async function startNatsServer(opts: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = opts.binary ?? findNatsServer();
  if (!binary) throw new Error(`nats-server not found. Install it: ${NATS_INSTALL_HINT}`);
  const maxPayload = opts.maxPayload ?? '8MB';
  if (!SIZE.test(maxPayload)) throw new Error(`maxPayload must look like 8MB, got ${maxPayload}`);
  if (opts.maxPending !== undefined && !SIZE.test(opts.maxPending))
    throw new Error(`maxPending must look like 64MB, got ${opts.maxPending}`);
  const storeDir = path.resolve(opts.storeDir);
  const host = opts.host ?? '127.0.0.1';
  const serverName =
    opts.serverName ?? `hookstream-${createHash('sha256').update(storeDir).digest('hex').slice(0, 10)}`;
  const confPath = path.join(path.dirname(storeDir), `${path.basename(storeDir)}.conf`);
  // Beside the config: the server's own pid file, and who started it (orphans.ts).
  const pidFile = path.join(path.dirname(storeDir), `${path.basename(storeDir)}.pid`);
  const ownerFile = path.join(path.dirname(storeDir), `${path.basename(storeDir)}.owner`);
  const pickPort = !opts.port;
  let port = opts.port || (await freePort());
  const pickMonitorPort = opts.monitorPort === 0;
  let monitorPort = pickMonitorPort ? await freePort() : opts.monitorPort;
  const pickProfilePort = opts.profilePort === 0;
  let profilePort = pickProfilePort ? await freePort() : opts.profilePort;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  await mkdir(storeDir, { recursive: true });

  let child: ChildProcess | undefined;
  let everStarted = false;
  let forget = (): void => {};
  let pid = 0;

  const writeConfig = (): Promise<void> =>
    writeFile(
      confPath,
      natsConfig({
        serverName,
        host,
        port,
        maxPayload,
        maxPending: opts.maxPending,
        storeDir,
        pidFile,
        monitorPort,
        profilePort,
        cluster: opts.cluster,
        syncInterval: opts.syncInterval,
      }),
    );

  async function launchOnce(): Promise<{ ok: true } | { ok: false; portTaken: boolean; reason: string }> {
    const tail = new LogTail();
    // eslint-disable-next-line no-restricted-properties -- the child's environment, Go's variable, not a Hookstream setting
    const inherited = process.env;
    const proc = spawn(binary as string, ['-c', confPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: opts.gomaxprocs
        ? { ...inherited, GOMAXPROCS: String(opts.gomaxprocs) }
        : natsEnv(inherited, availableParallelism()),
    });
    const logStream = opts.logFile ? openLog(opts.logFile) : undefined;
    proc.once('close', () => logStream?.end());
    const onLog = (chunk: Buffer): void => {
      tail.push(chunk);
      logStream?.write(chunk);
    };
    proc.stdout?.on('data', onLog);
    proc.stderr?.on('data', onLog);
    let failed: Error | undefined;
    proc.once('error', (err) => (failed = err));
    // From its first moment: a start that dies while the server is still coming up leaves no orphan.
    await stopIfWeDie(proc, STOP_STEPS);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (failed) return { ok: false, portTaken: false, reason: failed.message };
      if (hasExited(proc)) {
        const reason = tail.text();
        return {
          ok: false,
          portTaken: /address already in use/i.test(reason),
          reason: `nats-server exited (${proc.exitCode ?? proc.signalCode}): ${reason}`,
        };
      }
      const info = await readInfo(host, port, 500);
      // The name check makes sure we reached our server, not another one that took the port.
      if (
        info &&
        info.server_name === serverName &&
        info.jetstream === true &&
        (monitorPort === undefined || (await healthy(host, monitorPort)))
      ) {
        child = proc;
        pid = proc.pid ?? 0;
        forget = signalOnExit(proc, 'SIGTERM');
        detachFromLoop(proc);
        return { ok: true };
      }
      await sleep(25);
    }
    proc.kill('SIGKILL');
    return { ok: false, portTaken: false, reason: `nats-server not ready after ${timeoutMs} ms: ${tail.text()}` };
  }

  async function start(): Promise<void> {
    if (child && !hasExited(child)) return;
    forget(); // a server that died on its own needs no exit signal any more
    // A server of ours left running by a start that died holds the store and the port.
    await stopOrphan({
      name: 'nats-server',
      dataDir: storeDir,
      pid: (await readPidFile(pidFile))?.pid ?? null,
      isOurs: (p) => p.argv.includes(confPath),
      ownerFile,
      steps: STOP_STEPS,
      ...(opts.notice ? { log: opts.notice } : {}),
    });
    await recordOwner(ownerFile);
    await writeConfig();
    for (let attempt = 1; ; attempt++) {
      const res = await launchOnce();
      if (res.ok) return;
      // A port picked by us (client or monitoring) can be taken between freePort() and the bind;
      // pick others once more.
      if (res.portTaken && (pickPort || pickMonitorPort || pickProfilePort) && !everStarted && attempt < PORT_RETRIES) {
        if (pickPort) port = await freePort();
        if (pickMonitorPort) monitorPort = await freePort();
        if (pickProfilePort) profilePort = await freePort();
        await writeConfig();
        continue;
      }
      throw new Error(res.reason);
    }
  }

  async function halt(steps: Array<[NodeJS.Signals, number]>): Promise<void> {
    const proc = child;
    if (!proc) return;
    await stopChild(proc, steps);
    forget();
    child = undefined;
  }

  const handle: NatsServerHandle = {
    get url() {
      return `nats://${host}:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return pid;
    },
    get monitorPort() {
      return monitorPort;
    },
    get profilePort() {
      return profilePort;
    },
    serverName,
    stop: () => halt(STOP_STEPS),
    kill: () => halt([['SIGKILL', 5000]]),
    async start() {
      await start();
    },
  };
  await start();
  everStarted = true;
  return handle;
}
