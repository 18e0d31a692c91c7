// Child-process plumbing shared by the embedded servers: signal on exit, wait for exit with a
// deadline, and keep the tail of a child's log so a failed start can say why.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';

const killOnExitSignals = new Map<ChildProcess, NodeJS.Signals>();
let exitHookInstalled = false;

/**
 * Signal `child` when this process exits so an embedded server does not outlive its parent.
 * Only a synchronous signal is possible in 'exit'; the child finishes its shutdown on its own.
 * Returns the function that forgets the child again.
 */
export function signalOnExit(child: ChildProcess, signal: NodeJS.Signals): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const [c, s] of killOnExitSignals) {
        if (!hasExited(c)) c.kill(s);
      }
    });
  }
  killOnExitSignals.set(child, signal);
  return () => killOnExitSignals.delete(child);
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once `child` has exited, false after `timeoutMs` (the timer also keeps the loop alive). */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Signal, wait, escalate: each step's signal is sent only if the child is still running. */
export async function stopChild(child: ChildProcess, steps: Array<[NodeJS.Signals, number]>): Promise<void> {
  for (const [signal, waitMs] of steps) {
    if (hasExited(child)) return;
    child.kill(signal);
    if (await waitForExit(child, waitMs)) return;
  }
  if (!hasExited(child)) throw new Error(`process ${child.pid} did not exit`);
}

/** The last lines a child wrote, split on newlines whatever the chunking. */
export class LogTail {
  private lines: string[] = [];
  private partial = '';
  private readonly max: number;
  private readonly onLine: ((line: string) => void) | undefined;

  constructor(max = 40, onLine?: (line: string) => void) {
    this.max = max;
    this.onLine = onLine;
  }

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
      this.onLine?.(line);
    }
  }

  text(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}

/** Let the parent exit while a child and its log pipe are still open; the exit hook stops the child. */
export function detachFromLoop(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();
}

/** A TCP port that was free a moment ago on 127.0.0.1 (callers retry when it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
