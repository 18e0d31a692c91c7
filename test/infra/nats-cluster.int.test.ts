// The shipped NATS configs really form a 3-node JetStream cluster: started on loopback as the files'
// header says (same files; ports, routes and store overridden), the nodes route to each other and
// elect a JetStream meta leader over all three.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { findNatsServer, freePort } from '@hookstream/embedded';
import { waitFor } from '@hookstream/testkit';

const INFRA = path.resolve(import.meta.dirname, '../../infra');

interface Node {
  name: string;
  client: number;
  monitor: number;
  cluster: number;
}

async function getJson(port: number, endpoint: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}/${endpoint}`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as Record<string, unknown>;
}

t.test('nats-1..3.conf start a JetStream cluster of three', async (t) => {
  const bin = findNatsServer();
  if (!bin) throw new Error('nats-server is required (see README)');
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-nats-cluster-'));
  let nodes: Node[] = [];
  let children: ChildProcess[] = [];
  const output: string[] = [];
  const stopAll = () =>
    Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  t.teardown(async () => {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  // A free port can be taken by another test process before nats-server binds it: a node that
  // exits while the cluster forms is started again, with every node, on new ports.
  for (let attempt = 1; ; attempt++) {
    nodes = [];
    for (const name of ['nats-1', 'nats-2', 'nats-3'])
      nodes.push({ name, client: await freePort(), monitor: await freePort(), cluster: await freePort() });
    const routes = nodes.map((n) => `nats://127.0.0.1:${n.cluster}`).join(',');
    children = nodes.map((n) => {
      const args = [
        '-c',
        path.join(INFRA, `nats/${n.name}.conf`),
        '-a',
        '127.0.0.1',
        '-p',
        String(n.client),
        '-m',
        String(n.monitor),
        '--cluster',
        `nats://127.0.0.1:${n.cluster}`,
        '--routes',
        routes,
      ];
      const child = spawn(bin, args, {
        env: { ...process.env, NATS_STORE_DIR: path.join(dir, `${n.name}-${attempt}`) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
      child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
      return child;
    });
    const up = await waitFor(
      async () => {
        if (children.some((c) => c.exitCode !== null)) return 'exited';
        const ready = await Promise.all(
          nodes.map((n) =>
            getJson(n.monitor, 'healthz').then(
              () => true,
              () => false,
            ),
          ),
        );
        return ready.every(Boolean) ? 'up' : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'three nats-server processes listening' },
    );
    if (up === 'up') break;
    await stopAll();
    if (attempt === 3) throw new Error(`a node exited at start three times:\n${output.join('')}`);
    t.comment(`a node exited at start (attempt ${attempt}); starting the three again on new ports`);
  }

  for (const n of nodes) {
    const jsz = await waitFor(
      async () => {
        const j = (await getJson(n.monitor, 'jsz')) as {
          meta_cluster?: { name?: string; leader?: string; cluster_size?: number };
        };
        return j.meta_cluster?.leader && j.meta_cluster.cluster_size === 3 ? j : null;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `${n.name} sees a JetStream meta leader over 3 nodes\n${output.join('')}`,
      },
    );
    t.equal(jsz.meta_cluster?.name, 'hookstream', `${n.name} is in the hookstream cluster`);
    t.ok(['nats-1', 'nats-2', 'nats-3'].includes(jsz.meta_cluster?.leader ?? ''), 'the leader is one of the three');

    const varz = (await getJson(n.monitor, 'varz')) as {
      server_name?: string;
      max_payload?: number;
      port?: number;
      cluster?: { name?: string };
    };
    t.equal(varz.server_name, n.name, 'the server name comes from its file');
    t.equal(varz.max_payload, 8 * 1024 * 1024, 'max_payload 8MB');
    t.equal(varz.port, n.client, 'the client port was overridden');
    const routez = await waitFor(
      async () => {
        const r = (await getJson(n.monitor, 'routez')) as { num_routes?: number };
        return (r.num_routes ?? 0) >= 2 ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `${n.name} routes to both other nodes` },
    );
    t.ok((routez.num_routes ?? 0) >= 2, `${n.name} has routes to the two others`);
  }
});
