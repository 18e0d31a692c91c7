// Validation of outbound payloads against their event type's schema, bounded in time and memory.
//
// A tenant's schema can make one validation expensive without any regular expression: its cost is
// the payload's size times the schema's (a thousand patternProperties against sixty thousand keys,
// a wide anyOf over a long array). Validation therefore runs in a worker thread: the API's event
// loop never waits on it, and a validation that passes its time or memory limit ends with its
// worker (a fresh one takes its place) and answers a 400.
import { Worker } from 'node:worker_threads';
import type { ValidationAnswer, ValidationJob } from './schema-worker.ts';

export const VALIDATION_TIMEOUT_MS = 2_000;
export const VALIDATION_MEMORY_MB = 128;
/** Checks that may wait for a worker; past it a check answers busy at once (each holds its payload). */
export const VALIDATION_MAX_WAITING = 64;

export type ValidationResult =
  | { ok: true }
  | { ok: false; kind: 'invalid'; errors: string[] }
  | { ok: false; kind: 'unusable'; reason: string }
  | { ok: false; kind: 'too_costly'; reason: string }
  | { ok: false; kind: 'busy' };

export interface PayloadValidator {
  /** `size` is the payload's JSON size in bytes. */
  check(schema: Record<string, unknown>, payload: unknown, size: number): Promise<ValidationResult>;
  close(): Promise<void>;
}

interface Pending {
  job: ValidationJob;
  resolve: (r: ValidationResult) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: (Pending & { timer: NodeJS.Timeout }) | null;
}

export function createPayloadValidator(
  opts: { workers?: number; timeoutMs?: number; memoryMb?: number; maxWaiting?: number } = {},
): PayloadValidator {
  // One worker by default: each costs about 40 MB of memory, on top of what it validates.
  const poolSize = opts.workers ?? 1;
  const timeoutMs = opts.timeoutMs ?? VALIDATION_TIMEOUT_MS;
  const memoryMb = opts.memoryMb ?? VALIDATION_MEMORY_MB;
  const maxWaiting = opts.maxWaiting ?? VALIDATION_MAX_WAITING;
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const finish = (slot: Slot, result: ValidationResult) => {
    const cur = slot.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    slot.current = null;
    cur.resolve(result);
  };

  // A worker that failed (timeout, out of memory) is replaced; the job it held answers too_costly.
  const replace = (slot: Slot, reason: string) => {
    finish(slot, { ok: false, kind: 'too_costly', reason });
    const old = slot.worker;
    old.removeAllListeners();
    old.on('error', () => {});
    void old.terminate();
    if (closed) return;
    slot.worker = spawn(slot);
    pump();
  };

  function spawn(slot: Slot): Worker {
    const w = new Worker(new URL('./schema-worker.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    w.unref();
    slot.ready = false;
    w.on('message', (a: ValidationAnswer) => {
      if ('ready' in a) {
        slot.ready = true;
        pump();
        return;
      }
      if (!slot.current || slot.current.job.id !== a.id) return;
      finish(
        slot,
        'unusable' in a
          ? { ok: false, kind: 'unusable', reason: a.unusable }
          : a.errors.length === 0
            ? { ok: true }
            : { ok: false, kind: 'invalid', errors: a.errors },
      );
      pump();
    });
    w.on('error', (err) =>
      replace(
        slot,
        (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `it needed more than ${memoryMb} MB`
          : `it failed (${(err as Error).message})`,
      ),
    );
    w.on('exit', () => {
      if (slot.worker === w && !closed) replace(slot, 'its worker stopped');
    });
    return w;
  }

  function pump(): void {
    for (const slot of slots) {
      if (slot.current || !slot.ready) continue;
      const next = queue.shift();
      if (!next) return;
      const timer = setTimeout(() => replace(slot, `it took longer than ${timeoutMs / 1000} s`), timeoutMs);
      slot.current = { ...next, timer };
      slot.worker.postMessage(next.job);
    }
  }

  return {
    check(schema, payload, size) {
      if (closed) return Promise.reject(new Error('the payload validator is closed'));
      if (slots.length === 0) {
        for (let i = 0; i < poolSize; i++) {
          const slot = { current: null, ready: false } as unknown as Slot;
          slot.worker = spawn(slot);
          slots.push(slot);
        }
      }
      if (queue.length >= maxWaiting) return Promise.resolve({ ok: false, kind: 'busy' });
      return new Promise<ValidationResult>((resolve) => {
        queue.push({ job: { id: nextId++, schema, payload, size }, resolve });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const p of queue.splice(0))
        p.resolve({ ok: false, kind: 'too_costly', reason: 'the server is shutting down' });
      await Promise.all(
        slots.map(async (slot) => {
          finish(slot, { ok: false, kind: 'too_costly', reason: 'the server is shutting down' });
          slot.worker.removeAllListeners();
          await slot.worker.terminate();
        }),
      );
    },
  };
}
