// Portal sessions against a real nats-server: the link and its base, single use under racing
// exchanges, expiry, revocation, lists that never show a token, tenancy, and what the bucket holds.
import t from 'tap';
import { type Broker, openPortalSessionKv } from '@hookstream/broker';
import { type DomainRecord, PORTAL_SESSION_BUCKET } from '@hookstream/contracts';
import { domainClaimId, domainOwnerId } from '@hookstream/domain';
import { streamMessages } from '@hookstream/testkit';
import { createPortalSessions } from '../src/portal/sessions.ts';
import { type Harness, signup, startApi } from './harness.ts';

let clock = Date.UTC(2026, 11, 7, 12, 0, 0);
const now = () => clock;

/** The sessions service over the same bucket as the api's, on the same clock (the portal's side). */
async function portalSide(h: Harness) {
  return createPortalSessions({
    kv: await openPortalSessionKv(h.broker, { replicas: 1, maxAgeMs: 7 * 86_400_000 }),
    now,
  });
}

const tokenOf = (url: string) => /#token=(.+)$/.exec(url)?.[1] ?? '';

async function bucketContents(broker: Broker): Promise<string> {
  const out: string[] = [];
  for (const m of await streamMessages(broker, `KV_${PORTAL_SESSION_BUCKET}`))
    out.push(`${m.subject} ${Buffer.from(m.data).toString('utf8')}`);
  return out.join('\n');
}

t.test('a session answers a link on PUBLIC_URL with a single-use token in its fragment', async (t) => {
  const h = await startApi(t, { publicUrl: 'https://hooks.saas.test' }, { now });
  const acme = await signup(h.app, 'acme');
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/portal-sessions',
    headers: acme.auth,
    payload: { customer_id: 'cus_42', scope: 'manage' },
  });
  t.equal(res.statusCode, 201);
  const s = res.json().data;
  t.match(s.url, /^https:\/\/hooks\.saas\.test\/portal\/[0-9a-f-]{36}\/#token=hspt_[A-Za-z0-9_-]{43}$/);
  t.match(s, { customer_id: 'cus_42', scope: 'manage', used_at: null });
  t.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), 3_600_000, 'one hour by default');
  t.notOk('account_id' in s);

  const read = (
    await h.app.inject({
      method: 'POST',
      url: '/v1/portal-sessions',
      headers: acme.auth,
      payload: { customer_id: 'cus_42', expires_in_s: 7 * 86_400 },
    })
  ).json().data;
  t.equal(read.scope, 'read', 'read-only unless asked');
  t.equal(Date.parse(read.expires_at) - Date.parse(read.created_at), 7 * 86_400_000, 'at most seven days');

  // The bucket holds hashes, never the token or a cookie.
  const side = await portalSide(h);
  const token = tokenOf(s.url);
  const got = await side.exchange(token);
  t.ok(got, 'the token opens the session');
  t.match(got?.session, { id: s.id, customer_id: 'cus_42', scope: 'manage', account_id: acme.accountId });
  t.equal(got?.session.used_at, new Date(clock).toISOString());
  const stored = await bucketContents(h.broker);
  t.notMatch(stored, token.slice(5), 'no token in the bucket');
  t.notMatch(stored, got?.cookie ?? 'x', 'no cookie in the bucket');
  t.match(stored, /"token_hash":"[0-9a-f]{64}"/);
});

t.test('the link is on the verified custom domain when the account has one', async (t) => {
  const h = await startApi(t, { publicUrl: 'https://hooks.saas.test' }, { now });
  const acme = await signup(h.app, 'acme');
  const other = await signup(h.app, 'other');
  const at = new Date(clock).toISOString();
  const claim = (accountId: string, hostname: string, status: DomainRecord['status']): DomainRecord => ({
    id: domainClaimId(accountId, hostname),
    account_id: accountId,
    hostname,
    verification_token: 'x',
    status,
    last_checked_at: at,
    last_error: null,
    verified_at: status === 'verified' ? at : null,
    created_at: at,
  });
  const link = async () =>
    (
      await h.app.inject({
        method: 'POST',
        url: '/v1/portal-sessions',
        headers: acme.auth,
        payload: { customer_id: 'c' },
      })
    ).json().data.url;
  await h.catalog.put(
    'domain',
    domainClaimId(acme.accountId, 'pending.acme.io'),
    claim(acme.accountId, 'pending.acme.io', 'pending'),
  );
  t.match(await link(), /^https:\/\/hooks\.saas\.test\/portal\/[0-9a-f-]{36}\/#token=/, 'a pending domain is not used');
  // Verified by acme, but owned by another account (it verified first): not acme's to serve.
  await h.catalog.put(
    'domain',
    domainClaimId(acme.accountId, 'taken.io'),
    claim(acme.accountId, 'taken.io', 'verified'),
  );
  await h.catalog.put('domainowner', domainOwnerId('taken.io'), {
    id: domainOwnerId('taken.io'),
    hostname: 'taken.io',
    account_id: other.accountId,
    domain_id: 'x',
    created_at: at,
  });
  t.match(await link(), /^https:\/\/hooks\.saas\.test\/portal\/[0-9a-f-]{36}\/#token=/);
  const mine = claim(acme.accountId, 'portal.acme.io', 'verified');
  await h.catalog.put('domain', mine.id, mine);
  await h.catalog.put('domainowner', domainOwnerId(mine.hostname), {
    id: domainOwnerId(mine.hostname),
    hostname: mine.hostname,
    account_id: acme.accountId,
    domain_id: mine.id,
    created_at: at,
  });
  t.match(await link(), /^https:\/\/portal\.acme\.io\/portal\/[0-9a-f-]{36}\/#token=hspt_/);
});

t.test('of two exchanges of one token exactly one wins, and the token opens nothing after', async (t) => {
  const h = await startApi(t, {}, { now });
  const acme = await signup(h.app, 'acme');
  const a = await portalSide(h);
  const b = await portalSide(h);
  for (let i = 0; i < 8; i++) {
    const url = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/portal-sessions',
        headers: acme.auth,
        payload: { customer_id: 'cus_1' },
      })
    ).json().data.url;
    const token = tokenOf(url);
    const results = await Promise.all([a.exchange(token), b.exchange(token), a.exchange(token)]);
    const winners = results.filter((r) => r !== null);
    t.equal(winners.length, 1, `race ${i}: one exchange won`);
    const cookie = winners[0]?.cookie as string;
    t.match(await a.check(cookie), { customer_id: 'cus_1' }, 'its cookie opens the session');
    t.equal(await b.exchange(token), null, 'a reused token opens nothing');
  }
  t.equal(await a.exchange('hspt_' + 'A'.repeat(43)), null, 'an unknown token opens nothing');
  t.equal(await a.exchange('not a token'), null);
  t.equal(await a.check('A'.repeat(43)), null, 'an unknown cookie opens nothing');
  t.equal(await a.check('../../etc'), null);
});

t.test('an expired session opens nothing and leaves the list', async (t) => {
  const h = await startApi(t, {}, { now });
  const acme = await signup(h.app, 'acme');
  const side = await portalSide(h);
  const mk = async (expires_in_s: number) =>
    (
      await h.app.inject({
        method: 'POST',
        url: '/v1/portal-sessions',
        headers: acme.auth,
        payload: { customer_id: 'cus_1', expires_in_s },
      })
    ).json().data;
  const short = await mk(60);
  const opened = await mk(60);
  const long = await mk(3600);
  const got = await side.exchange(tokenOf(opened.url));
  t.ok(got);
  clock += 61_000;
  t.equal(await side.exchange(tokenOf(short.url)), null, 'an expired token opens nothing');
  t.equal(await side.check(got?.cookie as string), null, 'an expired session’s cookie opens nothing');
  const listed = (await h.app.inject({ method: 'GET', url: '/v1/portal-sessions', headers: acme.auth })).json().data;
  t.same(
    listed.map((s: { id: string }) => s.id),
    [long.id],
    'only the live session is listed',
  );
  t.ok(await side.exchange(tokenOf(long.url)), 'the live one still opens');
});

t.test('revoking ends a session at once; another account can neither list nor revoke it', async (t) => {
  const h = await startApi(t, {}, { now });
  const acme = await signup(h.app, 'acme');
  const evil = await signup(h.app, 'evil');
  const side = await portalSide(h);
  const mk = async (customer_id: string) =>
    (
      await h.app.inject({
        method: 'POST',
        url: '/v1/portal-sessions',
        headers: acme.auth,
        payload: { customer_id, scope: 'manage' },
      })
    ).json().data;
  const used = await mk('cus_1');
  const unused = await mk('cus_1');
  const other = await mk('cus_2');
  const { cookie } = (await side.exchange(tokenOf(used.url))) ?? { cookie: '' };
  t.ok(await side.check(cookie));

  const list = await h.app.inject({ method: 'GET', url: '/v1/portal-sessions?customer_id=cus_1', headers: acme.auth });
  t.equal(list.statusCode, 200);
  t.same(
    list
      .json()
      .data.map((s: { id: string }) => s.id)
      .sort(),
    [used.id, unused.id].sort(),
    'filtered by customer',
  );
  t.notMatch(list.body, /hspt_|token|cookie|hash|account_id/, 'a list shows no token, cookie or hash');
  t.equal(list.json().data.find((s: { id: string }) => s.id === used.id).used_at, new Date(clock).toISOString());
  const all = (await h.app.inject({ method: 'GET', url: '/v1/portal-sessions?limit=2', headers: acme.auth })).json();
  t.equal(all.data.length, 2);
  t.type(all.next_cursor, 'string');
  const rest = (
    await h.app.inject({
      method: 'GET',
      url: `/v1/portal-sessions?limit=2&cursor=${all.next_cursor}`,
      headers: acme.auth,
    })
  ).json();
  t.same([...all.data, ...rest.data].map((s: { id: string }) => s.id).sort(), [used.id, unused.id, other.id].sort());
  t.equal(rest.next_cursor, null);

  t.same(
    (await h.app.inject({ method: 'GET', url: '/v1/portal-sessions', headers: evil.auth })).json().data,
    [],
    "another account lists none of acme's",
  );
  for (const id of [used.id, unused.id]) {
    t.equal(
      (await h.app.inject({ method: 'DELETE', url: `/v1/portal-sessions/${id}`, headers: evil.auth })).statusCode,
      404,
      'nor revokes one',
    );
  }
  t.ok(await side.check(cookie), 'still open after the attempts');

  t.equal(
    (await h.app.inject({ method: 'DELETE', url: `/v1/portal-sessions/${used.id}`, headers: acme.auth })).statusCode,
    204,
  );
  t.equal(await side.check(cookie), null, 'a revoked session’s cookie opens nothing');
  t.equal(
    (await h.app.inject({ method: 'DELETE', url: `/v1/portal-sessions/${unused.id}`, headers: acme.auth })).statusCode,
    204,
  );
  t.equal(await side.exchange(tokenOf(unused.url)), null, 'a revoked token opens nothing');
  t.equal(
    (await h.app.inject({ method: 'DELETE', url: `/v1/portal-sessions/${unused.id}`, headers: acme.auth })).statusCode,
    404,
    'twice: unknown',
  );
  t.equal(
    (
      await h.app.inject({
        method: 'DELETE',
        url: '/v1/portal-sessions/00000000-0000-4000-8000-000000000000',
        headers: acme.auth,
      })
    ).statusCode,
    404,
  );
  t.same(
    (await h.app.inject({ method: 'GET', url: '/v1/portal-sessions', headers: acme.auth }))
      .json()
      .data.map((s: { id: string }) => s.id),
    [other.id],
  );
});

t.test('bad requests are 400 and create nothing', async (t) => {
  const h = await startApi(t, {}, { now });
  const acme = await signup(h.app, 'acme');
  const bad = [
    {},
    { scope: 'manage' },
    { customer_id: '' },
    { customer_id: 'a\u0000b' },
    { customer_id: 'x'.repeat(129) },
    { customer_id: 'c', scope: 'admin' },
    { customer_id: 'c', expires_in_s: 7 * 86_400 + 1 },
    { customer_id: 'c', expires_in_s: 0 },
    { customer_id: 'c', expires_in_s: 1.5 },
    { customer_id: 'c', token: 'mine' },
  ];
  for (const payload of bad) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/portal-sessions', headers: acme.auth, payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 60));
    t.type(res.json().error, 'string');
  }
  t.equal(
    (await h.app.inject({ method: 'GET', url: '/v1/portal-sessions?customer_id=%01', headers: acme.auth })).statusCode,
    400,
  );
  t.equal(
    (await h.app.inject({ method: 'DELETE', url: '/v1/portal-sessions/not.an.id', headers: acme.auth })).statusCode,
    400,
  );
  t.same((await h.app.inject({ method: 'GET', url: '/v1/portal-sessions', headers: acme.auth })).json().data, []);
  t.equal(
    (await h.app.inject({ method: 'POST', url: '/v1/portal-sessions', payload: { customer_id: 'c' } })).statusCode,
    401,
    'needs a key',
  );
});
