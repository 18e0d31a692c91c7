// Ingest comes first. A webhook provider waits on the api's answer and gives up or retries after
// a few seconds; routing, delivery and projection can fall behind for a while and catch up. When
// processes share a host's cores, a process that runs background roles only (router, deliverer,
// projector, jobs) lowers its CPU priority to BACKGROUND_NICE, so under contention the api takes
// the cores it needs and the backlog drains after the burst. With idle cores it changes nothing:
// nice weighs shares of a busy CPU, it does not cap anyone. A process with the api keeps its
// priority, and so does one the operator already started at a lower priority.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Role } from '@hookstream/config';

/** Linux keeps a nice value per thread: every thread that exists now (V8's and libuv's), by id. */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter(Number.isInteger);
  } catch {
    return [0];
  }
}

/**
 * Lowers this process's CPU priority to `nice` when it runs no api. Threads started later
 * inherit the value. Returns the nice value it set, or null when it left the process alone.
 */
export function yieldToApi(roles: readonly Role[], nice: number): number | null {
  if (nice <= 0 || roles.includes('api')) return null;
  let changed = false;
  for (const tid of threadIds()) {
    try {
      if (getPriority(tid) >= nice) continue;
      setPriority(tid, nice);
      changed = true;
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return changed ? nice : null;
}
