// Single sign-on end to end against a real OpenID provider (oidc-provider) started here: a member
// and an invited person sign in, strangers do not, and ID tokens with a wrong audience or already
// expired are refused. The provider signs every token with its own key; for the refusals it signs
// one whose audience or expiry is wrong, as a misconfigured or replaying provider would.
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { Writable } from 'node:stream';
import Provider from 'oidc-provider';
import { createLogger } from '@hookstream/observability';
import type { ApiApp } from '../src/build.ts';
import { startApi } from './harness.ts';

const CLIENT_ID = 'hookstream-console';
const CLIENT_SECRET = 'a-client-secret-of-some-length';
const PASSWORD = 'a long enough password';

type Tamper = null | 'wrong_audience' | 'expired';

async function startProvider(t: Test, redirectUri: string) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  let handler: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.end();
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['a cookie key for the test provider'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The login of the provider's development form is the person's email; the subject derives from it.
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: `sub-${id}`, email: id, email_verified: true, name: id.split('@')[0] }),
    }),
    features: { devInteractions: { enabled: true } },
  });
  const state = { tamper: null as Tamper };
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || state.tamper === null) return;
    const body = ctx.body as { id_token?: string };
    if (!body?.id_token) return;
    const [h, p] = body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    if (state.tamper === 'wrong_audience') claims.aud = 'some-other-client';
    if (state.tamper === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    const input = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    body.id_token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  });
  const callback = provider.callback();
  handler = (req, res) => void callback(req, res);
  return { issuer, state };
}

/** A person at the provider: logs in as `email` and consents, until the provider sends the browser back. */
async function throughProvider(authorizeUrl: string, email: string, redirectUri: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = (pair as string).indexOf('=');
      jar.set((pair as string).slice(0, i), (pair as string).slice(i + 1));
    }
  };
  let url = authorizeUrl;
  let form: URLSearchParams | null = null;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) return url;
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookieHeader(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ?? undefined,
    });
    remember(res);
    form = null;
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await res.text();
    if (html.includes('value="login"')) form = new URLSearchParams({ prompt: 'login', login: email, password: 'any' });
    else if (html.includes('value="consent"')) form = new URLSearchParams({ prompt: 'consent' });
    else throw new Error(`unexpected page at the provider (${res.status}): ${html.slice(0, 300)}`);
  }
  throw new Error('the provider never sent the browser back');
}

function cookiesOf(res: { headers: Record<string, string | string[] | number | undefined> }): Record<string, string> {
  const set = res.headers['set-cookie'];
  const out: Record<string, string> = {};
  for (const c of Array.isArray(set) ? set : typeof set === 'string' ? [set] : []) {
    const m = /^([^=]+)=([^;]*)/.exec(c);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

/** The whole sign-in: start, provider, callback. Answers the callback's answer. */
async function ssoSignIn(app: ApiApp, accountId: string, email: string, redirectUri: string) {
  const start = await app.inject({ method: 'GET', url: `/console/sso/start?account=${accountId}` });
  if (start.statusCode !== 303) throw new Error(`start: ${start.statusCode} ${start.body}`);
  const flight = cookiesOf(start).hs_sso as string;
  const back = await throughProvider(start.headers.location as string, email, redirectUri);
  const u = new URL(back);
  return app.inject({ method: 'GET', url: `${u.pathname}${u.search}`, headers: { cookie: `hs_sso=${flight}` } });
}

t.test('single sign-on with a real OpenID provider', async (t) => {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const { app, settings } = await startApi(t, {}, { log: createLogger('warn', 'api', sink) });
  const refusalCode = () => JSON.parse(logs.filter((l) => l.includes('sso sign-in refused')).at(-1) ?? '{}').code;
  const redirectUri = `${settings.publicUrl}/console/sso/callback`;
  const provider = await startProvider(t, redirectUri);
  const created = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { name: 'acme', owner: { email: 'olga@example.com', name: 'Olga', password: PASSWORD } },
  });
  const { account, api_key: key } = created.json().data;
  const auth = { authorization: `Bearer ${key}` };

  const put = await app.inject({
    method: 'PUT',
    url: '/v1/sso',
    headers: auth,
    payload: { issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
  });
  t.equal(put.statusCode, 200, put.body);
  t.match(put.json().data, {
    issuer: provider.issuer,
    client_id: CLIENT_ID,
    client_secret_set: true,
    enabled: true,
    redirect_uri: redirectUri,
  });
  t.notOk(put.body.includes(CLIENT_SECRET), 'the secret is never answered');

  const start = await app.inject({ method: 'GET', url: `/console/sso/start?account=${account.id}` });
  t.equal(start.statusCode, 303);
  const to = new URL(start.headers.location as string);
  t.equal(to.origin, provider.issuer);
  t.equal(to.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
  t.ok(to.searchParams.get('state') && to.searchParams.get('nonce'), 'state and nonce');
  t.match(String(start.headers['set-cookie']), /hs_sso=.*HttpOnly.*SameSite=Lax/);

  await t.test('an existing member signs in by email, and is then known by subject', async (t) => {
    const res = await ssoSignIn(app, account.id, 'olga@example.com', redirectUri);
    t.equal(res.statusCode, 303, res.body);
    t.equal(res.headers.location, '/console/');
    const session = cookiesOf(res).hs_console as string;
    t.match(session, /^[A-Za-z0-9_-]{43}$/);
    const who = await app.inject({
      method: 'GET',
      url: '/console/session',
      headers: { cookie: `hs_console=${session}` },
    });
    t.match(who.json().data, { role: 'owner', member: { email: 'olga@example.com' } });
    const members = (await app.inject({ method: 'GET', url: '/v1/members', headers: auth })).json().data;
    t.equal(members[0].sso_linked, true, 'the identity is linked');
  });

  await t.test('an invited person becomes a member by signing in', async (t) => {
    const inv = await app.inject({
      method: 'POST',
      url: '/v1/invites',
      headers: auth,
      payload: { email: 'dev@example.com', role: 'developer' },
    });
    t.equal(inv.statusCode, 201);
    const info = await app.inject({
      method: 'POST',
      url: '/console/invite',
      payload: { token: new URL(inv.json().data.url).hash.slice(1) },
    });
    t.equal(info.json().data.sso, true, 'the invitation offers single sign-on');
    const res = await ssoSignIn(app, account.id, 'dev@example.com', redirectUri);
    t.equal(res.headers.location, '/console/');
    const members = (await app.inject({ method: 'GET', url: '/v1/members', headers: auth })).json().data;
    t.match(
      members.find((m: { email: string }) => m.email === 'dev@example.com'),
      { role: 'developer', sso_linked: true, password_set: false },
    );
    t.same(
      (await app.inject({ method: 'GET', url: '/v1/invites', headers: auth })).json().data,
      [],
      'the invitation is used',
    );
  });

  await t.test('a stranger to the account is refused', async (t) => {
    const res = await ssoSignIn(app, account.id, 'eve@example.com', redirectUri);
    t.equal(res.headers.location, '/console/signin?sso_error=not_a_member');
    t.notOk(cookiesOf(res).hs_console, 'no session');
  });

  await t.test('an ID token for another audience is refused', async (t) => {
    provider.state.tamper = 'wrong_audience';
    t.teardown(() => void (provider.state.tamper = null));
    const res = await ssoSignIn(app, account.id, 'olga@example.com', redirectUri);
    t.equal(res.headers.location, '/console/signin?sso_error=token_refused');
    t.notOk(cookiesOf(res).hs_console);
    t.equal(refusalCode(), 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'refused for its audience');
  });

  await t.test('an expired ID token is refused', async (t) => {
    provider.state.tamper = 'expired';
    t.teardown(() => void (provider.state.tamper = null));
    const res = await ssoSignIn(app, account.id, 'olga@example.com', redirectUri);
    t.equal(res.headers.location, '/console/signin?sso_error=token_refused');
    t.notOk(cookiesOf(res).hs_console);
    t.equal(refusalCode(), 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'refused for its expiry');
    t.notOk(logs.join('').includes('eyJ'), 'no token in the logs');
  });

  await t.test('a callback without the flight cookie, or with a forged one, is refused', async (t) => {
    const bare = await app.inject({ method: 'GET', url: '/console/sso/callback?code=x&state=y' });
    t.equal(bare.headers.location, '/console/signin?sso_error=expired_flow');
    const forged = JSON.stringify({
      account: account.id,
      state: 'y',
      nonce: 'n',
      verifier: 'v',
      exp: Date.now() + 60_000,
    });
    const plain = await app.inject({
      method: 'GET',
      url: '/console/sso/callback?code=x&state=y',
      headers: { cookie: `hs_sso=${encodeURIComponent(forged)}` },
    });
    t.equal(
      plain.headers.location,
      '/console/signin?sso_error=expired_flow',
      'a cookie this server did not seal is ignored',
    );
  });

  await t.test('the settings: admins only; an unknown account has no sign-on', async (t) => {
    const viewerKey = (
      await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth, payload: { name: 'v', role: 'viewer' } })
    ).json().data.key;
    const got = await app.inject({ method: 'GET', url: '/v1/sso', headers: { authorization: `Bearer ${viewerKey}` } });
    t.equal(got.statusCode, 403);
    const none = await app.inject({ method: 'GET', url: '/console/sso/start?account=nope' });
    t.equal(none.headers.location, '/console/signin?sso_error=not_configured');
  });
});
