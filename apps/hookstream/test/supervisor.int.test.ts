// `hookstream run` without ROLES, as `make run` starts it: the roles in processes of their own under
// one supervisor, on the embedded default. Ingest reaches a receiver through them, a killed role
// process comes back, and SIGTERM leaves no process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePort } from '@hookstream/embedded';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client } from '../../../test/e2e/harness.ts';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

/** Direct children of a pid. */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
}

/** The role processes among the children: ROLES from each one's environment, by pid. */
async function roleProcesses(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const child of await childrenOf(pid)) {
    const env = (await readFile(`/proc/${child}/environ`, 'utf8').catch(() => '')).split('\0');
    const roles = env.find((e) => e.startsWith('ROLES='));
    if (roles) out.set(roles.slice('ROLES='.length), child);
  }
  return out;
}

/** The nice value of a process's main thread. */
async function nice(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]);
}

t.test(
  'given make run without ROLES, then the roles run in supervised processes, deliver end to end, come back when killed and stop on SIGTERM',
  async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hs-supervisor-'));
    // As root Postgres runs as 'postgres', which must enter mkdtemp's 0700 folder.
    await chmod(dataDir, 0o755);
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'run'], {
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_NATS_PORT: String(await freePort()),
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        ALLOW_PRIVATE_DESTINATIONS: 'true',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const supervisor = child.pid as number;

    const readyz = async (): Promise<{ status: number; json: any }> => {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, json: await res.json() };
    };
    const ready = () =>
      waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output}`);
          const r = await readyz().catch(() => null);
          return r?.status === 200 ? r.json : null;
        },
        { timeoutMs: 120_000, intervalMs: 250, message: 'every role process to be ready' },
      );
    const first = await ready();
    t.match(first.data.checks.processes, { ok: true, required: true }, '/readyz covers the other processes');

    const roles = await roleProcesses(supervisor);
    t.same(
      [...roles.keys()].sort(),
      ['api', 'projector,jobs', 'router,deliverer'],
      'three role processes under the supervisor',
    );
    t.equal(await nice(roles.get('api') as number), 0, 'the api keeps its priority');
    t.equal(await nice(roles.get('router,deliverer') as number), 10, 'the others yield to it');

    const receiver = await startReceiver(t);
    const anon = client(url);
    const acct = await anon.call('POST', '/v1/accounts', { name: 'supervised' });
    const api = client(url, acct.json.data.api_key);
    const src = (await api.call('POST', '/v1/sources', { name: 'in' })).json.data;
    const dst = (await api.call('POST', '/v1/destinations', { name: 'out', url: receiver.url })).json.data;
    t.equal((await api.call('POST', '/v1/routes', { source_id: src.id, destination_id: dst.id })).status, 201);
    const delivered = async (body: string): Promise<string> => {
      const r = await anon.ingest(src.path_token, body, { 'content-type': 'application/json' });
      t.equal(r.status, 202, 'ingest accepted it');
      const id = r.json.data.id as string;
      await waitFor(() => receiver.requests.some((q) => q.headers['x-hookstream-event-id'] === id), {
        timeoutMs: 60_000,
        message: `event ${id} at the receiver`,
      });
      return id;
    };
    const id = await delivered('{"n":1}');
    await waitFor(async () => (await api.call('GET', `/v1/events/${id}`)).json.data?.status === 'delivered', {
      timeoutMs: 60_000,
      message: 'the event projected as delivered',
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    t.match(
      metrics,
      /hookstream_router_events_total\{[^}]*\} [1-9]/,
      "the api's /metrics includes the router process's counters",
    );

    // A role process dies: the supervisor starts it again and readiness says so meanwhile.
    const killed = roles.get('router,deliverer') as number;
    process.kill(killed, 'SIGKILL');
    await waitFor(async () => (await roleProcesses(supervisor)).get('router,deliverer') !== killed, {
      timeoutMs: 30_000,
      message: 'a new router+deliverer process',
    });
    await ready();
    const again = await roleProcesses(supervisor);
    t.not(again.get('router,deliverer'), killed, 'it was restarted under a new pid');
    await waitFor(() => /role process exited; restarting it/.test(output), {
      timeoutMs: 10_000,
      message: 'the exit in the log',
    });
    t.match(output, /"process":"delivery".*"signal":"SIGKILL"/, 'the exit was logged, with the process and the signal');
    await delivered('{"n":2}');

    const all = [...(await childrenOf(supervisor))];
    t.ok(all.length >= 5, `role processes and embedded servers (${all.length} children)`);
    child.kill('SIGTERM');
    t.equal(await exited, 0, 'SIGTERM stops the supervisor cleanly');
    // The watchdog of the embedded servers (a shell) sees its end of the pipe close a moment later.
    const left = async () => (await Promise.all(all.map(async (pid) => ((await running(pid)) ? [pid] : [])))).flat();
    await waitFor(async () => (await left()).length === 0, { timeoutMs: 10_000, message: 'every child gone' }).catch(
      () => {},
    );
    const still = await left();
    t.same(
      still,
      [],
      `every child stopped with it${still.length ? `; left: ${(await Promise.all(still.map((p) => readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')))).join(' | ')}` : ''}`,
    );
  },
);
