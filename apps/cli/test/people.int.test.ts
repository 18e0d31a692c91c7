// The CLI's members, invitations and key roles, run as its binary against the running system.
import { execFile } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { startSystem } from '../../../test/e2e/harness.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

function runner(env: Record<string, string>) {
  return (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [MAIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
}

t.test('members, invites and key roles from the command line', async (t) => {
  const gw = await startSystem(t);
  const url = gw.url as string;
  const created = JSON.parse((await runner({ HOOKSTREAM_URL: url })(['accounts', 'create', 'acme', '--json'])).stdout);
  const cli = runner({ HOOKSTREAM_URL: url, HOOKSTREAM_API_KEY: created.api_key });

  const bad = await cli(['invites', 'create', 'vic@example.com', '--role', 'root']);
  t.equal(bad.code, 2, 'an unknown role is a usage error');
  t.match(bad.stderr, /--role must be one of/);
  const inv = await cli(['invites', 'create', 'Vic@example.com', '--role', 'viewer', '--json']);
  t.equal(inv.code, 0, inv.stderr);
  const invite = JSON.parse(inv.stdout);
  t.match(invite, { email: 'vic@example.com', role: 'viewer', url: /\/console\/invite#/ });
  const listed = await cli(['invites', 'list']);
  t.match(listed.stdout, /vic@example\.com\s+viewer/);
  t.notMatch(listed.stdout, /console\/invite/, 'the link is not shown again');

  // Accepted in the console (its API), the person is a member the CLI can re-role and remove.
  const accept = await fetch(`${url}/console/invite/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: new URL(invite.url).hash.slice(1), name: 'Vic', password: 'a long enough password' }),
  });
  t.equal(accept.status, 200);
  const members = JSON.parse((await cli(['members', 'list', '--json'])).stdout);
  const vic = members.data.find((m: { email: string }) => m.email === 'vic@example.com');
  t.equal(vic.role, 'viewer');
  const promoted = await cli(['members', 'set-role', vic.id, '--role', 'developer', '--json']);
  t.equal(JSON.parse(promoted.stdout).role, 'developer');
  t.equal((await cli(['members', 'remove', vic.id])).code, 0);
  t.same(JSON.parse((await cli(['members', 'list', '--json'])).stdout).data, []);

  const cancelMe = JSON.parse(
    (await cli(['invites', 'create', 'dan@example.com', '--role', 'admin', '--json'])).stdout,
  );
  t.equal((await cli(['invites', 'cancel', cancelMe.id])).code, 0);

  const key = await cli(['keys', 'create', '--name', 'dashboards', '--role', 'viewer', '--json']);
  const viewerKey = JSON.parse(key.stdout);
  t.equal(viewerKey.role, 'viewer');
  const readOnly = runner({ HOOKSTREAM_URL: url, HOOKSTREAM_API_KEY: viewerKey.key });
  t.equal((await readOnly(['sources', 'list'])).code, 0, 'a viewer key reads');
  const refused = await readOnly(['sources', 'create', 'shop']);
  t.equal(refused.code, 1, 'and changes nothing');
  t.match(refused.stderr, /forbidden_role/);
  t.match((await cli(['keys', 'list'])).stdout, /dashboards\s+hk_\S+\s+viewer/);
});
