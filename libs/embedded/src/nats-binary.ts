// Locating (and, on Debian/Ubuntu as root, installing) the nats-server binary.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export const NATS_INSTALL_HINT =
  'apt-get install -y nats-server   (Debian/Ubuntu; elsewhere download a release from https://github.com/nats-io/nats-server/releases)';

const WELL_KNOWN = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `command -v` through the shell: it searches the inherited PATH without this library reading the environment. */
function onPath(name: string): string | null {
  const res = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const found = res.status === 0 ? res.stdout.trim() : '';
  return found.startsWith('/') && isExecutable(found) ? found : null;
}

/**
 * The nats-server to run: `explicit` when given (null if it is not an executable — a configured
 * path that is wrong must not silently become another binary), else `nats-server` on PATH, else
 * the usual install locations.
 */
export function findNatsServer(explicit?: string): string | null {
  if (explicit) return isExecutable(explicit) ? explicit : null;
  return onPath('nats-server') ?? WELL_KNOWN.find(isExecutable) ?? null;
}

function run(cmd: string, args: string[], log: (s: string) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.once('error', (err) => {
      log(`${cmd}: ${err.message}`);
      resolve(false);
    });
    child.once('close', (code) => resolve(code === 0));
  });
}

/**
 * Installs nats-server with apt-get when running as root on a system that has it. Returns the
 * binary's path, or null when installing is not possible here or failed (the caller shows
 * NATS_INSTALL_HINT).
 */
export async function installNatsServer(log: (s: string) => void): Promise<string | null> {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) return null;
  log('installing nats-server: apt-get update && apt-get install -y nats-server');
  // `env` sets DEBIAN_FRONTEND for apt only, so no prompt can block the start.
  const ok =
    (await run('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'], log)) &&
    (await run('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'nats-server'], log));
  return ok ? findNatsServer() : null;
}
