// nats-server per test file (or a 3-node cluster), each in a fresh temporary store removed at teardown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, type NatsServerHandle, type NatsServerOptions, startNatsServer } from '@hookstream/embedded';
import type { Test } from 'tap';
import { waitFor } from './wait.ts';

async function tempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A nats-server of this test's own, on a free port, with JetStream in a fresh temporary store. */
export async function startNats(t: Test, opts: Partial<NatsServerOptions> = {}): Promise<NatsServerHandle> {
  const dir = await tempDir(t, 'hs-test-nats-');
  const server = await startNatsServer({ port: 0, ...opts, storeDir: opts.storeDir ?? path.join(dir, 'jetstream') });
  t.teardown(() => server.stop());
  return server;
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number };
}

async function clusterView(
  monitorPort: number,
): Promise<{ healthy: boolean; leader: string | undefined; size: number }> {
  const base = `http://127.0.0.1:${monitorPort}`;
  const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
  const jsz = (await (await fetch(`${base}/jsz`, { signal: AbortSignal.timeout(1000) })).json()) as Jsz;
  return {
    healthy: health.ok,
    leader: jsz.meta_cluster?.leader || undefined,
    size: jsz.meta_cluster?.cluster_size ?? 0,
  };
}

/**
 * `size` nats-server processes on loopback routed into one JetStream cluster. Resolves once every
 * node is healthy and they agree on a meta leader, so replicated streams can be created at once.
 */
export async function startNatsCluster(t: Test, size = 3): Promise<{ servers: NatsServerHandle[]; urls: string[] }> {
  const dir = await tempDir(t, 'hs-test-nats-cluster-');
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const servers = await Promise.all(
    routePorts.map(async (routePort, i) => {
      const server = await startNatsServer({
        storeDir: path.join(dir, `n${i}`),
        port: 0,
        monitorPort: 0,
        serverName: `hs-test-n${i}`,
        cluster: {
          name: 'hs-test',
          port: routePort,
          routes: routePorts.filter((p) => p !== routePort).map((p) => `nats-route://127.0.0.1:${p}`),
        },
      });
      t.teardown(() => server.stop());
      return server;
    }),
  );
  await waitFor(
    async () => {
      const views = await Promise.all(servers.map((s) => clusterView(s.monitorPort as number)));
      const leader = views[0]?.leader;
      return leader && views.every((v) => v.healthy && v.leader === leader && v.size === size);
    },
    { timeoutMs: 30_000, intervalMs: 100, message: `a ${size}-node JetStream cluster with an elected meta leader` },
  );
  return { servers, urls: servers.map((s) => s.url) };
}
