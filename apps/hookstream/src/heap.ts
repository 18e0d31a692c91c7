// The V8 heap sizing every `hookstream` process runs with. What it saves and costs is measured in
// docs/operations.md ("Memory of a process") and docs/performance-history.md.
//
// V8 sizes its heap for the machine, not for the program: on a large host it lets the young
// generation grow to two 64 MB semi-spaces, and the old generation to up to four times its live
// data before a full collection, so a role process peaks far above its live heap. Two flags bound that:
//  - semi-spaces of at most 16 MB: a young generation of 32 MB instead of 128 still lets most of
//    a request's or a delivery's objects die young;
//  - an old-generation ceiling of 1 GB. No role's live heap comes near it; what it changes is
//    how much garbage V8 lets pile up, as its growth factor scales with the ceiling: a full
//    collection comes at about 1.6 times the live data instead of up to 4 times. A process whose
//    live heap did pass 1 GB would stop with "JavaScript heap out of memory" rather than grow.
// Both cost CPU in the collector, mostly through the ceiling: full collections come more often.
// Outside V8's heap, glibc gives each thread that allocates its own malloc arena and rarely hands
// their memory back; V8's collector threads and libuv's pool each grow one. MALLOC_ARENA_MAX=2
// keeps them to two (other C libraries ignore the variable).
// V8 reads its flags when it creates the heap, and glibc reads the variable at start-up, so neither
// can be set from a running process: main.ts re-executes itself with them. An operator who gives a
// flag (on the command line or in NODE_OPTIONS) or the variable keeps their own value.

export const HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--max-old-space-size=1024'];
export const MALLOC_ARENA_MAX = '2';

/** `--max_old_space_size=300` and `--max-old-space-size` are the same flag to V8. */
function flagName(arg: string): string {
  return (arg.split('=')[0] as string).replace(/_/g, '-');
}

/** NODE_OPTIONS as Node reads it: arguments split on spaces, a double-quoted part kept whole (tap and others quote). */
function splitNodeOptions(value: string): string[] {
  const unquote = (arg: string) =>
    arg.replace(/"((?:\\.|[^"\\])*)"/g, (_q, inner: string) => inner.replace(/\\(.)/g, '$1'));
  return [...value.matchAll(/(?:[^\s"]|"(?:\\.|[^"\\])*")+/g)].map((m) => unquote(m[0]));
}

/**
 * The flags of HEAP_FLAGS that this process was not started with: neither on the command line
 * (`execArgv`) nor in NODE_OPTIONS. `--max-heap-size` sizes both generations, so it counts as both.
 */
export function missingHeapFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  flags: readonly string[] = HEAP_FLAGS,
): string[] {
  const given = new Set(
    [...execArgv, ...splitNodeOptions(nodeOptions ?? '')].filter((a) => a.startsWith('--')).map(flagName),
  );
  if (given.has('--max-heap-size')) return [];
  return flags.filter((f) => !given.has(flagName(f)));
}
