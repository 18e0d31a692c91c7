// Members, invitations, roles and password sign-in against a real nats-server: the first owner,
// invitations accepted and refused, the permission table enforced on /v1 for members and keys,
// the last owner kept, removal ending sessions, and the lockout shared through the KV bucket.
import t from 'tap';
import { SIGNIN_FAILURE_BUCKET } from '@hookstream/contracts';
import { type ApiApp } from '../src/build.ts';
import { apiOn, signup, startApi } from './harness.ts';

const CONSOLE = { 'x-hookstream-console': '1' };
const PASSWORD = 'a long enough password';

async function cookieOf(res: {
  headers: Record<string, string | string[] | number | undefined>;
}): Promise<{ cookie: string }> {
  const set = res.headers['set-cookie'];
  const lines = Array.isArray(set) ? set : typeof set === 'string' ? [set] : [];
  const line = lines.find((c) => c.startsWith('hs_console=')) ?? '';
  return { cookie: /^(hs_console=[^;]*)/.exec(line)?.[1] ?? '' };
}

async function ownerAccount(app: ApiApp, email = 'Olga@Example.com') {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { name: 'acme', owner: { email, name: 'Olga', password: PASSWORD } },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  const d = res.json().data;
  return {
    accountId: d.account.id as string,
    key: d.api_key as string,
    owner: d.owner,
    auth: { authorization: `Bearer ${d.api_key}` },
  };
}

async function passwordSignIn(app: ApiApp, email: string, password: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/console/session', payload: { email, password }, headers });
  return { res, headers: { ...(await cookieOf(res)), ...CONSOLE } };
}

/** Invites and accepts: the new member's signed-in headers. */
async function join(app: ApiApp, by: Record<string, string>, email: string, role: string) {
  const inv = await app.inject({ method: 'POST', url: '/v1/invites', headers: by, payload: { email, role } });
  if (inv.statusCode !== 201) throw new Error(inv.body);
  const token = new URL(inv.json().data.url).hash.slice(1);
  const acc = await app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token, name: email.split('@')[0], password: PASSWORD },
  });
  if (acc.statusCode !== 200) throw new Error(acc.body);
  return { headers: { ...(await cookieOf(acc)), ...CONSOLE }, member: acc.json().data.member as { id: string } };
}

t.test('an account created with an owner has its first member; without one, as before', async (t) => {
  const { app } = await startApi(t);
  const a = await ownerAccount(app);
  t.match(a.owner, { email: 'olga@example.com', name: 'Olga', role: 'owner', password_set: true, sso_linked: false });
  t.notOk(JSON.stringify(a.owner).includes('scrypt'), 'no hash in the answer');
  const plain = await signup(app, 'plain');
  const list = await app.inject({ method: 'GET', url: '/v1/members', headers: plain.auth });
  t.same(list.json().data, [], 'no members without an owner');
  const keys = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: plain.auth });
  t.equal(keys.json().data[0].role, 'owner', 'the bootstrap key is an owner');

  const invited = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { name: 'b', owner: { email: 'pat@example.com', name: 'Pat' } },
  });
  t.equal(invited.statusCode, 201);
  t.match(invited.json().data.owner_invite, {
    email: 'pat@example.com',
    role: 'owner',
    url: /\/console\/invite#[A-Za-z0-9_-]{43}$/,
  });
  t.notOk(invited.json().data.owner, 'no member until the invitation is accepted');

  const bad = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { name: 'c', owner: { email: 'x@example.com', name: 'X', password: 'short' } },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().error, /password/);
});

t.test('sign-in by password: the session knows the member and the role', async (t) => {
  const { app } = await startApi(t);
  const a = await ownerAccount(app);
  const { res, headers } = await passwordSignIn(app, 'OLGA@example.com', PASSWORD);
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json().data, {
    account: { id: a.accountId },
    role: 'owner',
    member: { email: 'olga@example.com', name: 'Olga' },
  });
  t.ok(res.json().data.permissions.includes('owners.manage'));
  const session = await app.inject({ method: 'GET', url: '/console/session', headers });
  t.equal(session.json().data.member.id, a.owner.id);

  const wrong = await passwordSignIn(app, 'olga@example.com', 'not the password');
  const unknown = await passwordSignIn(app, 'nobody@example.com', 'not the password');
  t.equal(wrong.res.statusCode, 401);
  t.equal(unknown.res.statusCode, 401);
  t.equal(
    wrong.res.json().error,
    unknown.res.json().error,
    'the same answer for an unknown email and a wrong password',
  );
  t.equal(wrong.res.json().code, 'invalid_credentials');
  t.notOk(wrong.res.headers['set-cookie'], 'no cookie');
});

t.test('invitations: single-use links that expire; members get the invited role', async (t) => {
  const { app, catalog } = await startApi(t);
  const a = await ownerAccount(app);
  const inv = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: a.auth,
    payload: { email: 'Vic@example.com', role: 'viewer' },
  });
  t.equal(inv.statusCode, 201);
  const created = inv.json().data;
  t.match(created, { email: 'vic@example.com', role: 'viewer', expired: false });
  t.ok(Date.parse(created.expires_at) - Date.now() > 6.9 * 86_400_000, 'valid for a week');
  const token = new URL(created.url).hash.slice(1);
  const stored = JSON.stringify([...catalog.view.invites.values()]);
  t.notOk(stored.includes(token), 'the token is held only as a hash');

  const listed = await app.inject({ method: 'GET', url: '/v1/invites', headers: a.auth });
  t.same(
    listed.json().data.map((i: { id: string }) => i.id),
    [created.id],
  );
  t.notOk(listed.body.includes(token), 'a listing never shows the link again');

  const info = await app.inject({ method: 'POST', url: '/console/invite', payload: { token } });
  t.match(info.json().data, {
    account: { id: a.accountId, name: 'acme' },
    email: 'vic@example.com',
    role: 'viewer',
    sso: false,
  });

  const short = await app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token, name: 'Vic', password: 'short' },
  });
  t.equal(short.statusCode, 400, 'a short password is refused');
  const accepted = await app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token, name: 'Vic', password: PASSWORD },
  });
  t.equal(accepted.statusCode, 200, accepted.body);
  t.match(accepted.json().data, { role: 'viewer', member: { email: 'vic@example.com', name: 'Vic' } });
  const again = await app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token, name: 'Eve', password: PASSWORD },
  });
  t.equal(again.statusCode, 410, 'single use');
  t.equal(again.json().code, 'invite_invalid');
  const members = await app.inject({ method: 'GET', url: '/v1/members', headers: a.auth });
  t.same(
    members
      .json()
      .data.map((m: { email: string }) => m.email)
      .sort(),
    ['olga@example.com', 'vic@example.com'],
  );
  t.same(
    (await app.inject({ method: 'GET', url: '/v1/invites', headers: a.auth })).json().data,
    [],
    'accepted: no longer pending',
  );

  const dup = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: a.auth,
    payload: { email: 'VIC@example.com', role: 'admin' },
  });
  t.equal(dup.statusCode, 409, 'an existing member is not invited again');

  // Cancelled, and expired, links are refused alike.
  const other = (
    await app.inject({
      method: 'POST',
      url: '/v1/invites',
      headers: a.auth,
      payload: { email: 'dan@example.com', role: 'developer' },
    })
  ).json().data;
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/invites/${other.id}`, headers: a.auth })).statusCode, 204);
  const cancelled = await app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token: new URL(other.url).hash.slice(1), name: 'Dan', password: PASSWORD },
  });
  t.equal(cancelled.statusCode, 410);

  const late = await startApi(t, {}, { now: () => Date.now() + 8 * 86_400_000 });
  const b = await ownerAccount(late.app);
  const lateInv = (
    await late.app.inject({
      method: 'POST',
      url: '/v1/invites',
      headers: b.auth,
      payload: { email: 'e@example.com', role: 'viewer' },
    })
  ).json().data;
  t.equal(lateInv.expired, false);
  const earlyApp = await apiOn(t, late.natsUrl);
  const fine = await earlyApp.app.inject({
    method: 'POST',
    url: '/console/invite',
    payload: { token: new URL(lateInv.url).hash.slice(1) },
  });
  t.equal(fine.statusCode, 200, 'valid now');
  const laterApp = await apiOn(t, late.natsUrl, {}, { now: () => Date.now() + 16 * 86_400_000 });
  const expired = await laterApp.app.inject({
    method: 'POST',
    url: '/console/invite/accept',
    payload: { token: new URL(lateInv.url).hash.slice(1), name: 'E', password: PASSWORD },
  });
  t.equal(expired.statusCode, 410, 'past its expiry');
});

t.test('roles: viewers read only, developers replay and configure, admins manage people and keys', async (t) => {
  const { app } = await startApi(t);
  const a = await ownerAccount(app);
  const viewer = await join(app, a.auth, 'vic@example.com', 'viewer');
  const dev = await join(app, a.auth, 'dev@example.com', 'developer');
  const admin = await join(app, a.auth, 'adm@example.com', 'admin');

  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/sources', headers: viewer.headers })).statusCode,
    200,
    'a viewer reads',
  );
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: viewer.headers,
    payload: { name: 's' },
  });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'forbidden_role');
  const replay = await app.inject({
    method: 'POST',
    url: '/v1/events/00000000-0000-7000-8000-000000000000/replay',
    headers: viewer.headers,
    payload: {},
  });
  t.equal(replay.statusCode, 403, 'a forged replay from a viewer is refused before anything is looked up');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/api-keys', headers: viewer.headers })).statusCode,
    403,
    'keys are for admins',
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/audit-log', headers: dev.headers })).statusCode,
    403,
    'the audit log is for admins',
  );

  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/sources', headers: dev.headers, payload: { name: 's' } })).statusCode,
    201,
    'a developer configures',
  );
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/invites',
        headers: dev.headers,
        payload: { email: 'x@example.com', role: 'viewer' },
      })
    ).statusCode,
    403,
  );
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/v1/account', headers: dev.headers, payload: { name: 'renamed' } }))
      .statusCode,
    403,
  );

  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/invites',
        headers: admin.headers,
        payload: { email: 'y@example.com', role: 'developer' },
      })
    ).statusCode,
    201,
  );
  const toOwner = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: admin.headers,
    payload: { email: 'z@example.com', role: 'owner' },
  });
  t.equal(toOwner.statusCode, 403, 'only an owner makes owners');
  const promote = await app.inject({
    method: 'PATCH',
    url: `/v1/members/${viewer.member.id}`,
    headers: admin.headers,
    payload: { role: 'developer' },
  });
  t.equal(promote.statusCode, 200);
  t.equal(promote.json().data.role, 'developer');
  // The role is read on every request: the promoted member may configure at once.
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/sources', headers: viewer.headers, payload: { name: 's2' } }))
      .statusCode,
    201,
  );
  const demoteOwner = await app.inject({
    method: 'PATCH',
    url: `/v1/members/${a.owner.id}`,
    headers: admin.headers,
    payload: { role: 'viewer' },
  });
  t.equal(demoteOwner.statusCode, 403, 'an admin does not touch an owner');
});

t.test('the last owner can be neither demoted nor removed', async (t) => {
  const { app } = await startApi(t);
  const a = await ownerAccount(app);
  const demote = await app.inject({
    method: 'PATCH',
    url: `/v1/members/${a.owner.id}`,
    headers: a.auth,
    payload: { role: 'admin' },
  });
  t.equal(demote.statusCode, 409);
  t.equal(demote.json().code, 'last_owner');
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/members/${a.owner.id}`, headers: a.auth })).statusCode, 409);
  const second = await join(app, a.auth, 'sam@example.com', 'owner');
  t.equal(
    (
      await app.inject({
        method: 'PATCH',
        url: `/v1/members/${a.owner.id}`,
        headers: second.headers,
        payload: { role: 'admin' },
      })
    ).statusCode,
    200,
    'with a second owner, the first may step down',
  );
  const olga = await passwordSignIn(app, 'olga@example.com', PASSWORD);
  t.equal(olga.res.json().data.role, 'admin');
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/members/${second.member.id}`, headers: olga.headers })).statusCode,
    403,
    'now an admin: may not remove an owner',
  );
});

t.test("a removed member's open session stops working at once, on every api copy", async (t) => {
  const first = await startApi(t);
  const second = await apiOn(t, first.natsUrl);
  const a = await ownerAccount(first.app);
  const dev = await join(first.app, a.auth, 'dev@example.com', 'developer');
  t.equal(
    (await second.app.inject({ method: 'GET', url: '/v1/sources', headers: dev.headers })).statusCode,
    200,
    'the session works on the other copy',
  );
  t.equal(
    (await first.app.inject({ method: 'DELETE', url: `/v1/members/${dev.member.id}`, headers: a.auth })).statusCode,
    204,
  );
  const after = await second.app.inject({ method: 'GET', url: '/v1/sources', headers: dev.headers });
  t.equal(after.statusCode, 401);
  t.equal(after.json().code, 'unauthenticated');
  t.equal((await first.app.inject({ method: 'GET', url: '/console/session', headers: dev.headers })).statusCode, 401);
  t.equal((await first.app.inject({ method: 'GET', url: '/v1/members', headers: a.auth })).json().data.length, 1);
});

t.test('api keys carry a role: a viewer key reads only; no key above its maker', async (t) => {
  const { app } = await startApi(t);
  const a = await ownerAccount(app);
  const made = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: a.auth,
    payload: { name: 'dashboards', role: 'viewer' },
  });
  t.equal(made.statusCode, 201);
  t.equal(made.json().data.role, 'viewer');
  const viewerKey = { authorization: `Bearer ${made.json().data.key}` };
  t.equal((await app.inject({ method: 'GET', url: '/v1/destinations', headers: viewerKey })).statusCode, 200);
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: viewerKey,
    payload: { name: 'd', url: 'http://127.0.0.1:9/' },
  });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'forbidden_role');
  const def = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: a.auth, payload: { name: 'ci' } });
  t.equal(def.json().data.role, 'admin', 'admin by default');
  const adminKey = { authorization: `Bearer ${def.json().data.key}` };
  const above = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: adminKey,
    payload: { name: 'x', role: 'owner' },
  });
  t.equal(above.statusCode, 403, 'an admin key mints no owner key');
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: a.auth,
    payload: { name: 'x', role: 'root' },
  });
  t.equal(bad.statusCode, 400);
  // A viewer key signs in to the console as a viewer.
  const s = await app.inject({ method: 'POST', url: '/console/session', payload: { api_key: made.json().data.key } });
  t.match(s.json().data, { role: 'viewer', member: null, permissions: ['read'] });
});

t.test('five wrong passwords lock the email out from that address, on every api copy', async (t) => {
  const first = await startApi(t, { trustProxy: true });
  const second = await apiOn(t, first.natsUrl, { trustProxy: true });
  await ownerAccount(first.app);
  const from = { 'x-forwarded-for': '203.0.113.9' };
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const app = i % 2 === 0 ? first.app : second.app;
    codes.push((await passwordSignIn(app, 'olga@example.com', `wrong ${i}`, from)).res.statusCode);
  }
  t.same(codes, [401, 401, 401, 401, 429], 'the fifth failure locks');
  const right = await passwordSignIn(second.app, 'olga@example.com', PASSWORD, from);
  t.equal(right.res.statusCode, 429, 'locked out even with the right password');
  t.equal(right.res.json().code, 'locked_out');
  t.match(right.res.json().error, /15 minutes/);
  const elsewhere = await passwordSignIn(first.app, 'olga@example.com', PASSWORD, {
    'x-forwarded-for': '198.51.100.7',
  });
  t.equal(elsewhere.res.statusCode, 200, 'the same email from another address is not locked');
  const info = await first.broker.streams.info(`KV_${SIGNIN_FAILURE_BUCKET}`);
  t.equal(info.config.max_age, 15 * 60_000 * 1_000_000, 'counters age out after the lockout window');
});
