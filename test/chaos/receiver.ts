// The runner's side of the receiver process: start it, switch fault modes, read its log.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Mode, Profile } from './topology.ts';

/** One request the receiver got. s: the status written to the socket, or null if none was. */
export interface Receipt {
  p: Profile;
  /** event id, delivery id, attempt (from the x-hookstream-* headers) */
  e: string;
  d: string;
  a: number;
  s: number | null;
  /** received at, answered (or given up) at: ms since the epoch */
  t: number;
  end: number;
}

export interface ReceiverProcess {
  url: string;
  setMode(p: Profile, mode: Mode, ms: number): Promise<void>;
  clearModes(): Promise<void>;
  /** Every receipt so far. */
  receipts(): Promise<Receipt[]>;
  stop(): Promise<void>;
}

export async function startReceiverProcess(opts: { seed: number; logFile: string }): Promise<ReceiverProcess> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'receiver-process.ts')], {
    env: { ...process.env, CHAOS_SEED: String(opts.seed) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  child.stderr.pipe(log);
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) =>
      reject(new Error(`receiver exited (${code}) before it listened; see ${opts.logFile}`)),
    );
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`receiver ${method} ${p}: ${res.status}`);
    return res.json();
  };
  const all: Receipt[] = [];
  return {
    url: base,
    setMode: async (p, mode, ms) => void (await call('PUT', `/_mode/${p}`, { mode, ms })),
    clearModes: async () => void (await call('DELETE', '/_mode')),
    async receipts() {
      const r = (await call('GET', `/_log?from=${all.length}`)) as { receipts: Receipt[] };
      all.push(...r.receipts);
      return [...all];
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      log.end();
    },
  };
}
