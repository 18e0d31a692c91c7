// Waiting without burning attempts: a message in hand is kept alive with working() while it waits
// for a send slot, a rate-limit token or a closed circuit, so JetStream never redelivers it.

/** A counting semaphore with FIFO waiters. */
export class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = Math.max(1, Math.floor(size));
  }

  /** Resolves with a release function once a slot is held. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Calls `beat` every `everyMs` until the returned function is called. */
export function heartbeat(beat: () => void, everyMs: number): () => void {
  const timer = setInterval(() => {
    try {
      beat();
    } catch {
      /* the connection is gone; the server redelivers after AckWait, nothing to do here */
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Waits until `ready()` returns 0 (go now) — it otherwise returns the milliseconds to wait before
 * asking again. Never gives up: whoever waits holds a message alive with heartbeats meanwhile.
 */
export async function waitUntil(ready: () => number, maxStepMs = 1_000): Promise<void> {
  for (;;) {
    const wait = ready();
    if (wait <= 0) return;
    await sleep(Math.min(wait, maxStepMs));
  }
}
