// Polling helper: tests wait for an outcome, never for a fixed time.

import { inspect } from 'node:util';

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** What was awaited, for the timeout error. */
  message?: string;
}

/**
 * Calls `fn` until it returns a truthy value and resolves with it. A throw counts as "not yet";
 * the last one is quoted (and kept as the cause) when the time is up.
 */
/** What a truthy check leaves of T. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await fn();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why =
        lastError === undefined ? '' : `: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`;
      throw new Error(`${opts.message ?? 'condition not met'} (waited ${timeoutMs} ms)${why}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
