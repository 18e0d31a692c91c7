// Input the API must answer well: hostile schema patterns, contradictory source settings, action
// endpoints called without a body, and errors that say what to do (limits, allowed values,
// unknown paths, private destinations).
import t from 'tap';
import { create, signup, startApi } from './harness.ts';

const N = 100_000;

t.test(
  'a catastrophic schema pattern does not hold the API: publishing against it answers at once, and correctly',
  async (t) => {
    const { app } = await startApi(t);
    const a = await signup(app, 'a');
    const schema = {
      type: 'object',
      properties: { s: { type: 'string', pattern: '^(a+)+$' }, t: { type: 'string', pattern: '^(a|aa)+$' } },
      patternProperties: { '^x(.*y){12}$': { type: 'integer' } },
    };
    await create(app, a, '/v1/event-types', { name: 'redos.probe', schema });
    // With a backtracking engine each of these takes longer than the test's timeout.
    const adversarial = `${'a'.repeat(N)}!`;
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'redos.probe', payload: { s: adversarial } },
    });
    t.equal(bad.statusCode, 400, bad.body.slice(0, 200));
    t.match(bad.json().error, /payload\.s must match pattern "\^\(a\+\)\+\$"/);
    const bad2 = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'redos.probe', payload: { t: adversarial } },
    });
    t.equal(bad2.statusCode, 400);
    const key = `x${'y'.repeat(N)}!`;
    const keyed = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'redos.probe', payload: { [key]: 'not checked: the key does not match' } },
    });
    t.equal(keyed.statusCode, 202, 'a long key against patternProperties');
    const good = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'redos.probe', payload: { s: 'a'.repeat(N), t: 'aaa', ['x' + 'y'.repeat(12)]: 5 } },
    });
    t.equal(good.statusCode, 202, good.body.slice(0, 200));
    const wrongType = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'redos.probe', payload: { ['x' + 'y'.repeat(12)]: 'five' } },
    });
    t.equal(wrongType.statusCode, 400, 'a key matching a pattern property is checked against it');
  },
);

t.test('a payload checked against a schema is bounded, and the 413 says the limit', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  await create(app, a, '/v1/event-types', {
    name: 'big.thing',
    schema: { type: 'object', properties: { items: { type: 'array', uniqueItems: true } } },
  });
  const items = Array.from({ length: 120_000 }, (_, i) => ({ i }));
  const r = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'big.thing', payload: { items } },
  });
  t.equal(r.statusCode, 413);
  t.match(r.json(), { code: 'payload_too_large', error: /at most 1 MB \(1048576 bytes\)/ });
  const untyped = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'no.schema', payload: { items } },
  });
  t.equal(untyped.statusCode, 202, 'a type without a schema keeps the 5 MB limit');
  // Under the bound, 60 000 distinct items are checked for uniqueness without comparing every pair.
  const half = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'big.thing', payload: { items: items.slice(0, 60_000) } },
  });
  t.equal(half.statusCode, 202, half.body.slice(0, 200));
  const dup = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'big.thing', payload: { items: [...items.slice(0, 60_000), { i: 5 }] } },
  });
  t.equal(dup.statusCode, 400);
  t.match(dup.json().error, /duplicate items/);
});

t.test('a validation made costly by the schema is stopped with a 400 while the API goes on answering', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  // A thousand patternProperties against sixty thousand keys, each key valid: every key is tried
  // against every pattern, tens of seconds of work.
  const patterns: Record<string, unknown> = {};
  for (let i = 0; i < 1000; i++) patterns[`^a${i}x\\d+$`] = { type: 'integer' };
  await create(app, a, '/v1/event-types', {
    name: 'costly.keys',
    schema: { type: 'object', patternProperties: patterns, additionalProperties: false },
  });
  const keys: Record<string, number> = {};
  for (let i = 0; i < 60_000; i++) keys[`a999x${i}`] = 1;
  // Five hundred anyOf branches over a long array whose items pass only the last one.
  const branches = Array.from({ length: 500 }, (_, i) => ({ type: 'object', required: [`f${i}`] }));
  await create(app, a, '/v1/event-types', {
    name: 'costly.items',
    schema: { type: 'array', items: { anyOf: branches } },
  });

  let settled = false;
  const costly = app
    .inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'costly.keys', payload: keys },
    })
    .finally(() => {
      settled = true;
    });
  const other = await signup(app, 'b');
  const meanwhile = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: other.auth,
    payload: { event_type: 'plain', payload: { n: 1 } },
  });
  t.equal(meanwhile.statusCode, 202, "another account's publish is answered");
  t.equal(settled, false, '... while the costly validation is still running');
  const r = await costly;
  t.equal(r.statusCode, 400);
  t.match(r.json(), {
    code: 'validation_too_costly',
    error: /schema of 'costly\.keys' was stopped: it took longer than 2 s \(the limits are 2 s and 128 MB\)/,
  });

  const items = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'costly.items', payload: Array.from({ length: 80_000 }, () => ({ f499: 1 })) },
  });
  t.equal(items.statusCode, 400);
  t.equal(items.json().code, 'validation_too_costly', items.json().error);

  // The workers that were stopped are replaced: ordinary validation goes on.
  await create(app, a, '/v1/event-types', { name: 'small', schema: { type: 'object', required: ['id'] } });
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'small', payload: { id: 1 } },
  });
  t.equal(ok.statusCode, 202);
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/outbound-events',
    headers: a.auth,
    payload: { event_type: 'small', payload: {} },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().error, /must have required property 'id'/);
});

t.test('a schema whose pattern RE2 cannot run is refused at creation and on change, naming the pattern', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  for (const [pattern, where] of [
    ['^(a)\\1$', 'pattern'],
    ['^(?=.*\\d)\\w+$', 'pattern'],
    ['^(?!admin)\\w+$', 'patternProperties'],
  ] as const) {
    const schema =
      where === 'pattern'
        ? { type: 'object', properties: { s: { type: 'string', pattern } } }
        : { type: 'object', patternProperties: { [pattern]: { type: 'string' } } };
    const r = await app.inject({
      method: 'POST',
      url: '/v1/event-types',
      headers: a.auth,
      payload: { name: 'refused.type', schema },
    });
    t.equal(r.statusCode, 400, pattern);
    t.ok(r.json().error.includes(`pattern ${JSON.stringify(pattern)} is not supported`), r.json().error);
    t.match(r.json().error, /linear-time engine \(RE2\), without backreferences or lookaround/);
  }
  const et = await create(app, a, '/v1/event-types', {
    name: 'ok.type',
    schema: { type: 'object', properties: { s: { type: 'string', pattern: '^[a-z]+$' } } },
  });
  const patch = await app.inject({
    method: 'PATCH',
    url: `/v1/event-types/${et.id}`,
    headers: a.auth,
    payload: { schema: { type: 'object', properties: { s: { type: 'string', pattern: '(x)\\1' } } } },
  });
  t.equal(patch.statusCode, 400);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/event-types/${et.id}`, headers: a.auth })).json().data.schema
      .properties.s.pattern,
    '^[a-z]+$',
    'nothing changed',
  );
  const list = await app.inject({ method: 'GET', url: '/v1/event-types', headers: a.auth });
  t.equal(list.json().data.length, 1, 'no refused type was stored');
});

t.test("auth_mode 'none' with a verification secret is a contradiction: 400 on create and on PATCH", async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const vc = { provider: 'github', secret: 'gh-secret-123' };
  const r = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: a.auth,
    payload: { name: 's', auth_mode: 'none', verification_config: vc },
  });
  t.equal(r.statusCode, 400);
  t.match(r.json(), {
    code: 'bad_request',
    error:
      /auth_mode is 'none' but a verification_config is given.*Set auth_mode to 'shared_secret'.*or verification_config to null/,
  });
  t.notOk(r.body.includes('gh-secret-123'), 'the secret is not echoed');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/sources', headers: a.auth })).json().data.length,
    0,
    'nothing stored',
  );

  const signed = await create(app, a, '/v1/sources', { name: 'signed', verification_config: vc });
  t.equal(signed.auth_mode, 'shared_secret');
  const off = await app.inject({
    method: 'PATCH',
    url: `/v1/sources/${signed.id}`,
    headers: a.auth,
    payload: { auth_mode: 'none' },
  });
  t.equal(off.statusCode, 400, 'auth_mode none against the stored secret');
  t.match(off.json().error, /auth_mode is 'none' but it has a verification_config/);
  const both = await app.inject({
    method: 'PATCH',
    url: `/v1/sources/${signed.id}`,
    headers: a.auth,
    payload: { auth_mode: 'none', verification_config: vc },
  });
  t.equal(both.statusCode, 400, 'both sides in one PATCH');
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/sources/${signed.id}`, headers: a.auth })).json().data.auth_mode,
    'shared_secret',
    'unchanged',
  );
  const cleared = await app.inject({
    method: 'PATCH',
    url: `/v1/sources/${signed.id}`,
    headers: a.auth,
    payload: { auth_mode: 'none', verification_config: null },
  });
  t.equal(cleared.statusCode, 200, 'turning verification off means removing the secret too');
  t.equal(cleared.json().data.auth_mode, 'none');

  const open = await create(app, a, '/v1/sources', { name: 'open', auth_mode: 'none' });
  const secretOnly = await app.inject({
    method: 'PATCH',
    url: `/v1/sources/${open.id}`,
    headers: a.auth,
    payload: { verification_config: vc },
  });
  t.equal(secretOnly.statusCode, 200, 'a secret alone turns verification on, as on create');
  t.equal(secretOnly.json().data.auth_mode, 'shared_secret');
  const explicit = await app.inject({
    method: 'PATCH',
    url: `/v1/sources/${open.id}`,
    headers: a.auth,
    payload: { auth_mode: 'none', name: 'still-open' },
  });
  t.equal(explicit.statusCode, 400, 'auth_mode none against the secret stored by the PATCH before');
});

t.test('action endpoints whose fields are all optional take a missing or empty body', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const dest = await create(app, a, '/v1/destinations', { name: 'd', url: 'http://127.0.0.1:9/hook' });
  const bodies = [
    { name: 'no body, no content type', headers: {} },
    { name: 'JSON content type, empty body', headers: { 'content-type': 'application/json' }, payload: '' },
    { name: '{}', headers: { 'content-type': 'application/json' }, payload: '{}' },
  ];
  for (const b of bodies) {
    const r = await app.inject({
      method: 'POST',
      url: `/v1/destinations/${dest.id}/rotate-secret`,
      headers: { ...a.auth, ...b.headers },
      ...(b.payload !== undefined ? { payload: b.payload } : {}),
    });
    t.equal(r.statusCode, 200, `rotate-secret, ${b.name}: ${r.body}`);
    t.match(r.json().data.signing_secret, /^whsec_/);
    const v = await app.inject({
      method: 'POST',
      url: '/v1/custom-domains/00000000-0000-0000-0000-000000000000/verify',
      headers: { ...a.auth, ...b.headers },
      ...(b.payload !== undefined ? { payload: b.payload } : {}),
    });
    t.equal(v.statusCode, 404, `custom-domains verify, ${b.name}: the route ran (${v.body})`);
  }
  // A body that must carry fields still says so.
  const noName = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...a.auth, 'content-type': 'application/json' },
    payload: '',
  });
  t.equal(noName.statusCode, 400);
  t.match(noName.json().error, /request body is empty/);
  const bare = await app.inject({ method: 'POST', url: '/v1/sources', headers: a.auth });
  t.equal(bare.statusCode, 400);
  const wrong = await app.inject({
    method: 'POST',
    url: `/v1/destinations/${dest.id}/rotate-secret`,
    headers: a.auth,
    payload: { overlap_s: 'soon' },
  });
  t.equal(wrong.statusCode, 400, 'a body that is there is still validated');
});

t.test('errors that say what to do: allowed values, limits, unknown paths, private destinations', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');

  const status = await app.inject({ method: 'GET', url: '/v1/events?status=bogus', headers: a.auth });
  t.equal(status.statusCode, 400);
  t.equal(
    status.json().error,
    'querystring.status: must be one of "received", "queued", "delivering", "retry_scheduled", "delivered", "dead_letter", "unrouted"',
  );
  const format = await app.inject({
    method: 'POST',
    url: '/v1/exports',
    headers: a.auth,
    payload: { kind: 'events', format: 'xlsx' },
  });
  t.equal(format.statusCode, 400);
  t.equal(format.json().error, 'body.format: must be one of "ndjson", "csv"');

  const big = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...a.auth, 'content-type': 'application/json' },
    payload: `{"name":"${'x'.repeat(1024 * 1024)}"}`,
  });
  t.equal(big.statusCode, 413);
  t.match(big.json(), {
    code: 'payload_too_large',
    error: 'request body too large: the limit is 1 MB (1048576 bytes)',
  });
  const src = await create(app, a, '/v1/sources', { name: 'in' });
  const bigIngest = await app.inject({
    method: 'POST',
    url: `/ingest/${src.path_token}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(5 * 1024 * 1024 + 1),
  });
  t.equal(bigIngest.statusCode, 413);
  t.match(bigIngest.json(), {
    code: 'payload_too_large',
    error: 'request body too large: the limit is 5 MB (5242880 bytes)',
  });

  for (const [method, url] of [
    ['GET', '/v2/nothing'],
    ['POST', '/v1/nowhere?x=1'],
    ['DELETE', '/'],
  ] as const) {
    const r = await app.inject({ method, url, headers: a.auth });
    t.equal(r.statusCode, 404);
    t.match(r.json(), { error: `no route for ${method} ${url.split('?')[0]}`, code: 'not_found', duration_ms: Number });
  }

  const strict = await startApi(t, { allowPrivateDestinations: false });
  const b = await signup(strict.app, 'b');
  for (const url of ['http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://localhost/hook']) {
    const r = await strict.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: b.auth,
      payload: { name: 'p', url },
    });
    t.equal(r.statusCode, 400, url);
    t.match(r.json().error, /ALLOW_PRIVATE_DESTINATIONS=true/, url);
  }
  const scheme = await strict.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: b.auth,
    payload: { name: 'p', url: 'ftp://example.com/' },
  });
  t.equal(scheme.statusCode, 400);
  t.notMatch(scheme.json().error, /ALLOW_PRIVATE_DESTINATIONS/, 'only refusals the setting would lift name it');
});
