// The embedded default through a crash: the gateway (with its own nats-server and Postgres under
// DATA_DIR) is SIGKILLed, as the OOM killer would, and started again on the same DATA_DIR and ports.
// The new start must come up, whatever the dead one left running, and lose nothing it accepted.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '@hookstream/embedded';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client } from '../e2e/harness.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'apps', 'hookstream', 'src', 'main.ts');

interface Setup {
  dataDir: string;
  env: Record<string, string>;
  url: string;
}

async function setup(t: Test): Promise<Setup> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hs-embedded-restart-'));
  // As root Postgres runs as 'postgres', which must enter mkdtemp's 0700 folder.
  await chmod(dataDir, 0o755);
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  return {
    dataDir,
    url: `http://127.0.0.1:${port}`,
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      // Fixed across both starts, as the defaults are: a server left running would hold them.
      EMBEDDED_NATS_PORT: String(await freePort()),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      LOG_LEVEL: 'warn',
    },
  };
}

/** Starts the gateway on the embedded default and waits until it is ready. */
async function startGatewayProcess(t: Test, s: Setup): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, 'run'], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Gracefully, so that it stops its own servers before the folder goes.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited ${child.exitCode}: ${output}`);
      const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return res?.ok ?? false;
    },
    { timeoutMs: 120_000, intervalMs: 250, message: 'the gateway to be ready' },
  );
  return child;
}

function sigkill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
}

async function pidIn(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).split('\n')[0]);
}

/** The embedded servers' pids, as their own pid files name them. */
async function servers(s: Setup): Promise<{ nats: number; postgres: number }> {
  return {
    nats: await pidIn(path.join(s.dataDir, 'nats.pid')),
    postgres: await pidIn(path.join(s.dataDir, 'postgres', 'postmaster.pid')),
  };
}

/** Every event id GET /v1/events lists, with its status. */
async function listed(api: ReturnType<typeof client>): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const r: { status: number; json: any } = await api.call(
      'GET',
      `/v1/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (r.status !== 200) throw new Error(`GET /v1/events answered ${r.status}`);
    for (const e of r.json.data as Array<{ id: string; status: string }>) all.set(e.id, e.status);
    cursor = r.json.next_cursor;
  } while (cursor);
  return all;
}

t.test(
  'given a burst of webhooks, when the gateway is SIGKILLed mid-burst and started again, then every accepted webhook is delivered and listed',
  async (t) => {
    const s = await setup(t);
    const receiver = await startReceiver(t);
    const first = await startGatewayProcess(t, s);
    const anon = client(s.url);
    const acct = await anon.call('POST', '/v1/accounts', { name: 'crash' });
    const api = client(s.url, acct.json.data.api_key);
    const src = (await api.call('POST', '/v1/sources', { name: 'burst' })).json.data;
    const dst = (await api.call('POST', '/v1/destinations', { name: 'recv', url: receiver.url })).json.data;
    t.equal((await api.call('POST', '/v1/routes', { source_id: src.id, destination_id: dst.id })).status, 201);

    // Eight senders in parallel until the gateway is gone; the kill lands while requests are in flight.
    const accepted: string[] = [];
    let n = 0;
    // A holder, not a local: a local assigned inside the sender would read as always null below.
    const kill: { done?: Promise<void> } = {};
    const sender = async (): Promise<void> => {
      for (;;) {
        const i = n++;
        try {
          const r = await anon.ingest(src.path_token, JSON.stringify({ n: i }), { 'content-type': 'application/json' });
          if (r.status === 202) accepted.push(r.json.data.id as string);
        } catch {
          return; // the gateway is gone: this request got no answer, so nothing was promised
        }
        if (accepted.length >= 150 && !kill.done) kill.done = sigkill(first);
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    await kill.done;
    t.ok(accepted.length >= 150, `${accepted.length} webhooks accepted before the kill`);

    const second = await startGatewayProcess(t, s);
    t.ok(second.pid, 'the gateway starts again on the same DATA_DIR and ports');

    const delivered = await waitFor(
      () => {
        const ids = new Set(receiver.requests.map((r) => r.headers['x-hookstream-event-id'] as string));
        return accepted.every((id) => ids.has(id)) ? ids : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, message: 'every accepted webhook at the receiver' },
    );
    t.equal(accepted.filter((id) => delivered.has(id)).length, accepted.length, 'every accepted webhook was delivered');

    const statuses = await waitFor(
      async () => {
        const all = await listed(api).catch(() => null);
        return all && accepted.every((id) => all.get(id) === 'delivered') ? all : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'every accepted webhook listed as delivered' },
    );
    t.equal(
      accepted.filter((id) => statuses.get(id) === 'delivered').length,
      accepted.length,
      'and GET /v1/events lists each as delivered',
    );
  },
);

t.test(
  'given the servers of a SIGKILLed start outlived it, when the gateway starts again, then it stops them and goes on with their data',
  async (t) => {
    const s = await setup(t);
    const first = await startGatewayProcess(t, s);
    const anon = client(s.url);
    const acct = await anon.call('POST', '/v1/accounts', { name: 'orphans' });
    const key = acct.json.data.api_key as string;
    const src = (await client(s.url, key).call('POST', '/v1/sources', { name: 'kept' })).json.data;
    const r = await anon.ingest(src.path_token, '{"before":"kill"}');
    t.equal(r.status, 202);
    const old = await servers(s);

    // Kill the watchdog first, so the servers outlive the gateway (as after a kill of everything but them).
    const children = (await readFile(`/proc/${first.pid}/task/${first.pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    for (const pid of children) {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv[0] === 'sh' && argv[1] === '-c') process.kill(pid, 'SIGKILL');
    }
    await sigkill(first);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    t.ok(await running(old.nats), 'nats-server outlived the gateway');
    t.ok(await running(old.postgres), 'postgres outlived the gateway');

    const second = await startGatewayProcess(t, s);
    t.notOk(await running(old.nats), 'the next start stopped the old nats-server');
    t.notOk(await running(old.postgres), 'and the old postgres');
    const now = await servers(s);
    t.not(now.nats, old.nats, 'and runs its own');
    t.not(now.postgres, old.postgres);

    const api = client(s.url, key);
    const sources = await api.call('GET', '/v1/sources');
    t.same(
      sources.json.data.map((x: { id: string }) => x.id),
      [src.id],
      'the account, its key and its source are still there',
    );
    await waitFor(async () => (await listed(api).catch(() => new Map())).has(r.json.data.id), {
      timeoutMs: 60_000,
      message: 'the event accepted before the kill listed',
    });

    const exited = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
    second.kill('SIGTERM');
    t.equal(await exited, 0, 'SIGTERM stops it cleanly');
    t.notOk(await running(now.nats), 'with its nats-server');
    t.notOk(await running(now.postgres), 'and its postgres');
  },
);
