import t from 'tap';
import { waitFor } from '@hookstream/testkit';
import { apiOn, create, signup, startApi, storedEvents } from './harness.ts';

t.test('the walk-through: account, key, source, destination, route, with the envelope and pagination', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app);
  const key2 = await create(app, acme, '/v1/api-keys', { name: 'ci' });
  t.match(key2.key, /^hk_[A-Za-z0-9_-]{43}$/);
  t.equal(key2.prefix, (key2.key as string).slice(0, 10));

  const list = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: acme.auth });
  t.equal(list.statusCode, 200);
  t.equal(list.json().data.length, 2);
  t.notOk(list.body.includes(key2.key as string), 'the key is shown only at creation');
  t.notOk(list.body.includes('hash'), 'no hash leaves the server');

  const dest = await create(app, acme, '/v1/destinations', {
    name: 'orders',
    url: 'http://127.0.0.1:9/hook',
    auth_token: 'tok-secret',
    headers: { 'x-team': 'orders' },
    retry_policy: { max_attempts: 3, delays_ms: [100, 200] },
  });
  t.match(dest.signing_secret, /^whsec_/, 'a generated signing secret is shown once');
  t.equal(dest.auth_token_set, true);
  const got = await app.inject({ method: 'GET', url: `/v1/destinations/${dest.id}`, headers: acme.auth });
  t.notOk(got.body.includes('tok-secret'));
  t.notOk(got.body.includes(dest.signing_secret as string));
  t.equal(got.json().data.timeout_ms, 30000);

  const patched = await app.inject({
    method: 'PATCH',
    url: `/v1/destinations/${dest.id}`,
    headers: acme.auth,
    payload: { timeout_ms: 5000, active: false },
  });
  t.equal(patched.statusCode, 200);
  t.equal(patched.json().data.timeout_ms, 5000);
  t.equal(patched.json().data.active, false);

  const rotated = await app.inject({
    method: 'POST',
    url: `/v1/destinations/${dest.id}/rotate-secret`,
    headers: acme.auth,
    payload: {},
  });
  t.equal(rotated.statusCode, 200);
  t.match(rotated.json().data.signing_secret, /^whsec_/);
  t.type(rotated.json().data.previous_expires_at, 'string');

  const src = await create(app, acme, '/v1/sources', { name: 'shop' });
  const route = await create(app, acme, '/v1/routes', {
    source_id: src.id,
    destination_id: dest.id,
    event_type_pattern: 'order.*',
  });
  t.equal(route.event_type_pattern, 'order.*');
  const catchAll = await create(app, acme, '/v1/routes', { destination_id: dest.id });
  t.equal(catchAll.source_id, null);

  for (let i = 0; i < 4; i++) await create(app, acme, '/v1/sources', { name: `s${i}` });
  const p1 = await app.inject({ method: 'GET', url: '/v1/sources?limit=2', headers: acme.auth });
  t.equal(p1.json().data.length, 2);
  t.type(p1.json().next_cursor, 'string');
  const seen = new Set(p1.json().data.map((s: { id: string }) => s.id));
  let cursor = p1.json().next_cursor;
  while (cursor) {
    const p = await app.inject({ method: 'GET', url: `/v1/sources?limit=2&cursor=${cursor}`, headers: acme.auth });
    for (const s of p.json().data) seen.add(s.id);
    cursor = p.json().next_cursor;
  }
  t.equal(seen.size, 5, 'pages cover every source exactly once');

  const routes = await app.inject({ method: 'GET', url: `/v1/routes?source_id=${src.id}`, headers: acme.auth });
  t.equal(routes.json().data.length, 1);

  const del = await app.inject({ method: 'DELETE', url: `/v1/sources/${src.id}`, headers: acme.auth });
  t.equal(del.statusCode, 204);
  const gone = await app.inject({ method: 'GET', url: `/v1/routes/${route.id}`, headers: acme.auth });
  t.equal(gone.statusCode, 404, 'routes of a deleted source go with it');

  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.json().data.status, 'ok');
});

t.test('revoked keys get 401; tenants never see each other', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const bSrc = await create(app, b, '/v1/sources', { name: 'b' });
  const bDst = await create(app, b, '/v1/destinations', { name: 'b', url: 'http://127.0.0.1:9/' });
  const bRoute = await create(app, b, '/v1/routes', { destination_id: bDst.id });
  const bKey = await create(app, b, '/v1/api-keys', { name: 'x' });

  for (const [method, url] of [
    ['GET', `/v1/sources/${bSrc.id}`],
    ['PATCH', `/v1/sources/${bSrc.id}`],
    ['DELETE', `/v1/sources/${bSrc.id}`],
    ['GET', `/v1/destinations/${bDst.id}`],
    ['PATCH', `/v1/destinations/${bDst.id}`],
    ['DELETE', `/v1/destinations/${bDst.id}`],
    ['POST', `/v1/destinations/${bDst.id}/rotate-secret`],
    ['GET', `/v1/routes/${bRoute.id}`],
    ['PATCH', `/v1/routes/${bRoute.id}`],
    ['DELETE', `/v1/routes/${bRoute.id}`],
    ['DELETE', `/v1/api-keys/${bKey.id}`],
  ] as const) {
    const payload = method === 'PATCH' ? { active: false } : method === 'POST' ? {} : undefined;
    const res = await app.inject({ method, url, headers: a.auth, ...(payload ? { payload } : {}) });
    t.equal(res.statusCode, 404, `${method} ${url} with A's key`);
  }
  const cross = await app.inject({
    method: 'POST',
    url: '/v1/routes',
    headers: a.auth,
    payload: { destination_id: bDst.id },
  });
  t.equal(cross.statusCode, 400, "A cannot route to B's destination");
  const aList = await app.inject({ method: 'GET', url: '/v1/sources', headers: a.auth });
  t.equal(aList.json().data.length, 0);
  const bStill = await app.inject({ method: 'GET', url: `/v1/routes/${bRoute.id}`, headers: b.auth });
  t.equal(bStill.statusCode, 200, "B's data is untouched");

  const revoke = await app.inject({ method: 'DELETE', url: `/v1/api-keys/${bKey.id}`, headers: b.auth });
  t.equal(revoke.statusCode, 204);
  const denied = await app.inject({
    method: 'GET',
    url: '/v1/sources',
    headers: { authorization: `Bearer ${bKey.key}` },
  });
  t.equal(denied.statusCode, 401);
  t.match(denied.json().error, /revoked/);
  const none = await app.inject({ method: 'GET', url: '/v1/sources' });
  t.equal(none.statusCode, 401);
  const junk = await app.inject({
    method: 'GET',
    url: '/v1/sources',
    headers: { authorization: 'Bearer hk_not-a-real-key-at-all' },
  });
  t.equal(junk.statusCode, 401);
});

t.test('bad input on every management endpoint: 400 in the envelope, nothing changed', async (t) => {
  const { app, catalog } = await startApi(t);
  const a = await signup(app);
  const dst = await create(app, a, '/v1/destinations', { name: 'd', url: 'http://127.0.0.1:9/' });
  const src = await create(app, a, '/v1/sources', { name: 's' });
  const route = await create(app, a, '/v1/routes', { destination_id: dst.id });
  const before = catalog.view.lastRevision;
  const cases: Array<[string, string, unknown, string?]> = [
    ['POST', '/v1/accounts', '{"name":', 'application/json'],
    ['POST', '/v1/accounts', { name: 5 }],
    ['POST', '/v1/accounts', { name: 'x', extra: 1 }],
    ['POST', '/v1/accounts', {}],
    ['POST', '/v1/accounts', { name: 'x', plan: 'gold' }],
    ['POST', '/v1/accounts', { name: 'x', plan: 'free', retention_days: 30 }],
    ['POST', '/v1/api-keys', { name: 42 }],
    ['POST', '/v1/api-keys', { nope: true }],
    ['POST', '/v1/sources', { name: '' }],
    ['POST', '/v1/sources', { name: 's', auth_mode: 'shared_secret' }],
    ['POST', '/v1/sources', { name: 's', verification_config: { provider: 'paypal', secret: 'x' } }],
    [
      'POST',
      '/v1/sources',
      { name: 's', verification_config: { provider: 'standard_webhooks', secret: 'not base64 !' } },
    ],
    ['POST', '/v1/sources', '[1,2', 'application/json'],
    ['PATCH', `/v1/sources/${src.id}`, {}],
    ['PATCH', `/v1/sources/${src.id}`, { active: 'yes' }],
    ['POST', '/v1/destinations', { name: 'd' }],
    ['POST', '/v1/destinations', { name: 'd', url: 'ftp://example.com/' }],
    ['POST', '/v1/destinations', { name: 'd', url: 'not a url' }],
    ['POST', '/v1/destinations', { name: 'd', url: 'http://127.0.0.1/', timeout_ms: -1 }],
    ['POST', '/v1/destinations', { name: 'd', url: 'http://127.0.0.1/', retry_policy: { max_attempts: 0 } }],
    ['POST', '/v1/destinations', { name: 'd', url: 'http://127.0.0.1/', headers: { Host: 'evil' } }],
    ['POST', '/v1/destinations', { name: 'd', url: 'http://127.0.0.1/', headers: { 'bad header': 'x' } }],
    ['PATCH', `/v1/destinations/${dst.id}`, { url: 'gopher://x' }],
    ['PATCH', `/v1/destinations/${dst.id}`, { timeout_ms: '5000' }],
    ['POST', `/v1/destinations/${dst.id}/rotate-secret`, { overlap_s: -5 }],
    ['POST', '/v1/routes', {}],
    ['POST', '/v1/routes', { destination_id: 'does-not-exist' }],
    ['POST', '/v1/routes', { destination_id: dst.id, event_type_pattern: 'a..b' }],
    ['POST', '/v1/routes', { destination_id: dst.id, payload_filter: { 'a.__proto__.b': 1 } }],
    ['POST', '/v1/routes', { destination_id: dst.id, source_id: 'nope' }],
    ['PATCH', `/v1/routes/${route.id}`, { event_type_pattern: '**.x' }],
    ['GET', '/v1/sources?limit=0', undefined],
    ['GET', '/v1/sources?limit=abc', undefined],
    ['GET', '/v1/sources?unknown=1', undefined],
    ['GET', '/v1/sources/not a valid id', undefined],
  ];
  for (const [method, url, payload, ct] of cases) {
    const res = await app.inject({
      method: method as 'POST',
      url,
      headers: { ...a.auth, ...(ct ? { 'content-type': ct } : {}) },
      ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : (payload as object) } : {}),
    });
    t.ok(
      res.statusCode >= 400 && res.statusCode < 500,
      `${method} ${url} ${JSON.stringify(payload)} → ${res.statusCode}`,
    );
    t.not(res.statusCode, 500);
    const j = res.json();
    t.type(j.error, 'string', 'error message in the envelope');
    t.type(j.duration_ms, 'number');
  }
  const wrongType = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...a.auth, 'content-type': 'text/plain' },
    payload: 'name=x',
  });
  t.equal(wrongType.statusCode, 415);
  t.equal(catalog.view.lastRevision, before, 'no bad request changed any configuration');
});

t.test('account sign-up can be closed or need a token', async (t) => {
  const closed = await startApi(t, { accountSignup: 'closed' });
  const r1 = await closed.app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'x' } });
  t.equal(r1.statusCode, 403);
  const tokened = await apiOn(t, closed.natsUrl, { accountSignup: 'token', signupToken: 'a-long-enough-signup-token' });
  const r2 = await tokened.app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'x' } });
  t.equal(r2.statusCode, 403);
  const r3 = await tokened.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    headers: { 'x-signup-token': 'a-long-enough-signup-token' },
    payload: { name: 'x' },
  });
  t.equal(r3.statusCode, 201);
  const limited = await apiOn(t, closed.natsUrl, { signupRatePerMinute: 2 });
  const codes = [];
  for (let i = 0; i < 3; i++)
    codes.push(
      (await limited.app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: `x${i}` } })).statusCode,
    );
  t.same(codes, [201, 201, 429], 'sign-up is rate limited per address');
});

t.test('configuration propagates to every instance within a second', async (t) => {
  const one = await startApi(t);
  const two = await apiOn(t, one.natsUrl);
  const acme = await signup(one.app);
  const src = await create(one.app, acme, '/v1/sources', { name: 's' });
  // The watch applies a change in milliseconds; the bound here is generous so a loaded machine
  // does not fail the test (the benchmark, not the tests, measures speed).
  await waitFor(
    async () =>
      (await two.app.inject({ method: 'POST', url: `/ingest/${src.path_token}`, payload: 'x' })).statusCode === 202,
    {
      timeoutMs: 10_000,
      intervalMs: 10,
      message: 'source token works on the second instance',
    },
  );
  const key = await create(one.app, acme, '/v1/api-keys', { name: 'k' });
  await waitFor(
    async () =>
      (await two.app.inject({ method: 'GET', url: '/v1/sources', headers: { authorization: `Bearer ${key.key}` } }))
        .statusCode === 200,
    { timeoutMs: 10_000, intervalMs: 10, message: 'a new key works on the second instance' },
  );
  await one.app.inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: acme.auth });
  await waitFor(
    async () =>
      (await two.app.inject({ method: 'GET', url: '/v1/sources', headers: { authorization: `Bearer ${key.key}` } }))
        .statusCode === 401,
    { timeoutMs: 10_000, intervalMs: 10, message: 'revocation reaches the second instance' },
  );
  t.equal((await storedEvents(two.broker)).length, 1);
});
