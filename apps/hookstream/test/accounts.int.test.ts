// `hookstream accounts set-plan`: the operator sets an account's plan in the config store, and the
// running API sees it. The command runs as operators run it (`node apps/hookstream/src/main.ts`).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePort } from '@hookstream/embedded';
import { startNats, waitFor } from '@hookstream/testkit';
import { apiOn, signup } from '../../api/test/harness.ts';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

function hookstream(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const nats = await startNats(t);
const h = await apiOn(t, nats.url);
const accountOf = async (auth: { authorization: string }) =>
  (await h.app.inject({ method: 'GET', url: '/v1/account', headers: auth })).json().data;

t.test('set-plan with NATS_URL: the account gets the plan, and the running API serves it', async (t) => {
  const acme = await signup(h.app, 'acme');
  const r = await hookstream(
    ['accounts', 'set-plan', acme.accountId, '--plan', 'enterprise', '--retention-days', '400'],
    { NATS_URL: nats.url },
  );
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `account ${acme.accountId} (acme): plan enterprise, retention 400 days\n`);
  await waitFor(async () => (await accountOf(acme.auth)).plan === 'enterprise', {
    timeoutMs: 10_000,
    message: 'the API sees the plan',
  });
  t.match(await accountOf(acme.auth), { id: acme.accountId, name: 'acme', plan: 'enterprise', retention_days: 400 });

  const down = await hookstream(['accounts', 'set-plan', acme.accountId, '--plan', 'pro'], { NATS_URL: nats.url });
  t.equal(down.code, 0, down.stderr);
  await waitFor(async () => (await accountOf(acme.auth)).plan === 'pro', {
    timeoutMs: 10_000,
    message: 'the API sees the plan',
  });
  t.match(await accountOf(acme.auth), { plan: 'pro', retention_days: 30 });
});

t.test('set-plan without NATS_URL uses the running embedded server (found on EMBEDDED_NATS_PORT)', async (t) => {
  const acme = await signup(h.app, 'embedded-co');
  const r = await hookstream(['accounts', 'set-plan', acme.accountId, '--plan', 'pro'], {
    EMBEDDED_NATS_PORT: String(nats.port),
  });
  t.equal(r.code, 0, r.stderr);
  await waitFor(async () => (await accountOf(acme.auth)).plan === 'pro', {
    timeoutMs: 10_000,
    message: 'the API sees the plan',
  });
});

t.test('set-plan with no server running starts the embedded one for itself and stops it', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hs-accounts-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const r = await hookstream(['accounts', 'set-plan', 'no-such-account', '--plan', 'pro'], {
    DATA_DIR: dataDir,
    EMBEDDED_NATS_PORT: String(port),
  });
  t.equal(r.code, 1, 'answered from the store: the account is not there');
  t.match(r.stderr, /account no-such-account not found/);
  const free = await new Promise<boolean>((resolve) => {
    const s = net.createServer().once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  t.ok(free, 'the embedded nats-server stopped with the command');
});

t.test('refusals: an unknown account, terms the plan does not allow, a usage mistake; nothing changes', async (t) => {
  const acme = await signup(h.app, 'steady');
  const before = await accountOf(acme.auth);
  const revision = h.catalog.view.lastRevision;

  const unknown = await hookstream(['accounts', 'set-plan', '00000000-0000-4000-8000-000000000000', '--plan', 'pro'], {
    NATS_URL: nats.url,
  });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /account 00000000-0000-4000-8000-000000000000 not found/);

  const fixed = await hookstream(['accounts', 'set-plan', acme.accountId, '--plan', 'free', '--retention-days', '30'], {
    NATS_URL: nats.url,
  });
  t.equal(fixed.code, 1);
  t.match(fixed.stderr, /fixed at 1 on the free plan/);

  const port = await freePort();
  const away = await hookstream(['accounts', 'set-plan', acme.accountId, '--plan', 'pro'], {
    NATS_URL: `nats://127.0.0.1:${port}`,
  });
  t.equal(away.code, 1, 'a NATS that does not answer ends the command rather than hanging it');
  t.match(away.stderr, new RegExp(`NATS does not answer at nats://127.0.0.1:${port}`));

  const usage = await hookstream(['accounts', 'set-plan', acme.accountId, '--plan', 'gold'], { NATS_URL: nats.url });
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--plan must be one of/);
  t.match(usage.stderr, /Usage: hookstream accounts set-plan/);

  t.equal(h.catalog.view.lastRevision, revision, 'no configuration changed');
  t.same(await accountOf(acme.auth), before);
});
