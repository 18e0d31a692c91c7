import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t, { type Test } from 'tap';
import { findNatsServer, freePort, natsEnv, startNatsServer } from './index.ts';

/** Running, not merely a zombie waiting for an init that may not reap orphans. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  return !stat || !/^\d+ \(.*\) Z/.test(stat);
}

function readFileSyncSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-embedded-nats-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('findNatsServer', async (t) => {
  const found = findNatsServer();
  t.ok(found, 'a nats-server is installed on this machine');
  t.equal(findNatsServer(found ?? undefined), found, 'an explicit executable is taken as given');
  t.equal(findNatsServer('/nonexistent/nats-server'), null, 'a wrong explicit path is not replaced by another binary');
});

t.test('stores a 5 MB message, keeps it across stop/start and kill -9', async (t) => {
  const dir = await tmp(t);
  const server = await startNatsServer({ storeDir: path.join(dir, 'js') });
  t.teardown(() => server.stop());
  t.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  const port = server.port;

  const big = randomBytes(5 * 1024 * 1024);
  let nc = await connect({ servers: server.url });
  t.ok(nc.info && nc.info.max_payload >= 8 * 1024 * 1024, 'max_payload raised to 8MB');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BIG', subjects: ['big.>'] });
  const ack = await jetstream(nc).publish('big.one', big);
  t.equal(ack.seq, 1);
  await nc.close();

  const firstPid = server.pid;
  await server.stop();
  t.notOk(alive(firstPid), 'stop() waited for the process to exit');
  await server.stop(); // stopping twice is harmless

  await server.start();
  t.equal(server.port, port, 'restarted on the same port');
  t.not(server.pid, firstPid);
  nc = await connect({ servers: server.url });
  let msg = await (await jetstreamManager(nc)).streams.getMessage('BIG', { seq: 1 });
  t.ok(msg && Buffer.from(msg.data).equals(big), 'the 5 MB message survived a restart');
  t.equal((await jetstream(nc).publish('big.two', Buffer.from('after restart'))).seq, 2);
  await nc.close();

  const killedPid = server.pid;
  await server.kill();
  t.notOk(alive(killedPid), 'kill() waited for the process to die');
  await server.start();
  nc = await connect({ servers: server.url });
  const info = await (await jetstreamManager(nc)).streams.info('BIG');
  t.equal(info.state.messages, 2, 'acknowledged messages survive kill -9');
  msg = await (await jetstreamManager(nc)).streams.getMessage('BIG', { seq: 2 });
  t.equal(msg && Buffer.from(msg.data).toString(), 'after restart');
  await nc.close();
});

t.test('monitor port and JetStream readiness', async (t) => {
  const dir = await tmp(t);
  const server = await startNatsServer({ storeDir: path.join(dir, 'js'), monitorPort: 0, serverName: 'hs-monitored' });
  t.teardown(() => server.stop());
  t.ok(server.monitorPort);
  const res = await fetch(`http://127.0.0.1:${server.monitorPort}/varz`);
  const varz = (await res.json()) as { server_name: string; max_payload: number };
  t.equal(varz.server_name, 'hs-monitored');
  t.equal(varz.max_payload, 8 * 1024 * 1024);
});

t.test('profiling port: Go CPU profiles of the server, for the bench', async (t) => {
  const dir = await tmp(t);
  const server = await startNatsServer({ storeDir: path.join(dir, 'js'), profilePort: 0 });
  t.teardown(() => server.stop());
  t.ok(server.profilePort);
  const res = await fetch(`http://127.0.0.1:${server.profilePort}/debug/pprof/profile?seconds=1`);
  t.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  t.same([...body.subarray(0, 2)], [0x1f, 0x8b], 'a gzipped pprof profile');
});

t.test('on one or two cores the server runs Go code on one thread, unless GOMAXPROCS says otherwise', async (t) => {
  t.equal(natsEnv({ PATH: '/bin' }, 2).GOMAXPROCS, '1');
  t.equal(natsEnv({ PATH: '/bin' }, 1).GOMAXPROCS, '1');
  t.equal(natsEnv({ PATH: '/bin' }, 4).GOMAXPROCS, undefined, 'more cores: Go decides');
  t.equal(natsEnv({ GOMAXPROCS: '2' }, 2).GOMAXPROCS, '2', "the operator's setting wins");
  t.equal(natsEnv({ PATH: '/bin' }, 2).PATH, '/bin', 'the rest of the environment is passed on');
  const dir = await tmp(t);
  const server = await startNatsServer({ storeDir: path.join(dir, 'js') });
  t.teardown(() => server.stop());
  const environ = (readFileSyncSafe(`/proc/${server.pid}/environ`) ?? '').split('\0');
  // eslint-disable-next-line no-restricted-properties -- what the server inherits
  const expected = natsEnv(process.env, availableParallelism()).GOMAXPROCS;
  t.equal(
    environ.find((v) => v.startsWith('GOMAXPROCS='))?.slice('GOMAXPROCS='.length),
    expected,
    'what the server was started with',
  );
});

t.test('a taken port is an error that says so', async (t) => {
  const dir = await tmp(t);
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  await t.rejects(startNatsServer({ storeDir: path.join(dir, 'js'), port }), /address already in use/);
});

t.test('the server does not outlive a parent that exits', async (t) => {
  const dir = await tmp(t);
  const index = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts');
  const script = `import { startNatsServer } from ${JSON.stringify(index)};
    const s = await startNatsServer({ storeDir: ${JSON.stringify(path.join(dir, 'js'))} });
    console.log(s.pid);`; // then exits on its own: nothing keeps the loop alive
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  const pid = Number(stdout.trim());
  t.ok(pid > 0, 'the child reported the server pid');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.notOk(alive(pid), 'nats-server exited with its parent');
});
