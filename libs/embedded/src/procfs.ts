// What the kernel says about a process (Linux /proc): enough to tell a process of ours from another
// one that got its pid after ours died.
import { readFile, readlink } from 'node:fs/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Clock ticks since boot: with the pid, it names one process for the machine's uptime. */
  startTime: string;
  /** Its argv as the kernel holds it. */
  argv: string[];
  /** Its working directory, or null when we may not read it. */
  cwd: string | null;
}

/**
 * The live process `pid`, or null when there is none (a zombie counts as none: it has exited, only
 * its parent has not collected it yet). Fields after the parenthesised command name are read from
 * its end, since the name itself may hold spaces and parentheses.
 */
export async function processInfo(pid: number): Promise<ProcessInfo | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 of proc(5): the state; ppid is field 4, starttime field 22.
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '', argv, cwd };
}

/** True while the process `pid` started at `startTime` runs (false once it exited or its pid went to another). */
export async function stillRunning(pid: number, startTime: string): Promise<boolean> {
  const info = await processInfo(pid);
  return info !== null && info.startTime === startTime;
}

/** The first line holding an integer in a pid file, or null. */
export async function readPidFile(file: string): Promise<{ pid: number; lines: string[] } | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const lines = text.split('\n');
  const pid = Number(lines[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? { pid, lines } : null;
}
