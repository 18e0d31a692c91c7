// A watchdog that stops the embedded servers when the process that started them dies in a way that
// runs none of its code (SIGKILL, the OOM killer). Linux's PR_SET_PDEATHSIG is out of Node's reach,
// so a small shell process holds the read end of a pipe from us: the kernel closes our end when we
// die, however we die, and the watchdog then stops every server we told it about, with each server's
// own shutdown signal first. It checks each process's start time before every signal, so a pid that
// has since gone to another process is never signalled.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { processInfo } from './procfs.ts';

// Input: one line per server, "<pid> <start time> <signal> <ms> [<signal> <ms>]...". EOF on stdin
// means our parent is gone (or closed the pipe on its way out, having stopped its servers itself).
const SCRIPT = `
trap '' HUP INT
started() {
  s=$(cat /proc/$1/stat 2>/dev/null) || return 0
  s=\${s##*) }
  set -- $s
  case $1 in Z|X) return 0 ;; esac
  echo "\${20}"
}
stop() {
  pid=$1 start=$2
  shift 2
  while [ $# -ge 2 ]; do
    [ "$(started $pid)" = "$start" ] || return 0
    kill -s $1 $pid 2>/dev/null || return 0
    n=$(( $2 / 100 ))
    while [ $n -gt 0 ]; do
      sleep 0.1
      [ "$(started $pid)" = "$start" ] || return 0
      n=$(( n - 1 ))
    done
    shift 2
  done
}
watched=''
while IFS= read -r line; do watched="$watched
$line"; done
echo "$watched" | {
  while IFS= read -r entry; do
    [ -n "$entry" ] && stop $entry &
  done
  wait
}
`;

let watchdog: ChildProcess | null = null;

function spawnWatchdog(): ChildProcess {
  // Its own process group: a signal meant for our group (Ctrl-C) leaves it waiting for our exit.
  const child = spawn('sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.on('error', () => {}); // without sh we still have the exit hook and the next start's cleanup
  child.stdin?.on('error', () => {});
  child.once('exit', () => {
    if (watchdog === child) watchdog = null;
  });
  child.unref();
  (child.stdin as Socket | null)?.unref();
  return child;
}

/** The watchdog's pid (tests use it to see that it is there and what it does). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

/**
 * Have the watchdog stop `child` with `steps` (signal, then wait so many ms for it to exit, then the
 * next) should this process die first. Linux only (it reads /proc); elsewhere a no-op.
 */
export async function stopIfWeDie(child: ChildProcess, steps: Array<[NodeJS.Signals, number]>): Promise<void> {
  const pid = child.pid;
  if (!pid || process.platform !== 'linux') return;
  const info = await processInfo(pid);
  if (!info) return;
  watchdog ??= spawnWatchdog();
  const line = [
    pid,
    info.startTime,
    ...steps.flatMap(([signal, ms]) => [signal.replace(/^SIG/, ''), Math.max(100, Math.round(ms))]),
  ].join(' ');
  watchdog.stdin?.write(`${line}\n`);
}
