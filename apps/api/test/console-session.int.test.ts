// Console sign-in against a real nats-server: the cookie, the CSRF header rule on /v1, the ends of a
// session (sign-out, revoked key, deleted account, idle), tenancy, and what the bucket holds.
import t from 'tap';
import { Writable } from 'node:stream';
import { CONSOLE_SESSION_BUCKET } from '@hookstream/contracts';
import { createLogger } from '@hookstream/observability';
import { deleteStream, streamMessages, waitFor } from '@hookstream/testkit';
import { type Broker, openConsoleSessionKv } from '@hookstream/broker';
import { sessionKey } from '../src/console/sessions.ts';
import { stillAuthenticated } from '../src/auth.ts';
import type { ApiDeps } from '../src/context.ts';
import type { FastifyInstance } from 'fastify';
import { type ApiApp } from '../src/build.ts';
import { apiOn, create, signup, startApi } from './harness.ts';

const CONSOLE = { 'x-hookstream-console': '1' };

async function signIn(app: ApiApp, apiKey: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/console/session', payload: { api_key: apiKey }, headers });
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set : [set ?? '']).find((c) => c.startsWith('hs_console=')) ?? '';
  const id = /^hs_console=([^;]*)/.exec(line)?.[1] ?? '';
  return { res, line, id, cookie: { cookie: `hs_console=${id}` } };
}

/** Every message stored in the sessions bucket's stream: subjects and payloads, as text. */
async function bucketContents(broker: Broker): Promise<string> {
  const stream = `KV_${CONSOLE_SESSION_BUCKET}`;
  const out: string[] = [];
  for (const m of await streamMessages(broker, stream))
    out.push(`${m.subject} ${Buffer.from(m.data).toString('utf8')}`);
  return out.join('\n');
}

t.test('signing in sets an httpOnly, SameSite=Strict cookie; the bucket holds only its hash', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app, 'acme');
  const { res, line, id } = await signIn(app, acme.key);
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(body.data.account, { id: acme.accountId, name: 'acme', plan: 'free' });
  t.ok(Date.parse(body.data.expires_at) > Date.now() + 11 * 3_600_000, 'expires 12 h after the last use');
  t.type(body.duration_ms, 'number');
  t.match(id, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  t.match(line, /; HttpOnly/);
  t.match(line, /; SameSite=Strict/);
  t.match(line, /; Path=\//);
  t.notMatch(line, /Secure/, 'not Secure over plain http');
  t.equal(res.headers['cache-control'], 'no-store');
  t.notOk(res.body.includes(acme.key), 'the key is not echoed');

  const stored = await bucketContents(broker);
  t.ok(stored.includes(sessionKey(id)), 'the entry is keyed by the hash of the id');
  t.notOk(stored.includes(id), 'the id itself is nowhere in the bucket');
  t.notOk(stored.includes(acme.key), 'nor the key');
  t.match(stored, /"account_id"/);

  const again = await signIn(app, acme.key, { cookie: `hs_console=${id}` });
  t.not(again.id, id, 'every sign-in gets a new id');
  const old = await app.inject({ method: 'GET', url: '/console/session', headers: { cookie: `hs_console=${id}` } });
  t.equal(old.statusCode, 401, 'and ends the session the browser held before');
  t.equal((await app.inject({ method: 'GET', url: '/console/session', headers: again.cookie })).statusCode, 200);
});

t.test('a wrong, malformed or revoked key gets 401 in the envelope and no cookie', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app);
  const before = await bucketContents(broker);
  for (const key of ['hk_' + 'x'.repeat(43), 'nope', acme.key.slice(0, -1)]) {
    const { res, line } = await signIn(app, key);
    t.equal(res.statusCode, 401, key);
    t.same(Object.keys(res.json()).sort(), ['code', 'duration_ms', 'error']);
    t.match(res.json(), { error: 'That API key is not valid.', code: 'invalid_credentials' });
    t.equal(line, '', 'no cookie');
  }
  const spare = await create(app, acme, '/v1/api-keys', { name: 'spare' });
  await app.inject({ method: 'DELETE', url: `/v1/api-keys/${spare.id}`, headers: acme.auth });
  t.equal((await signIn(app, spare.key as string)).res.json().code, 'invalid_credentials', 'a revoked key');

  const bad = [
    { payload: {}, status: 400, code: 'validation_failed' },
    { payload: { api_key: 42 }, status: 400, code: 'validation_failed' },
    { payload: { api_key: acme.key, extra: 1 }, status: 400, code: 'validation_failed' },
    { payload: '{"api_key":', status: 400, code: 'bad_request', type: 'application/json' },
    {
      payload: `api_key=${acme.key}`,
      status: 415,
      code: 'unsupported_media_type',
      type: 'application/x-www-form-urlencoded',
    },
    { payload: `{"api_key":"${acme.key}"}`, status: 415, code: 'unsupported_media_type', type: 'text/plain' },
  ];
  for (const b of bad) {
    const res = await app.inject({
      method: 'POST',
      url: '/console/session',
      payload: b.payload as never,
      ...(b.type ? { headers: { 'content-type': b.type } } : {}),
    });
    t.equal(res.statusCode, b.status, JSON.stringify(b.payload));
    t.equal(res.json().code, b.code);
    t.notOk(res.headers['set-cookie'], 'no cookie');
  }
  t.equal(await bucketContents(broker), before, 'nothing stored');
});

t.test('the cookie authenticates /v1; mutations need the console header; Bearer wins over the cookie', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app, 'acme');
  const other = await signup(app, 'other');
  const { cookie } = await signIn(app, acme.key);

  const account = await app.inject({ method: 'GET', url: '/v1/account', headers: cookie });
  t.equal(account.statusCode, 200);
  t.equal(account.json().data.id, acme.accountId);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/sources', headers: cookie })).statusCode,
    200,
    'GET needs no header',
  );
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/sources', headers: cookie })).statusCode, 200, 'nor HEAD');

  const forged = await app.inject({ method: 'POST', url: '/v1/sources', headers: cookie, payload: { name: 'forged' } });
  t.equal(forged.statusCode, 403);
  t.match(forged.json(), { code: 'csrf_header_missing', error: /x-hookstream-console: 1/ });
  const wrongValue = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...cookie, 'x-hookstream-console': 'yes' },
    payload: { name: 'forged' },
  });
  t.equal(wrongValue.statusCode, 403);
  const list = await app.inject({ method: 'GET', url: '/v1/sources', headers: cookie });
  t.same(list.json().data, [], 'nothing was created');

  const made = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...cookie, ...CONSOLE },
    payload: { name: 'shop' },
  });
  t.equal(made.statusCode, 201);
  const id = made.json().data.id;
  for (const method of ['PATCH', 'DELETE'] as const) {
    const res = await app.inject({
      method,
      url: `/v1/sources/${id}`,
      headers: cookie,
      ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
    });
    t.equal(res.statusCode, 403, `${method} without the header`);
  }
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/sources/${id}`, headers: cookie })).json().data.name,
    'shop',
    'unchanged',
  );

  const both = await app.inject({ method: 'GET', url: '/v1/account', headers: { ...cookie, ...other.auth } });
  t.equal(both.json().data.id, other.accountId, 'the Bearer key decides');
  const bothPost = await app.inject({
    method: 'POST',
    url: '/v1/sources',
    headers: { ...cookie, ...other.auth },
    payload: { name: 'by key' },
  });
  t.equal(bothPost.statusCode, 201, 'a Bearer request needs no console header');
  const badBearer = await app.inject({
    method: 'GET',
    url: '/v1/account',
    headers: { ...cookie, authorization: 'Bearer nope' },
  });
  t.equal(badBearer.statusCode, 401, 'a bad key is not rescued by the cookie');

  // A cross-origin script could add the header only after a CORS preflight, which is never granted.
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/sources',
    headers: {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-hookstream-console',
    },
  });
  t.notOk(
    Object.keys(preflight.headers).some((h) => h.startsWith('access-control-allow')),
    'no CORS grant',
  );

  const unknown = await app.inject({
    method: 'GET',
    url: '/v1/account',
    headers: { cookie: `hs_console=${'A'.repeat(43)}` },
  });
  t.equal(unknown.statusCode, 401);
  t.equal(unknown.json().code, 'unauthenticated');
  const garbage = await app.inject({ method: 'GET', url: '/v1/account', headers: { cookie: 'hs_console=../../x' } });
  t.equal(garbage.statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/v1/account' })).statusCode, 401, 'neither key nor cookie');
});

t.test("one account's session never sees another's data", async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const aSrc = await create(app, a, '/v1/sources', { name: 'a-only' });
  const aDst = await create(app, a, '/v1/destinations', { name: 'a-dst', url: 'http://127.0.0.1:9/' });
  const { cookie } = await signIn(app, b.key);
  const sources = await app.inject({ method: 'GET', url: '/v1/sources', headers: cookie });
  t.same(sources.json().data, []);
  t.equal((await app.inject({ method: 'GET', url: `/v1/sources/${aSrc.id}`, headers: cookie })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: `/v1/destinations/${aDst.id}`, headers: cookie })).statusCode, 404);
  const del = await app.inject({ method: 'DELETE', url: `/v1/sources/${aSrc.id}`, headers: { ...cookie, ...CONSOLE } });
  t.equal(del.statusCode, 404);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/sources/${aSrc.id}`, headers: a.auth })).statusCode,
    200,
    "a's source is untouched",
  );
  const session = await app.inject({ method: 'GET', url: '/console/session', headers: cookie });
  t.equal(session.json().data.account.id, b.accountId);
});

t.test('GET /console/session: the account, its brand and the expiry; 401 when signed out', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app, 'acme');
  const { cookie } = await signIn(app, acme.key);
  const plain = await app.inject({ method: 'GET', url: '/console/session', headers: cookie });
  t.equal(plain.statusCode, 200);
  t.match(plain.json().data, { account: { id: acme.accountId, name: 'acme', plan: 'free' }, brand: null });
  t.type(plain.json().data.expires_at, 'string');
  await app.inject({
    method: 'POST',
    url: '/v1/brand-settings',
    headers: acme.auth,
    payload: { name: 'Acme', primary_color: '#112233' },
  });
  const branded = await app.inject({ method: 'GET', url: '/console/session', headers: cookie });
  t.match(branded.json().data.brand, { name: 'Acme', primary_color: '#112233' });

  const none = await app.inject({ method: 'GET', url: '/console/session' });
  t.equal(none.statusCode, 401);
  t.match(none.json(), { code: 'unauthenticated', error: /sign in/ });
});

t.test('signing out ends the session, clears the cookie, and needs the header', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app);
  const { cookie, id } = await signIn(app, acme.key);

  const forged = await app.inject({ method: 'DELETE', url: '/console/session', headers: cookie });
  t.equal(forged.statusCode, 403);
  t.equal(forged.json().code, 'csrf_header_missing');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode,
    200,
    'still signed in',
  );

  const out = await app.inject({ method: 'DELETE', url: '/console/session', headers: { ...cookie, ...CONSOLE } });
  t.equal(out.statusCode, 200);
  t.same(out.json().data, { signed_out: true });
  t.match(String(out.headers['set-cookie']), /^hs_console=;.*Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');
  t.equal((await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/console/session', headers: cookie })).statusCode, 401);
  t.notOk((await bucketContents(broker)).includes(`${sessionKey(id)} {`), 'no session record left');

  const again = await app.inject({ method: 'DELETE', url: '/console/session' });
  t.equal(again.statusCode, 200, 'signing out without a session is harmless');
});

t.test('revoking the key ends its sessions at once, on every api copy', async (t) => {
  const first = await startApi(t);
  const second = await apiOn(t, first.natsUrl);
  const acme = await signup(first.app);
  const spare = await create(first.app, acme, '/v1/api-keys', { name: 'console' });
  const { cookie } = await signIn(first.app, spare.key as string);
  t.equal(
    (await second.app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode,
    200,
    'the other copy sees the session',
  );
  const kept = await signIn(first.app, acme.key);

  const revoke = await first.app.inject({
    method: 'DELETE',
    url: `/v1/api-keys/${spare.id}`,
    headers: { ...cookie, ...CONSOLE },
  });
  t.equal(revoke.statusCode, 204, 'a session may revoke its own key');
  const after = await first.app.inject({ method: 'GET', url: '/v1/account', headers: cookie });
  t.equal(after.statusCode, 401, 'the next request on the same copy is refused');
  t.equal(after.json().code, 'unauthenticated');
  // The other copy learns of the revocation through its config watch, within moments.
  await waitFor(
    async () => (await second.app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode === 401,
    {
      timeoutMs: 5_000,
      message: 'the revocation reaches the other copy',
    },
  );
  t.equal(
    (await second.app.inject({ method: 'GET', url: '/v1/account', headers: kept.cookie })).statusCode,
    200,
    'a session of another key lives on',
  );
});

t.test('a deleted account ends its sessions', async (t) => {
  const { app, catalog } = await startApi(t);
  const acme = await signup(app);
  const { cookie } = await signIn(app, acme.key);
  await catalog.remove('account', acme.accountId);
  const res = await app.inject({ method: 'GET', url: '/v1/sources', headers: cookie });
  t.equal(res.statusCode, 401);
  t.equal(res.json().code, 'unauthenticated');
});

t.test('a session unused for the idle period ends; use keeps it alive, written at most once a minute', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const { app, broker } = await startApi(t, { consoleSessionIdleMs: 12 * 3_600_000 }, { now: () => now });
  const acme = await signup(app);
  const { cookie, res } = await signIn(app, acme.key);
  t.equal(res.json().data.expires_at, '2026-01-01T12:00:00.000Z');
  const stream = `KV_${CONSOLE_SESSION_BUCKET}`;
  const writes = async () => (await broker.streams.info(stream)).state.last_seq;
  const afterSignIn = await writes();

  now += 30_000;
  t.equal((await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode, 200);
  t.equal(await writes(), afterSignIn, 'used within the minute: not rewritten');

  now += 11 * 3_600_000;
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode,
    200,
    '11 h later: still signed in',
  );
  t.equal(await writes(), afterSignIn + 1, 'and last_seen_at moved on');
  const session = await app.inject({ method: 'GET', url: '/console/session', headers: cookie });
  t.equal(
    session.json().data.expires_at,
    new Date(now + 12 * 3_600_000).toISOString(),
    'the expiry follows the last use',
  );

  now += 12 * 3_600_000 - 1_000;
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode,
    200,
    'just under 12 h idle',
  );
  now += 12 * 3_600_000;
  const idle = await app.inject({ method: 'GET', url: '/v1/account', headers: cookie });
  t.equal(idle.statusCode, 401, '12 h idle: refused');
  t.equal(idle.json().code, 'unauthenticated');
  now -= 12 * 3_600_000;
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/account', headers: cookie })).statusCode,
    401,
    'and removed, not only refused',
  );
});

t.test('the bucket expires idle entries itself, with the idle period as its max age', async (t) => {
  const { broker } = await startApi(t, { consoleSessionIdleMs: 2 * 3_600_000 });
  const info = await broker.streams.info(`KV_${CONSOLE_SESSION_BUCKET}`);
  t.equal(info.config.max_age, 2 * 3_600_000 * 1_000_000);
  t.equal(info.config.max_msgs_per_subject, 1, 'one record per session, no history');
  await openConsoleSessionKv(broker, { replicas: 1, idleMs: 3 * 3_600_000 });
  const changed = await broker.streams.info(`KV_${CONSOLE_SESSION_BUCKET}`);
  t.equal(changed.config.max_age, 3 * 3_600_000 * 1_000_000, 'a changed idle period reaches an existing bucket');
});

t.test('Secure under https: PUBLIC_URL, or a proxy that says so', async (t) => {
  const viaUrl = await startApi(t, { publicUrl: 'https://hooks.example.com' });
  const a = await signup(viaUrl.app);
  t.match((await signIn(viaUrl.app, a.key)).line, /; Secure/);

  const viaProxy = await apiOn(t, viaUrl.natsUrl, { trustProxy: true });
  t.match((await signIn(viaProxy.app, a.key, { 'x-forwarded-proto': 'https' })).line, /; Secure/);
  t.notMatch((await signIn(viaProxy.app, a.key)).line, /Secure/);
});

t.test('sign-in attempts are rate limited per address', async (t) => {
  const { app } = await startApi(t, { consoleSignInRatePerMinute: 3 });
  const acme = await signup(app);
  for (let i = 0; i < 3; i++) t.equal((await signIn(app, 'hk_wrong_key_000000000')).res.statusCode, 401);
  const limited = await signIn(app, acme.key);
  t.equal(limited.res.statusCode, 429);
  t.match(limited.res.json(), { code: 'rate_limited', error: /too many sign-in attempts/ });
  t.equal(limited.line, '');
  const other = await signIn(app, acme.key, { 'x-forwarded-for': '10.0.0.9' });
  t.equal(other.res.statusCode, 429, 'X-Forwarded-For is not trusted unless TRUST_PROXY says so');
});

t.test('neither the key nor the session id is ever logged, also when the bucket fails', async (t) => {
  let logged = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += String(chunk);
      done();
    },
  });
  const { app, broker } = await startApi(t, {}, { log: createLogger('trace', 'api', sink) });
  const acme = await signup(app);
  const { id, cookie } = await signIn(app, acme.key);
  await signIn(app, `${acme.key.slice(0, -2)}xx`);
  await app.inject({ method: 'GET', url: '/v1/account', headers: cookie });
  await app.inject({ method: 'POST', url: '/v1/sources', headers: cookie, payload: { name: 'x' } });

  await deleteStream(broker, `KV_${CONSOLE_SESSION_BUCKET}`);
  const down = await signIn(app, acme.key);
  t.equal(down.res.statusCode, 503, 'the bucket gone: a 503 to retry');
  t.match(down.res.json(), { code: 'unavailable', error: /console sessions are unavailable/ });
  const downAuth = await app.inject({ method: 'GET', url: '/v1/account', headers: cookie });
  t.equal(downAuth.statusCode, 503, 'not a 401 that would sign the user out');

  t.match(logged, /console sessions are unavailable/, 'the failure was logged');
  t.notOk(logged.includes(acme.key), 'the key is not in the log');
  t.notOk(logged.includes(acme.key.slice(0, -2)), 'nor a near miss');
  t.notOk(logged.includes(id), 'nor the session id');
});

t.test('a long-lived request learns that its key was revoked or its session ended', async (t) => {
  // A route that holds its answer until the test lets go, like an event stream between heartbeats.
  const held: Array<() => void> = [];
  const ctx: { deps?: ApiDeps } = {};
  const hold = async (app: FastifyInstance) => {
    app.get('/hold', async (request) => {
      await new Promise<void>((resolve) => held.push(resolve));
      return { still: await stillAuthenticated(ctx.deps as ApiDeps, request) };
    });
  };
  const h = await startApi(t, {}, { plugins: [hold] });
  ctx.deps = {
    settings: h.settings,
    catalog: h.catalog,
    consoleSessions: await openConsoleSessionKv(h.broker, { replicas: 1, idleMs: h.settings.consoleSessionIdleMs }),
  } as ApiDeps;
  const acme = await signup(h.app);
  const spare = await create(h.app, acme, '/v1/api-keys', { name: 'stream' });
  const release = async () => {
    await waitFor(() => held.length > 0, { message: 'the request is held' });
    held.shift()?.();
  };
  const still = async (headers: Record<string, string>, meanwhile: () => Promise<unknown>) => {
    const res = h.app.inject({ method: 'GET', url: '/v1/hold', headers });
    await waitFor(() => held.length > 0, { message: 'the request is held' });
    await meanwhile();
    await release();
    return (await res).json().still as boolean;
  };

  const { cookie } = await signIn(h.app, acme.key);
  t.equal(await still(cookie, async () => {}), true, 'a session nothing happened to');
  t.equal(await still({ authorization: `Bearer ${spare.key}` }, async () => {}), true, 'a key nothing happened to');
  t.equal(
    await still(cookie, () =>
      h.app.inject({ method: 'DELETE', url: '/console/session', headers: { ...cookie, ...CONSOLE } }),
    ),
    false,
    'signed out meanwhile',
  );
  const other = await signIn(h.app, spare.key as string);
  t.equal(
    await still({ authorization: `Bearer ${spare.key}` }, () =>
      h.app.inject({ method: 'DELETE', url: `/v1/api-keys/${spare.id}`, headers: acme.auth }),
    ),
    false,
    'the key revoked meanwhile',
  );
  t.equal((await h.app.inject({ method: 'GET', url: '/v1/account', headers: other.cookie })).statusCode, 401);
});

t.test('checking a session from a long-lived request is not a use: it still goes idle', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const held: Array<() => void> = [];
  const ctx: { deps?: ApiDeps } = {};
  const hold = async (app: FastifyInstance) => {
    app.get('/hold', async (request) => {
      await new Promise<void>((resolve) => held.push(resolve));
      return { still: await stillAuthenticated(ctx.deps as ApiDeps, request) };
    });
  };
  const h = await startApi(t, { consoleSessionIdleMs: 3_600_000 }, { plugins: [hold], now: () => now });
  ctx.deps = {
    settings: h.settings,
    catalog: h.catalog,
    now: () => now,
    consoleSessions: await openConsoleSessionKv(h.broker, { replicas: 1, idleMs: h.settings.consoleSessionIdleMs }),
  } as ApiDeps;
  const acme = await signup(h.app);
  const { cookie } = await signIn(h.app, acme.key);
  const writes = async () => (await h.broker.streams.info(`KV_${CONSOLE_SESSION_BUCKET}`)).state.last_seq;

  const first = h.app.inject({ method: 'GET', url: '/v1/hold', headers: cookie });
  await waitFor(() => held.length > 0, { message: 'held' });
  now += 10 * 60_000;
  const before = await writes();
  held.shift()?.();
  t.equal((await first).json().still, true);
  t.equal(await writes(), before, 'the check wrote nothing');

  const second = h.app.inject({ method: 'GET', url: '/v1/hold', headers: cookie });
  await waitFor(() => held.length > 0, { message: 'held' });
  now += 3_600_000;
  held.shift()?.();
  t.equal((await second).json().still, false, 'an hour after the last use, though the request was open all along');
});
