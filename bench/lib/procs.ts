// The parent side of the bench's process protocol (see children/ipc.ts): every load generator,
// receiver and raw server runs in its own Node process so it never shares the measured event loop.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

const CHILDREN = path.join(import.meta.dirname, '..', 'children');

export interface OneShot<T> {
  pid: number;
  done: Promise<T>;
  kill(): void;
}

export interface Server<I> {
  pid: number;
  info: I;
  call<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

function spawnChild(script: string, args: unknown, execArgv: string[]): ChildProcess {
  return fork(path.join(CHILDREN, script), [JSON.stringify(args)], {
    execArgv: [...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Starts a child that reports one result and exits. */
export function runChild<T>(script: string, args: unknown, execArgv: string[] = []): OneShot<T> {
  const proc = spawnChild(script, args, execArgv);
  const done = new Promise<T>((resolve, reject) => {
    let settled = false;
    proc.on('message', (raw: unknown) => {
      const m = raw as { type?: string; result?: unknown; error?: string };
      if (m.type === 'result') {
        settled = true;
        resolve(m.result as T);
      } else if (m.type === 'error') {
        settled = true;
        reject(new Error(`${script}: ${m.error}`));
      }
    });
    proc.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`${script} exited (${code ?? signal}) without a result`));
    });
  });
  return { pid: proc.pid ?? 0, done, kill: () => void proc.kill('SIGKILL') };
}

/** Starts a long-lived child and resolves once it said it is ready. */
export function startServer<I>(script: string, args: unknown, execArgv: string[] = []): Promise<Server<I>> {
  const proc = spawnChild(script, args, execArgv);
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    proc.once('exit', (code, signal) => {
      const err = new Error(`${script} exited (${code ?? signal})`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      reject(err);
    });
    proc.on('message', (raw: unknown) => {
      const m = raw as { type?: string; id?: number; info?: unknown; result?: unknown; error?: string };
      if (m.type === 'ready') {
        resolve({
          pid: proc.pid ?? 0,
          info: m.info as I,
          call: <T>(cmd: string, args: Record<string, unknown> = {}) =>
            new Promise<T>((res, rej) => {
              const id = next++;
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              proc.send({ type: 'cmd', id, cmd, args });
            }),
          stop: async () => {
            if (proc.exitCode !== null || proc.signalCode !== null) return;
            const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            proc.send({ type: 'cmd', id: next++, cmd: 'exit' });
            await exited(proc);
            clearTimeout(timer);
          },
        });
      } else if (m.type === 'reply' && typeof m.id === 'number') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p?.reject(new Error(`${script} ${m.error}`));
        else p?.resolve(m.result);
      }
    });
  });
}
