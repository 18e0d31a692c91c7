// A role process under the supervisor (supervisor.ts), over its IPC channel: it says when it is
// ready, hands its metrics to the api's /metrics, and the api's /readyz covers the other processes.
import type { ReadinessCheck } from '@hookstream/app-api';
import { type Metrics, mergeMetrics } from '@hookstream/observability';

export type ToSupervisor =
  | { type: 'hs:ready' }
  /** The api asks for the other processes' metrics. */
  | { type: 'hs:metrics?'; id: number }
  /** A process's answer to the supervisor's ask. */
  | { type: 'hs:metrics'; id: number; metrics: unknown[] };

export type ToChild =
  | { type: 'hs:processes'; processes: Record<string, string> }
  | { type: 'hs:metrics?'; id: number }
  /** To the api: the other processes' registries. */
  | { type: 'hs:metrics'; id: number; metrics: unknown[][] };

export interface Supervised {
  /** Metrics whose render() covers every process (the api's); the others' own. */
  metrics: Metrics;
  /** The other processes as a readiness check; none until the supervisor said something. */
  readiness(this: void): Record<string, ReadinessCheck>;
  ready(): void;
}

const ASK_TIMEOUT_MS = 5_000;

/** null when this process has no supervisor. */
export function underSupervisor(metrics: Metrics, onLost: () => void): Supervised | null {
  if (!process.send || !process.connected) return null;
  const send = (m: ToSupervisor) => void process.send?.(m, undefined, {}, () => {});
  let processes: Record<string, string> | null = null;
  let next = 1;
  const waiting = new Map<number, (parts: unknown[][]) => void>();
  process.on('message', (raw: unknown) => {
    const m = raw as ToChild;
    if (m.type === 'hs:processes') processes = m.processes;
    else if (m.type === 'hs:metrics?')
      void metrics.registry.getMetricsAsJSON().then((json) => send({ type: 'hs:metrics', id: m.id, metrics: json }));
    else if (m.type === 'hs:metrics') waiting.get(m.id)?.(m.metrics);
  });
  // The supervisor is gone (killed without a chance to stop us): stop rather than run on unwatched.
  process.once('disconnect', onLost);
  const others = (): Promise<unknown[][]> =>
    new Promise((resolve) => {
      const id = next++;
      const timer = setTimeout(() => done([]), ASK_TIMEOUT_MS);
      const done = (parts: unknown[][]) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(parts);
      };
      waiting.set(id, done);
      send({ type: 'hs:metrics?', id });
    });
  return {
    metrics: {
      ...metrics,
      render: async () =>
        mergeMetrics([await metrics.registry.getMetricsAsJSON(), ...((await others()) as object[][])]),
    },
    readiness(): Record<string, ReadinessCheck> {
      if (!processes) return {};
      const entries = Object.entries(processes);
      const ok = entries.every(([, state]) => state === 'ready');
      return {
        processes: { ok, required: true, detail: entries.map(([name, state]) => `${name}=${state}`).join(' ') },
      };
    },
    ready: () => send({ type: 'hs:ready' }),
  };
}
