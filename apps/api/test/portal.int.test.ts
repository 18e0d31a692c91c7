// The customer portal's server side against a real nats-server: the link's token spent once for a
// cookie, the allowlist of /v1 routes, the customer's scope forced whatever the request says, the
// read scope, the CSRF header, the rate limit, and the page's headers (CSP frame-ancestors from the
// brand's embed origins; a verified custom domain serves only its account).
import t from 'tap';
import type { DomainOwnerRecord, DomainRecord } from '@hookstream/contracts';
import { domainClaimId, domainOwnerId } from '@hookstream/domain';
import type { ApiApp } from '../src/build.ts';
import { PORTAL_ROUTES } from '../src/portal/access.ts';
import { type Tenant, create, signup, startApi } from './harness.ts';

const HEADER = { 'x-hookstream-console': '1' };

async function portalLink(
  app: ApiApp,
  tenant: Tenant,
  body: Record<string, unknown>,
): Promise<{ id: string; url: string; token: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/portal-sessions', headers: tenant.auth, payload: body });
  if (res.statusCode !== 201) throw new Error(`portal session: ${res.statusCode} ${res.body}`);
  const data = res.json().data;
  const token = new URLSearchParams(new URL(data.url).hash.slice(1)).get('token') ?? '';
  return { id: data.id, url: data.url, token };
}

async function open(app: ApiApp, token: string, accountId?: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/portal/session',
    payload: { token, ...(accountId ? { account_id: accountId } : {}) },
  });
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set : [set ?? '']).find((c) => c.startsWith('hs_portal=')) ?? '';
  const value = /^hs_portal=([^;]*)/.exec(line)?.[1] ?? '';
  return { res, line, cookie: { cookie: `hs_portal=${value}` } };
}

t.test('a portal link opens once, for its customer, with an httpOnly SameSite=Strict cookie', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app, 'acme');
  const link = await portalLink(app, acme, { customer_id: 'cus_x', scope: 'manage' });
  t.match(
    link.url,
    new RegExp(`/portal/${acme.accountId}/#token=`),
    'the link names the account in its path, the token in its fragment',
  );

  const wrongAccount = await open(
    app,
    (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'read' })).token,
    '00000000-0000-4000-8000-000000000000',
  );
  t.equal(wrongAccount.res.statusCode, 401, "a token opened on another account's page opens nothing");

  const first = await open(app, link.token, acme.accountId);
  t.equal(first.res.statusCode, 200, first.res.body);
  t.match(first.line, /HttpOnly/);
  t.match(first.line, /SameSite=Strict/);
  t.match(first.line, /Path=\//);
  t.equal(first.res.headers['cache-control'], 'no-store');
  t.match(first.res.json().data, {
    customer_id: 'cus_x',
    scope: 'manage',
    account: { id: acme.accountId, name: 'acme' },
    brand: null,
  });
  t.equal(first.res.headers['x-frame-options'], 'DENY');

  const again = await open(app, link.token, acme.accountId);
  t.equal(again.res.statusCode, 401, 'the same token a second time opens nothing');
  t.equal(again.res.json().code, 'invalid_token');
  t.equal(again.line, '', 'and sets no cookie');
  t.equal((await open(app, 'not-a-token')).res.statusCode, 401);

  const who = await app.inject({ method: 'GET', url: '/portal/session', headers: first.cookie });
  t.equal(who.statusCode, 200);
  t.equal(who.json().data.customer_id, 'cus_x');

  // Revoked by the account: the cookie stops at once.
  const list = await app.inject({ method: 'GET', url: '/v1/destinations', headers: first.cookie });
  t.equal(list.statusCode, 200);
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/portal-sessions/${link.id}`, headers: acme.auth })).statusCode,
    204,
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/destinations', headers: first.cookie })).statusCode,
    401,
    'a revoked session reaches nothing',
  );
  t.equal((await app.inject({ method: 'GET', url: '/portal/session', headers: first.cookie })).statusCode, 401);

  // Signing out ends the session the same way.
  const other = await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'read' })).token);
  t.equal(
    (await app.inject({ method: 'DELETE', url: '/portal/session', headers: other.cookie })).statusCode,
    403,
    'sign-out needs the header',
  );
  const out = await app.inject({ method: 'DELETE', url: '/portal/session', headers: { ...other.cookie, ...HEADER } });
  t.equal(out.statusCode, 200);
  t.match(String(out.headers['set-cookie']), /hs_portal=;/);
  t.equal((await app.inject({ method: 'GET', url: '/v1/destinations', headers: other.cookie })).statusCode, 401);
});

t.test("a portal session reaches only its customer's endpoints, whatever ids or filters it sends", async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app, 'acme');
  const globex = await signup(app, 'globex');
  const mineX = await create(app, acme, '/v1/destinations', {
    name: 'x',
    url: 'http://127.0.0.1:9/x',
    customer_id: 'cus_x',
  });
  const ofY = await create(app, acme, '/v1/destinations', {
    name: 'y',
    url: 'http://127.0.0.1:9/y',
    customer_id: 'cus_y',
  });
  const shared = await create(app, acme, '/v1/destinations', { name: 'internal', url: 'http://127.0.0.1:9/i' });
  const otherAccount = await create(app, globex, '/v1/destinations', {
    name: 'g',
    url: 'http://127.0.0.1:9/g',
    customer_id: 'cus_x',
  });
  const routeY = await create(app, acme, '/v1/routes', { destination_id: ofY.id, event_type_pattern: 'order.*' });
  const { cookie } = await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'manage' })).token);
  const as = { ...cookie, ...HEADER };

  for (const q of ['', '?customer_id=cus_y', '?customer_id=cus_x&limit=500']) {
    const list = await app.inject({ method: 'GET', url: `/v1/destinations${q}`, headers: cookie });
    t.same(
      list.json().data.map((d: { id: string }) => d.id),
      [mineX.id],
      `GET /v1/destinations${q} lists cus_x's only`,
    );
  }
  for (const id of [ofY.id, shared.id, otherAccount.id, '00000000-0000-4000-8000-000000000001']) {
    for (const [method, url, payload] of [
      ['GET', `/v1/destinations/${id}`],
      ['PATCH', `/v1/destinations/${id}`, { active: false }],
      ['DELETE', `/v1/destinations/${id}`],
      ['GET', `/v1/destinations/${id}/secret`],
      ['POST', `/v1/destinations/${id}/rotate-secret`, {}],
      ['POST', `/v1/destinations/${id}/test`, {}],
      ['GET', `/v1/routes?destination_id=${id}`],
      ['POST', '/v1/routes', { destination_id: id }],
    ] as Array<[string, string, object?]>) {
      const res = await app.inject({ method: method as 'GET', url, headers: as, ...(payload ? { payload } : {}) });
      t.equal(res.statusCode, 404, `${method} ${url.replace(id, '<other>')}: 404`);
    }
  }
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/routes/${routeY.id}`, headers: as })).statusCode,
    404,
    "another customer's route: 404",
  );
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/destinations/${ofY.id}`, headers: acme.auth })).json().data.active,
    true,
    'nothing changed',
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/routes', headers: cookie })).statusCode,
    400,
    'routes are listed per destination in the portal',
  );

  // Created in the portal: the session's customer, whatever the body says (or refused when it tries).
  const made = await app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: as,
    payload: { name: 'new', url: 'http://127.0.0.1:9/new' },
  });
  t.equal(made.statusCode, 201, made.body);
  t.equal(made.json().data.customer_id, 'cus_x');
  t.match(made.json().data.signing_secret, /^whsec_/, 'its secret is shown once, at creation');
  const forged = await app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: as,
    payload: { name: 'n', url: 'http://127.0.0.1:9/n', customer_id: 'cus_y' },
  });
  t.equal(forged.statusCode, 403, 'a body naming another customer is refused');
  const operatorOnly = await app.inject({
    method: 'PATCH',
    url: `/v1/destinations/${mineX.id}`,
    headers: as,
    payload: { retry_policy: { max_attempts: 50 } },
  });
  t.equal(operatorOnly.statusCode, 403, "retry policy is the account's to set");

  // Its own endpoint: edit, headers, subscribe to a type, reveal and rotate the secret.
  const patched = await app.inject({
    method: 'PATCH',
    url: `/v1/destinations/${mineX.id}`,
    headers: as,
    payload: { headers: { 'X-Team': 'ops' }, active: false },
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.same(patched.json().data.headers, { 'X-Team': 'ops' });
  const route = await app.inject({
    method: 'POST',
    url: '/v1/routes',
    headers: as,
    payload: { destination_id: mineX.id, event_type_pattern: 'invoice.paid' },
  });
  t.equal(route.statusCode, 201, route.body);
  t.equal(route.json().data.customer_id, 'cus_x');
  t.equal(route.json().data.source_id, null);
  const inbound = await app.inject({
    method: 'POST',
    url: '/v1/routes',
    headers: as,
    payload: { destination_id: mineX.id, source_id: '00000000-0000-4000-8000-000000000000' },
  });
  t.equal(inbound.statusCode, 403, 'no inbound source routed to a customer from the portal');
  const routes = await app.inject({
    method: 'GET',
    url: `/v1/routes?destination_id=${mineX.id}&customer_id=cus_y`,
    headers: cookie,
  });
  t.same(
    routes.json().data.map((r: { id: string }) => r.id),
    [route.json().data.id],
  );
  const before = (
    await app.inject({ method: 'GET', url: `/v1/destinations/${mineX.id}/secret`, headers: cookie })
  ).json().data;
  t.match(before.signing_secret, /^whsec_/);
  t.same(before.previous, []);
  const rotated = await app.inject({
    method: 'POST',
    url: `/v1/destinations/${mineX.id}/rotate-secret`,
    headers: as,
    payload: { overlap_s: 3600 },
  });
  t.equal(rotated.statusCode, 200);
  const after = await app.inject({ method: 'GET', url: `/v1/destinations/${mineX.id}/secret`, headers: cookie });
  t.equal(after.headers['cache-control'], 'no-store');
  t.equal(after.json().data.signing_secret, rotated.json().data.signing_secret);
  t.equal(
    after.json().data.previous[0].signing_secret,
    before.signing_secret,
    'the old secret is still valid during the overlap',
  );
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/routes/${route.json().data.id}`, headers: as })).statusCode,
    204,
  );

  // Event types: the account's catalogue, read only.
  await create(app, acme, '/v1/event-types', {
    name: 'invoice.paid',
    schema: { type: 'object', properties: { id: { type: 'string' } } },
  });
  const types = await app.inject({ method: 'GET', url: '/v1/event-types', headers: cookie });
  t.same(
    types.json().data.map((e: { name: string }) => e.name),
    ['invoice.paid'],
  );
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/event-types', headers: as, payload: { name: 'x.y' } })).statusCode,
    403,
  );

  // Anything not on the allowlist is refused, reads included.
  for (const [method, url] of [
    ['GET', '/v1/api-keys'],
    ['GET', '/v1/sources'],
    ['GET', '/v1/account'],
    ['GET', '/v1/events'],
    ['GET', '/v1/brand-settings'],
    ['GET', '/v1/portal-sessions'],
    ['POST', '/v1/outbound-events'],
    ['GET', '/v1/replays'],
  ]) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: as,
      ...(method === 'POST' ? { payload: { event_type: 'a.b', payload: {} } } : {}),
    });
    t.equal(res.statusCode, 403, `${method} ${url}: 403`);
    t.equal(res.json().code, 'portal_forbidden');
  }
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/destinations/${mineX.id}`, headers: as })).statusCode,
    204,
    'its own endpoint can be deleted',
  );
});

t.test('a read session sees and cannot change; a cookie without the header changes nothing', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app, 'acme');
  const d = await create(app, acme, '/v1/destinations', {
    name: 'x',
    url: 'http://127.0.0.1:9/x',
    customer_id: 'cus_x',
  });
  const read = (await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'read' })).token)).cookie;
  t.equal((await app.inject({ method: 'GET', url: `/v1/destinations/${d.id}`, headers: read })).statusCode, 200);
  for (const [method, url, payload] of [
    ['PATCH', `/v1/destinations/${d.id}`, { active: false }],
    ['DELETE', `/v1/destinations/${d.id}`],
    ['POST', `/v1/destinations/${d.id}/rotate-secret`, {}],
    ['POST', `/v1/destinations/${d.id}/test`, {}],
    ['GET', `/v1/destinations/${d.id}/secret`],
    ['POST', '/v1/destinations', { name: 'n', url: 'http://127.0.0.1:9/n' }],
    ['POST', '/v1/routes', { destination_id: d.id }],
  ] as Array<[string, string, object?]>) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...read, ...HEADER },
      ...(payload ? { payload } : {}),
    });
    t.equal(res.statusCode, 403, `read scope: ${method} ${url.replace(d.id, ':id')} is 403`);
    t.equal(res.json().code, 'portal_forbidden');
  }
  const manage = (await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'manage' })).token))
    .cookie;
  const noHeader = await app.inject({
    method: 'PATCH',
    url: `/v1/destinations/${d.id}`,
    headers: manage,
    payload: { active: false },
  });
  t.equal(noHeader.statusCode, 403);
  t.equal(noHeader.json().code, 'csrf_header_missing');
  const now = await app.inject({ method: 'GET', url: `/v1/destinations/${d.id}`, headers: acme.auth });
  t.equal(now.json().data.active, true, 'nothing changed');
});

t.test('a portal session is rate limited on its own', async (t) => {
  const { app } = await startApi(t, { portalRatePerMinute: 5 });
  const acme = await signup(app, 'acme');
  const a = (await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'read' })).token)).cookie;
  const b = (await open(app, (await portalLink(app, acme, { customer_id: 'cus_x', scope: 'read' })).token)).cookie;
  const codes: number[] = [];
  for (let i = 0; i < 7; i++)
    codes.push((await app.inject({ method: 'GET', url: '/v1/destinations', headers: a })).statusCode);
  t.same(codes, [200, 200, 200, 200, 200, 429, 429]);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/destinations', headers: b })).statusCode,
    200,
    'another session keeps its own allowance',
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/destinations', headers: acme.auth })).statusCode,
    200,
    "and the account's key is not limited by it",
  );
});

t.test(
  "the portal page: frame-ancestors from the brand's embed origins; a verified custom domain serves its account only",
  async (t) => {
    const { app, catalog } = await startApi(t);
    const acme = await signup(app, 'acme');
    const globex = await signup(app, 'globex');
    const page = (accountId: string, host?: string) =>
      app.inject({ method: 'GET', url: `/portal/${accountId}/endpoints`, headers: host ? { host } : {} });

    const locked = await page(acme.accountId);
    t.ok([200, 503].includes(locked.statusCode), `the page answers, or says it is not built (${locked.statusCode})`);
    t.match(String(locked.headers['content-type']), /text\/html/);
    t.match(String(locked.headers['content-security-policy']), /frame-ancestors 'none'/);
    t.equal(locked.headers['x-frame-options'], 'DENY');
    t.match(String(locked.headers['content-security-policy']), /script-src 'self'/);

    for (const bad of [
      'https://app.example.com/path',
      'https://*.example.com',
      "https://a.com 'unsafe-inline'",
      'javascript:alert(1)',
      'app.example.com',
      'https://a.com;script-src *',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/brand-settings',
        headers: acme.auth,
        payload: { embed_origins: [bad] },
      });
      t.equal(res.statusCode, 400, `embed origin ${bad} is refused`);
    }
    const set = await app.inject({
      method: 'POST',
      url: '/v1/brand-settings',
      headers: acme.auth,
      payload: { embed_origins: ['https://app.acme.com', 'http://127.0.0.1:5173/'], primary_color: '#aa3300' },
    });
    t.equal(set.statusCode, 200, set.body);
    t.same(set.json().data.embed_origins, ['https://app.acme.com', 'http://127.0.0.1:5173']);
    const framed = await page(acme.accountId);
    t.match(
      String(framed.headers['content-security-policy']),
      /frame-ancestors https:\/\/app\.acme\.com http:\/\/127\.0\.0\.1:5173;/,
    );
    t.equal(framed.headers['x-frame-options'], undefined, 'no X-Frame-Options when origins are listed');
    t.match(
      String((await page(globex.accountId)).headers['content-security-policy']),
      /frame-ancestors 'none'/,
      "another account's page keeps its own policy",
    );

    t.equal((await page('00000000-0000-4000-8000-000000000000')).statusCode, 404, 'an unknown account has no portal');

    // hooks.acme.com verified by acme: it serves acme's portal only.
    const at = new Date().toISOString();
    const claim: DomainRecord = {
      id: domainClaimId(acme.accountId, 'hooks.acme.com'),
      account_id: acme.accountId,
      hostname: 'hooks.acme.com',
      verification_token: 'hookstream-verify=x',
      status: 'verified',
      last_checked_at: at,
      last_error: null,
      verified_at: at,
      created_at: at,
    };
    await catalog.put('domain', claim.id, claim);
    const owner: DomainOwnerRecord = {
      id: domainOwnerId('hooks.acme.com'),
      hostname: 'hooks.acme.com',
      account_id: acme.accountId,
      domain_id: claim.id,
      created_at: at,
    };
    await catalog.put('domainowner', owner.id, owner);
    t.ok(
      [200, 503].includes((await page(acme.accountId, 'hooks.acme.com')).statusCode),
      "acme's domain serves acme's portal",
    );
    t.equal(
      (await page(globex.accountId, 'hooks.acme.com')).statusCode,
      404,
      "acme's domain does not serve globex's portal",
    );
    const root = await app.inject({ method: 'GET', url: '/portal/', headers: { host: 'hooks.acme.com' } });
    t.equal(root.statusCode, 302);
    t.equal(root.headers.location, `/portal/${acme.accountId}/`, "the custom domain's /portal/ is its account's");
    t.equal(
      (await app.inject({ method: 'GET', url: '/portal/' })).statusCode,
      404,
      'elsewhere /portal/ names no account',
    );
  },
);

t.test('every route of the portal allowlist exists: a misspelt entry would reach nothing, silently', async (t) => {
  const { app } = await startApi(t);
  for (const key of Object.keys(PORTAL_ROUTES)) {
    const [method, url] = key.split(' ') as [string, string];
    t.ok(app.hasRoute({ method, url }), key);
  }
});
