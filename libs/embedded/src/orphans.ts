// A server left running by a start of ours that died (SIGKILL, the OOM killer, a power-cycled
// watchdog) holds its data directory, pid file and port, and the next start would fail on them.
// The next start recognises such a server by its pid file and data directory, stops it cleanly and
// goes on. It never signals a process that is not one of ours: the pid must run the expected
// program on our data, and the start that launched it (its owner, recorded beside the pid file)
// must be gone — a server whose owner still runs it is in use, and that is an error to report.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { type ProcessInfo, processInfo, stillRunning } from './procfs.ts';
import { sleep } from './process.ts';

export interface OrphanCheck {
  /** 'postgres', 'nats-server': for messages. */
  name: string;
  /** The data directory the server would run on, for messages. */
  dataDir: string;
  /** The pid the server's own pid file names, or null when there is none. */
  pid: number | null;
  /** Whether this process is that server on our data (argv, working directory). */
  isOurs(info: ProcessInfo): boolean;
  /** Where the start that launched the server recorded itself. */
  ownerFile: string;
  /** Signal, then wait so many ms for the exit, then the next. */
  steps: Array<[NodeJS.Signals, number]>;
  log?: (line: string) => void;
}

interface Owner {
  pid: number;
  startTime: string;
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    const o = JSON.parse(await readFile(file, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.startTime === 'string' ? { pid: o.pid, startTime: o.startTime } : null;
  } catch {
    return null;
  }
}

/** Record this process as the owner of the server it is about to launch. */
export async function recordOwner(file: string): Promise<void> {
  const me = await processInfo(process.pid);
  if (me) await writeFile(file, JSON.stringify({ pid: me.pid, startTime: me.startTime }) + '\n');
}

export async function forgetOwner(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Stops the server `check.pid` names when it is an orphan of ours; returns its pid then, null when
 * there was nothing of ours to stop. Throws when the server is ours and its owner still runs it, or
 * when it does not exit.
 */
export async function stopOrphan(check: OrphanCheck): Promise<number | null> {
  if (check.pid === null || check.pid === process.pid) return null;
  const info = await processInfo(check.pid);
  if (!info || !check.isOurs(info)) return null;
  const owner = await readOwner(check.ownerFile);
  if (owner && owner.pid === info.ppid && (await stillRunning(owner.pid, owner.startTime))) {
    if (owner.pid === process.pid) return null; // our own server: the caller knows it
    throw new Error(
      `${check.name} on ${check.dataDir} is in use by the running process ${owner.pid}, which started it; stop that process first, or use another DATA_DIR`,
    );
  }
  check.log?.(`stopping ${check.name} (pid ${info.pid}) left running on ${check.dataDir} by an earlier start`);
  for (const [signal, waitMs] of check.steps) {
    if (!(await stillRunning(info.pid, info.startTime))) return info.pid;
    try {
      process.kill(info.pid, signal);
    } catch {
      return info.pid; // gone meanwhile
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline;) {
      if (!(await stillRunning(info.pid, info.startTime))) return info.pid;
      await sleep(50);
    }
  }
  if (await stillRunning(info.pid, info.startTime))
    throw new Error(`${check.name} (pid ${info.pid}) on ${check.dataDir} did not exit`);
  return info.pid;
}
