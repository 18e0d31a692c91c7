// `hookstream [run|migrate|rebuild|accounts]` — the command users run (cli.ts). First it makes sure the
// process runs with Hookstream's memory sizing (heap.ts says why and what: V8 heap flags, glibc's
// malloc arenas). Both must be given when a process starts, so one started without them replaces
// itself with one that has them, here, before the command's modules load. Every launcher starts
// this file (make run, the container image, the bench, the tests), so all of them get the same.
import { MALLOC_ARENA_MAX, missingHeapFlags } from './heap.ts';

// eslint-disable-next-line no-restricted-properties -- Node's and glibc's variables, not Hookstream settings: an operator's own values win
const env = process.env;
const missing = missingHeapFlags(process.execArgv, env.NODE_OPTIONS);
if (missing.length > 0 || env.MALLOC_ARENA_MAX === undefined) {
  if (process.execve) {
    // execve keeps the pid and stdio: supervisors, signals and log pipes see no difference, and
    // nothing of this first start (a few ms) is left behind.
    process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], {
      ...env,
      MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? MALLOC_ARENA_MAX,
    });
  }
  console.error(
    `warning: Node ${process.version} cannot re-execute itself (process.execve needs 22.15 or later); running with V8's default heap sizing`,
  );
}

await import('./cli.ts');
