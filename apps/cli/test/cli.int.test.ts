// The CLI, run as its binary (`node apps/cli/src/main.ts …`) against the whole running system:
// table output for people, --json for scripts, exit codes, progress on stderr.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { Hookstream } from '@hookstream/sdk';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { TEST_OPERATOR_TOKEN, startSystem } from '../../../test/e2e/harness.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runner(env: Record<string, string>) {
  return (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [MAIN, ...args],
        { env: { ...env, ...extraEnv }, timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
}

t.test('hookstream-cli against a running Hookstream', async (t) => {
  const gw = await startSystem(t);
  const receiver = await startReceiver(t);
  receiver.respond((req) =>
    req.url.startsWith('/dead') ? { status: 500, body: 'down' } : { status: 200, body: 'ok' },
  );
  const url = gw.url as string;
  const anon = runner({ HOOKSTREAM_URL: url });

  // ---- help and usage
  const help = await anon(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /events tail/);
  t.match(help.stdout, /dead-letters redrive/);
  t.equal((await anon(['sources', 'frob'])).code, 2, 'unknown command');
  t.equal((await anon(['sources', 'list', '--bogus'])).code, 2, 'unknown flag');
  const noKey = await anon(['sources', 'list']);
  t.equal(noKey.code, 2);
  t.match(noKey.stderr, /HOOKSTREAM_API_KEY/);
  t.equal((await runner({})(['account', 'show', '--key', 'hk_x'])).code, 2, 'no server: a usage error');

  // ---- accounts and keys
  const refused = await anon(['accounts', 'create', 'acme', '--plan', 'pro', '--json']);
  t.equal(refused.code, 1, 'a plan is set by the operator');
  t.match(refused.stderr, /set by the operator/);
  const signup = await anon(['accounts', 'create', 'acme', '--plan', 'pro', '--json'], {
    HOOKSTREAM_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
  });
  t.equal(signup.code, 0, signup.stderr);
  const created = JSON.parse(signup.stdout);
  t.match(created.api_key, /^hk_/);
  const people = await anon(['accounts', 'create', 'other']);
  t.match(people.stdout, /^id\s+[0-9a-f-]{36}$/m, 'table mode: aligned key/value lines');
  t.match(people.stdout, /^api_key\s+hk_/m);
  t.match(people.stderr, /not shown again/);

  const cli = runner({ HOOKSTREAM_URL: url, HOOKSTREAM_API_KEY: created.api_key });
  t.match((await cli(['account', 'show'])).stdout, /^plan\s+pro$/m);
  t.match((await cli(['account', 'update', '--name', 'acme inc', '--json'])).stdout, /"name": "acme inc"/);
  t.equal(
    (await cli(['account', 'update', '--plan', 'enterprise'])).code,
    1,
    'nor a change of plan without the operator token',
  );
  const upgraded = await cli([
    'account',
    'update',
    '--plan',
    'enterprise',
    '--retention-days',
    '400',
    '--operator-token',
    TEST_OPERATOR_TOKEN,
  ]);
  t.equal(upgraded.code, 0, upgraded.stderr);
  t.match(upgraded.stdout, /^retention_days\s+400$/m);
  const key = JSON.parse((await cli(['keys', 'create', '--name', 'ci', '--json'])).stdout);
  t.match(key.key, /^hk_/);
  const keyTable = (await cli(['keys', 'list'])).stdout;
  t.match(keyTable, /^ID\s+NAME\s+PREFIX\s+ROLE\s+CREATED\s+REVOKED$/m, 'a table with a header');
  t.match(keyTable, new RegExp(`^${key.id}\\s+ci\\s`, 'm'));
  const page = JSON.parse((await cli(['keys', 'list', '--limit', '1', '--json'])).stdout);
  t.equal(page.data.length, 1);
  t.type(page.next_cursor, 'string');
  t.equal(
    JSON.parse((await cli(['keys', 'list', '--limit', '1', '--all', '--json'])).stdout).data.length,
    2,
    '--all follows cursors',
  );
  t.match((await cli(['keys', 'revoke', key.id])).stdout, `revoked ${key.id}`);
  const revoked = await runner({ HOOKSTREAM_URL: url })(['account', 'show', '--key', key.key]);
  t.equal(revoked.code, 1, 'the server refused: exit 1');
  t.match(revoked.stderr, /revoked \(unauthorized, HTTP 401\)/);

  // ---- customers and portal sessions
  const mine = JSON.parse(
    (await cli(['destinations', 'create', 'cus-dest', `${receiver.url}/cus`, '--customer', 'cus_9', '--json'])).stdout,
  );
  t.equal(mine.customer_id, 'cus_9');
  t.same(
    JSON.parse((await cli(['destinations', 'list', '--customer', 'cus_9', '--json'])).stdout).data.map(
      (d: { id: string }) => d.id,
    ),
    [mine.id],
  );
  const portal = await cli([
    'portal-sessions',
    'create',
    'cus_9',
    '--scope',
    'manage',
    '--expires-in-s',
    '600',
    '--json',
  ]);
  t.equal(portal.code, 0, portal.stderr);
  const link = JSON.parse(portal.stdout);
  t.match(link, { customer_id: 'cus_9', scope: 'manage', url: /\/portal\/[0-9a-f-]{36}\/#token=hspt_/ });
  t.match(portal.stderr, /not shown again/);
  const sessions = (await cli(['portal-sessions', 'list', '--customer', 'cus_9'])).stdout;
  t.match(sessions, /^ID\s+CUSTOMER\s+SCOPE\s+CREATED\s+EXPIRES\s+OPENED$/m);
  t.match(sessions, new RegExp(`^${link.id}\\s+cus_9\\s+manage\\s`, 'm'));
  t.notMatch(sessions, /hspt_/, 'no token in a list');
  t.equal(
    (await cli(['portal-sessions', 'create', 'cus_9', '--scope', 'admin'])).code,
    2,
    'a bad scope is a usage error',
  );
  t.match((await cli(['portal-sessions', 'revoke', link.id])).stdout, `revoked ${link.id}`);
  t.equal((await cli(['portal-sessions', 'revoke', link.id])).code, 1, 'twice: not found');
  await cli(['destinations', 'delete', mine.id]);

  // ---- sources, destinations, routes, event types
  const src = JSON.parse((await cli(['sources', 'create', 'shop', '--json'])).stdout);
  t.match(src.path_token, /^src_/);
  const spare = JSON.parse(
    (await cli(['sources', 'create', 'spare', '--provider', 'github', '--secret', 'gh', '--json'])).stdout,
  );
  t.equal(spare.auth_mode, 'shared_secret');
  t.match((await cli(['sources', 'list'])).stdout, new RegExp(`^${src.id}\\s+shop\\s+none\\s+yes\\s+http`, 'm'));
  t.match((await cli(['sources', 'show', src.id])).stdout, /^path_token\s+src_/m);
  t.match((await cli(['sources', 'update', spare.id, '--inactive'])).stdout, /^active\s+no$/m);
  t.equal((await cli(['sources', 'update', spare.id])).code, 2, 'nothing to change');
  t.match((await cli(['sources', 'delete', spare.id])).stdout, `deleted ${spare.id}`);
  const missing = await cli(['sources', 'show', spare.id, '--json']);
  t.equal(missing.code, 1);
  t.same(
    JSON.parse(missing.stdout),
    { error: 'source not found', code: 'not_found', status: 404 },
    'errors as JSON for scripts',
  );

  const dst = JSON.parse(
    (await cli(['destinations', 'create', 'orders', `${receiver.url}/orders`, '--header', 'x-team=payments', '--json']))
      .stdout,
  );
  t.match(dst.signing_secret, /^whsec_/);
  t.same(dst.headers, { 'x-team': 'payments' });
  const dead = JSON.parse(
    (await cli(['destinations', 'create', 'dead', `${receiver.url}/dead`, '--max-attempts', '1', '--json'])).stdout,
  );
  t.equal(dead.retry_policy.max_attempts, 1);
  t.match((await cli(['destinations', 'list'])).stdout, /^ID\s+NAME\s+URL\s+ACTIVE\s+ATTEMPTS\s+SIGNING\s+CUSTOMER$/m);
  t.match((await cli(['destinations', 'show', dst.id])).stdout, /^signing_secret_set\s+yes$/m);
  t.match((await cli(['destinations', 'update', dst.id, '--timeout-ms', '5000'])).stdout, /^timeout_ms\s+5000$/m);
  const rotated = JSON.parse(
    (await cli(['destinations', 'rotate-secret', dst.id, '--overlap-s', '60', '--json'])).stdout,
  );
  t.match(rotated.signing_secret, /^whsec_/);
  const tmp = JSON.parse((await cli(['destinations', 'create', 'tmp', `${receiver.url}/tmp`, '--json'])).stdout);
  t.equal((await cli(['destinations', 'delete', tmp.id])).code, 0);

  const route = JSON.parse(
    (await cli(['routes', 'create', '--source', src.id, '--destination', dst.id, '--pattern', 'order.*', '--json']))
      .stdout,
  );
  t.equal(route.event_type_pattern, 'order.*');
  await cli(['routes', 'create', '--source', src.id, '--destination', dead.id, '--pattern', 'fail.*']);
  const catchAll = JSON.parse(
    (await cli(['routes', 'create', '--destination', dst.id, '--pattern', 'invoice.*', '--json'])).stdout,
  );
  t.equal(catchAll.source_id, null, 'no --source: a catch-all route');
  t.match((await cli(['routes', 'list', '--destination', dead.id])).stdout, /fail\.\*/);
  t.match((await cli(['routes', 'show', route.id])).stdout, /^destination_id\s+/m);
  t.match((await cli(['routes', 'update', catchAll.id, '--inactive'])).stdout, /^active\s+no$/m);
  t.equal((await cli(['routes', 'delete', catchAll.id])).code, 0);
  t.equal((await cli(['routes', 'list', '--json'])).stdout.includes(catchAll.id), false);

  const type = JSON.parse(
    (await cli(['event-types', 'create', 'invoice.paid', '--schema', '{"type":"object"}', '--json'])).stdout,
  );
  t.match((await cli(['event-types', 'list'])).stdout, /invoice\.paid\s+-\s+yes/);
  t.match((await cli(['event-types', 'show', type.id])).stdout, /^name\s+invoice\.paid$/m);
  const dup = await cli(['event-types', 'create', 'invoice.paid']);
  t.equal(dup.code, 1);
  t.match(dup.stderr, /conflict, HTTP 409/);
  t.equal((await cli(['event-types', 'delete', type.id])).code, 0);

  // ---- events: tail sees a new event, list/show/replay read it
  const sdk = new Hookstream({ baseUrl: url });
  const tail = spawn(process.execPath, [MAIN, 'events', 'tail', '--interval-ms', '200', '--count', '1'], {
    env: { HOOKSTREAM_URL: url, HOOKSTREAM_API_KEY: created.api_key },
  });
  t.teardown(() => void tail.kill());
  let tailOut = '';
  let tailErr = '';
  tail.stdout.on('data', (d: Buffer) => (tailOut += d.toString()));
  tail.stderr.on('data', (d: Buffer) => (tailErr += d.toString()));
  const tailExit = new Promise<number | null>((resolve) => tail.on('exit', resolve));
  await waitFor(() => tailErr.includes('watching for new events'), { timeoutMs: 15_000, message: 'tail started' });
  const ok = await sdk.ingest(src.path_token, { id: 'o_1' }, { 'x-event-type': 'order.created' });
  t.equal(await tailExit, 0, 'tail stops after --count events');
  t.match(tailOut, /^RECEIVED\s+ID\s+DIR\s+TYPE\s+STATUS\s+DELIVERIES$/m);
  t.match(tailOut, new RegExp(`\\s${ok.id}\\s+inbound\\s+order\\.created\\s`), 'the new event, as a line');

  const okId = ok.id as string;
  await waitFor(async () => JSON.parse((await cli(['events', 'show', okId, '--json'])).stdout).status === 'delivered', {
    timeoutMs: 15_000,
  });
  t.match(
    (await cli(['events', 'list'])).stdout,
    new RegExp(`${okId}\\s+inbound\\s+order\\.created\\s+delivered\\s+1`),
  );
  t.equal(JSON.parse((await cli(['events', 'list', '--status', 'delivered', '--json'])).stdout).data[0].id, okId);
  t.equal((await cli(['events', 'list', '--status', 'nope'])).code, 2);
  t.same(
    JSON.parse((await cli(['events', 'list', '--idempotency-key', 'no-such-key', '--json'])).stdout).data,
    [],
    'the server filters by the key',
  );
  const shown = (await cli(['events', 'show', okId])).stdout;
  t.match(shown, /^status\s+delivered$/m);
  t.match(shown, /^deliveries \(1\)$/m);
  t.match(shown, new RegExp(`→ ${dst.id}\\s+delivered\\s+1 attempt`));
  t.match(shown, /^\s+#\s+STARTED\s+MS\s+HTTP\s+OUTCOME\s+ERROR$/m, 'attempts as a table');
  t.match(shown, /^\s+1\s+\S+\s+\d+\s+200\s+/m);
  t.match(shown, /"id":"o_1"/, 'the body');
  const replayed = await cli(['events', 'replay', okId]);
  t.match(replayed.stdout, new RegExp(`^replay \\S+ of ${okId}$`, 'm'));
  t.match(replayed.stdout, new RegExp(`^DELIVERY\\s+DESTINATION\\n\\S+\\s+${dst.id}$`, 'm'));

  // ---- dead letters: list and redrive
  const bad = await sdk.ingest(src.path_token, 'x', { 'x-event-type': 'fail.now' });
  const badId = bad.id as string;
  await waitFor(
    async () =>
      JSON.parse((await cli(['dead-letters', 'list', '--json'])).stdout).data.some((e: any) => e.id === badId),
    {
      timeoutMs: 20_000,
      message: 'event dead-lettered',
    },
  );
  t.match((await cli(['dead-letters', 'list'])).stdout, new RegExp(`${badId}\\s+inbound\\s+fail\\.now\\s+dead_letter`));
  const deadHits = () => receiver.requests.filter((r) => r.url.startsWith('/dead')).length;
  const before = deadHits();
  const redrive = await cli(['dead-letters', 'redrive', '--all']);
  t.equal(redrive.code, 0, redrive.stderr);
  t.match(redrive.stderr, /redrive: 1 replayed, 0 failed/, 'progress and outcome on stderr');
  t.match(redrive.stdout, new RegExp(`^${badId}\\s+\\S+\\s+1\\s+-$`, 'm'));
  await waitFor(() => deadHits() > before, { timeoutMs: 15_000, message: 'redriven delivery sent' });
  const redriveJson = JSON.parse((await cli(['dead-letters', 'redrive', badId, '--json'])).stdout);
  t.equal(redriveJson.data[0].event_id, badId);
  t.equal((await cli(['dead-letters', 'redrive'])).code, 2, 'ids or --all');

  // ---- statistics and test events
  const stats = await waitFor(
    async () => {
      const s = JSON.parse((await cli(['stats', 'show', '--range', '1h', '--json'])).stdout);
      return s.totals.dead_lettered >= 1 ? s : null;
    },
    { timeoutMs: 15_000, message: 'the dead letter counted' },
  );
  t.ok(stats.destinations.some((d: any) => d.destination_id === dead.id && d.success_rate === 0));
  const statsText = await cli(['stats', 'show']);
  t.equal(statsText.code, 0, statsText.stderr);
  t.match(statsText.stdout, new RegExp(`^dead\\s+${dead.id}\\s+\\d+\\s+0%`, 'm'), 'a row per destination');
  t.equal((await cli(['stats', 'show', '--range', '2d'])).code, 2, 'a range the API does not have');
  const probe = JSON.parse(
    (await cli(['destinations', 'test', dst.id, '--type', 'cli.test', '--payload', '{"hello":1}', '--json'])).stdout,
  );
  await waitFor(() => receiver.requests.some((r) => r.headers['x-hookstream-event-id'] === probe.event_id), {
    timeoutMs: 15_000,
    message: 'test event delivered',
  });
  t.equal((await cli(['destinations', 'test', dst.id, '--payload', '[1]'])).code, 2);
  const deadStats = await cli(['destinations', 'stats', dead.id, '--range', '1h']);
  t.equal(deadStats.code, 0, deadStats.stderr);
  t.match(deadStats.stdout, /recent failures \([1-9]\d*\)/);

  // ---- outbound
  await cli(['routes', 'create', '--destination', dst.id, '--pattern', 'invoice.*']);
  const pub = JSON.parse(
    (await cli(['outbound', 'publish', 'invoice.paid', '--payload', '{"amount":1}', '--event-id', 'inv_1', '--json']))
      .stdout,
  );
  t.equal(pub.status, 'queued');
  await waitFor(
    async () => JSON.parse((await cli(['outbound', 'show', pub.id, '--json'])).stdout).status === 'delivered',
    { timeoutMs: 15_000 },
  );
  t.match((await cli(['outbound', 'list'])).stdout, new RegExp(`${pub.id}\\s+outbound\\s+invoice\\.paid\\s+delivered`));
  t.match((await cli(['outbound', 'show', pub.id])).stdout, /^direction\s+outbound$/m);
  t.match((await cli(['outbound', 'replay', pub.id])).stdout, /^replay_id\s+\S+/m);
  t.equal((await cli(['outbound', 'publish', 'invoice.paid'])).code, 2, '--payload is required');

  // ---- bulk replays, with progress
  const since = new Date(Date.now() - 10 * 60_000).toISOString();
  const until = new Date(Date.now() + 60_000).toISOString();
  const bulk = await cli([
    'replays',
    'create',
    '--since',
    since,
    '--until',
    until,
    '--type',
    'order.created',
    '--wait',
    '--interval-ms',
    '100',
  ]);
  t.equal(bulk.code, 0, bulk.stderr);
  t.match(bulk.stderr, /^replay \S+: completed$/m, 'progress ends with the outcome');
  t.match(bulk.stdout, /^status\s+completed$/m);
  t.match(bulk.stdout, /^replayed\s+1$/m);
  const replayId = /^id\s+(\S+)$/m.exec(bulk.stdout)?.[1] as string;
  t.match((await cli(['replays', 'list'])).stdout, new RegExp(`^${replayId}\\s+completed\\s+`, 'm'));
  t.equal(JSON.parse((await cli(['replays', 'show', replayId, '--json'])).stdout).deliveries, 1);
  t.equal((await cli(['replays', 'create', '--since', since])).code, 2, '--until is required');
  const later = JSON.parse(
    (await cli(['replays', 'create', '--since', since, '--until', until, '--type', 'none', '--json'])).stdout,
  );
  const cancel = await cli(['replays', 'cancel', later.id]);
  // Cancelling races the job: cancelled, or refused because it already finished.
  if (cancel.code === 0) t.match(cancel.stdout, /^status\s+cancelled$/m);
  else t.match(cancel.stderr, /conflict, HTTP 409/);

  // ---- exports: create with progress, show, list, download to stdout and to a file
  const exp = await cli([
    'exports',
    'create',
    '--kind',
    'events',
    '--format',
    'csv',
    '--direction',
    'inbound',
    '--wait',
    '--interval-ms',
    '100',
  ]);
  t.equal(exp.code, 0, exp.stderr);
  t.match(exp.stderr, /^export \S+: completed$/m);
  t.match(exp.stdout, /^rows\s+2$/m, 'the two inbound events');
  const exportId = /^id\s+(\S+)$/m.exec(exp.stdout)?.[1] as string;
  t.match(
    (await cli(['exports', 'list'])).stdout,
    new RegExp(`^${exportId}\\s+events\\s+csv\\s+completed\\s+2\\s`, 'm'),
  );
  t.equal(JSON.parse((await cli(['exports', 'show', exportId, '--json'])).stdout).status, 'completed');
  const csv = await cli(['exports', 'download', exportId]);
  t.equal(csv.code, 0);
  const lines = csv.stdout.trim().split(/\r?\n/);
  t.equal(lines.length, 3, 'a header and two rows on stdout');
  t.ok(lines.some((l) => l.includes(okId)) && lines.some((l) => l.includes(badId)));
  const dir = t.testdir({});
  const file = path.join(dir, 'events.ndjson');
  const saved = await cli([
    'exports',
    'create',
    '--format',
    'ndjson',
    '--type',
    'fail.now',
    '-o',
    file,
    '--interval-ms',
    '100',
  ]);
  t.equal(saved.code, 0, saved.stderr);
  t.match(saved.stderr, new RegExp(`wrote 1 rows to ${file.replaceAll('.', '\\.')}`));
  t.equal(JSON.parse((await readFile(file, 'utf8')).trim()).id, badId, 'the file holds the exported event');

  // ---- the audit log: the exports above, as a table, as JSON, and downloaded
  const audited = await waitFor(
    async () => {
      const r = await cli(['audit-log', 'list', '--action', 'export.create', '--json']);
      const entries =
        r.code === 0 ? (JSON.parse(r.stdout) as { data: Array<{ ids: { export_id?: string } }> }).data : [];
      return entries.length === 2 ? entries : null;
    },
    { timeoutMs: 15_000, message: 'export entries in the audit log' },
  );
  t.ok(audited.some((e) => e.ids.export_id === exportId));
  const auditTable = await cli(['audit-log', 'list', '--action', 'export.*']);
  t.equal(auditTable.code, 0, auditTable.stderr);
  t.match(auditTable.stdout, /^WHEN\s+WHO\s+WHAT\s+RESOURCE\s+OUTCOME\s+ADDRESS$/m);
  t.match(auditTable.stdout, /bootstrap \(api_key\)\s+export\.create\s+\S+\s+succeeded\s+127\.0\.0\.1/);
  const auditCsv = await cli(['audit-log', 'download', '--action', 'export.create']);
  t.equal(auditCsv.code, 0, auditCsv.stderr);
  t.equal(auditCsv.stdout.trim().split(/\r?\n/).length, 3, 'a header and two entries');
  t.equal((await cli(['audit-log', 'list', '--outcome', 'maybe'])).code, 2, 'a bad filter is a usage error');
  t.equal((await cli(['audit-log', 'list', '--since', 'yesterday'])).code, 1, 'the server refuses a bad time');
});
