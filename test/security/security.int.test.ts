// Security guards of the API that need no event log: unguessable ingest tokens and API keys,
// revocation, body limits on every route, the destination address guard, and token lookup.
// Tenant isolation and secrets in responses and logs are in tenancy-secrets.int.test.ts.
import t from 'tap';
import { apiOn, create, signup, startApi } from '../../apps/api/test/harness.ts';
import { newApiKey, newPathToken } from '../../apps/api/src/keys.ts';
import { snapshot } from './support.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Pearson's chi-square of symbol counts against a uniform distribution over the alphabet. */
function chiSquare(samples: string[], alphabet: string): number {
  const counts = new Map<string, number>([...alphabet].map((c) => [c, 0]));
  let n = 0;
  for (const s of samples) {
    for (const c of s) {
      counts.set(c, (counts.get(c) ?? 0) + 1);
      n++;
    }
  }
  const expected = n / alphabet.length;
  let chi = 0;
  for (const k of counts.values()) chi += (k - expected) ** 2 / expected;
  return chi;
}

// 63 degrees of freedom: the 1-in-a-million critical value is about 125. A weaker alphabet (hex,
// digits) or a biased generator lands in the thousands.
const CHI_LIMIT = 150;

t.test('ingest path tokens: src_ + ≥ 128 random bits, all distinct, uniform characters', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app);
  const viaApi: string[] = [];
  for (let i = 0; i < 40; i++)
    viaApi.push((await create(app, acme, '/v1/sources', { name: `s${i}` })).path_token as string);
  const minted = Array.from({ length: 1000 }, () => newPathToken());
  for (const tok of [...viaApi, ...minted]) {
    const m = /^src_([A-Za-z0-9_-]+)$/.exec(tok);
    if (!m) {
      t.fail(`token ${tok} is not src_ + base64url`);
      continue;
    }
    if (Buffer.from(m[1] as string, 'base64url').length < 16) t.fail(`token ${tok} carries fewer than 128 bits`);
  }
  t.ok(
    viaApi.every((tok) => Buffer.from(tok.slice(4), 'base64url').length >= 16),
    'tokens the API hands out carry ≥ 128 bits',
  );
  const all = [...viaApi, ...minted];
  t.equal(new Set(all).size, all.length, `${all.length} tokens, all distinct`);
  // Full 6-bit characters only: 24 random bytes encode to exactly 32 of them.
  const chi = chiSquare(
    minted.map((tok) => tok.slice(4, 4 + 32)),
    BASE64URL,
  );
  t.ok(chi < CHI_LIMIT, `character distribution is uniform (chi-square ${chi.toFixed(1)} < ${CHI_LIMIT})`);
});

t.test('API keys: hk_ + ≥ 256 random bits, distinct, uniform, stored only as a hash', async (t) => {
  const { app, catalog } = await startApi(t);
  const acme = await signup(app);
  const viaApi = [acme.key];
  for (let i = 0; i < 20; i++) viaApi.push((await create(app, acme, '/v1/api-keys', { name: `k${i}` })).key as string);
  for (const k of viaApi) {
    t.match(k, /^hk_[A-Za-z0-9_-]+$/);
    t.ok(Buffer.from(k.slice(3), 'base64url').length >= 32, `${k.slice(0, 10)}… carries ≥ 256 bits`);
  }
  const minted = Array.from({ length: 1000 }, () => newApiKey('acct', 'k', new Date().toISOString()));
  const keys = minted.map((m) => m.key);
  t.equal(new Set([...keys, ...viaApi]).size, keys.length + viaApi.length, 'all distinct');
  // 32 bytes are 42 full characters and a last one that holds 2 bits: leave it out.
  const chi = chiSquare(
    keys.map((k) => k.slice(3, 3 + 42)),
    BASE64URL,
  );
  t.ok(chi < CHI_LIMIT, `character distribution is uniform (chi-square ${chi.toFixed(1)} < ${CHI_LIMIT})`);
  t.ok(
    minted.every((m) => !JSON.stringify(m.record).includes(m.key)),
    'the record keeps no plaintext key',
  );
  const stored = JSON.stringify([...catalog.view.apiKeys.values()]);
  t.notOk(
    viaApi.some((k) => stored.includes(k)),
    'the config state holds no plaintext key',
  );
});

t.test('a revoked key is refused at once, here and (after the watch) on another instance', async (t) => {
  const one = await startApi(t);
  const two = await apiOn(t, one.natsUrl);
  const acme = await signup(one.app);
  const extra = await create(one.app, acme, '/v1/api-keys', { name: 'ci' });
  const auth = { authorization: `Bearer ${extra.key}` };
  t.equal((await one.app.inject({ method: 'GET', url: '/v1/sources', headers: auth })).statusCode, 200, 'works before');
  await two.catalog.view.waitForRevision(one.catalog.view.lastRevision);
  t.equal(
    (await two.app.inject({ method: 'GET', url: '/v1/sources', headers: auth })).statusCode,
    200,
    'works on the other instance',
  );

  t.equal(
    (await one.app.inject({ method: 'DELETE', url: `/v1/api-keys/${extra.id}`, headers: acme.auth })).statusCode,
    204,
  );
  for (const [method, url] of [
    ['GET', '/v1/sources'],
    ['POST', '/v1/api-keys'],
    ['DELETE', `/v1/api-keys/${extra.id}`],
    ['GET', '/v1/account'],
  ] as const) {
    const res = await one.app.inject({
      method,
      url,
      headers: { ...auth, 'content-type': 'application/json' },
      ...(method === 'POST' ? { payload: '{}' } : {}),
    });
    t.equal(res.statusCode, 401, `${method} ${url} refused right after revocation`);
    t.match(res.json(), { error: String, duration_ms: Number });
  }
  await two.catalog.view.waitForRevision(one.catalog.view.lastRevision);
  t.equal(
    (await two.app.inject({ method: 'GET', url: '/v1/sources', headers: auth })).statusCode,
    401,
    'refused on the other instance once it has the revision',
  );
  t.equal(
    (await one.app.inject({ method: 'GET', url: '/v1/sources', headers: acme.auth })).statusCode,
    200,
    'the other key still works',
  );
});

t.test('request body limits on every route: 413 in the envelope, nothing stored', async (t) => {
  const h = await startApi(t);
  const { app } = h;
  const acme = await signup(app);
  const dst = await create(app, acme, '/v1/destinations', { name: 'd', url: 'http://127.0.0.1:9/' });
  const src = await create(app, acme, '/v1/sources', { name: 's' });
  const route = await create(app, acme, '/v1/routes', { destination_id: dst.id, source_id: src.id });
  const type = await create(app, acme, '/v1/event-types', { name: 'a.b' });
  const anEvent = '00000000-0000-4000-8000-000000000000';
  const json = (bytes: number) => `{"name":"${'x'.repeat(bytes - 11)}"}`;
  const twoMb = json(2 * 1024 * 1024);
  const send = async (
    method: string,
    url: string,
    payload: string | Buffer,
    headers: Record<string, string> = { ...acme.auth, 'content-type': 'application/json' },
  ) => {
    const before = await snapshot(h.broker, h.catalog);
    const res = await app.inject({ method: method as 'POST', url, headers, payload });
    const after = await snapshot(h.broker, h.catalog);
    return { res, same: JSON.stringify(before) === JSON.stringify(after) };
  };
  const management: Array<[string, string]> = [
    ['POST', '/v1/accounts'],
    ['PATCH', '/v1/account'],
    ['POST', '/v1/api-keys'],
    ['POST', '/v1/sources'],
    ['PATCH', `/v1/sources/${src.id}`],
    ['POST', '/v1/destinations'],
    ['PATCH', `/v1/destinations/${dst.id}`],
    ['POST', `/v1/destinations/${dst.id}/rotate-secret`],
    ['POST', '/v1/routes'],
    ['PATCH', `/v1/routes/${route.id}`],
    ['POST', '/v1/event-types'],
    ['PATCH', `/v1/event-types/${type.id}`],
    ['POST', `/v1/events/${anEvent}/replay`],
    ['POST', `/v1/outbound-events/${anEvent}/replay`],
    ['POST', '/v1/replays'],
    ['POST', '/v1/exports'],
  ];
  for (const [method, url] of management) {
    const { res, same } = await send(method, url, twoMb);
    t.equal(res.statusCode, 413, `${method} ${url}: 2 MB → 413`);
    t.match(res.json(), { error: String, duration_ms: Number });
    t.ok(same, `${method} ${url}: nothing stored`);
  }

  const fiveMb = 5 * 1024 * 1024;
  const over = await send('POST', `/ingest/${src.path_token}`, Buffer.alloc(fiveMb + 1, 0x61), {
    'content-type': 'application/octet-stream',
  });
  t.equal(over.res.statusCode, 413, 'ingest: 5 MB + 1 → 413');
  t.match(over.res.json(), { error: String, duration_ms: Number });
  t.ok(over.same, 'ingest: nothing stored');
  const at = await send('POST', `/ingest/${src.path_token}`, Buffer.alloc(fiveMb, 0x61), {
    'content-type': 'application/octet-stream',
  });
  t.equal(at.res.statusCode, 202, 'ingest: exactly 5 MB is accepted');

  const eightMb = 8 * 1024 * 1024;
  const big = `{"event_type":"a.b","payload_text":"${'x'.repeat(eightMb)}"}`;
  const out = await send('POST', '/v1/outbound-events', big);
  t.equal(out.res.statusCode, 413, 'outbound-events: 8 MB + 1 → 413');
  t.match(out.res.json(), { error: String, duration_ms: Number });
  t.ok(out.same, 'outbound-events: nothing stored');
  const twoMbOutbound = await send(
    'POST',
    '/v1/outbound-events',
    `{"event_type":"a.b","payload_text":"${'x'.repeat(2 * 1024 * 1024)}"}`,
  );
  t.equal(twoMbOutbound.res.statusCode, 202, 'outbound-events takes bodies above the management limit');
});

t.test('destination address guard at creation and update (allowPrivateDestinations: false)', async (t) => {
  const { app, catalog } = await startApi(t, { allowPrivateDestinations: false });
  const acme = await signup(app);
  const blocked = [
    'http://127.0.0.1/',
    'http://127.0.0.2:8080/x',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://169.254.0.1/',
    'http://0.0.0.0/',
    'http://100.64.0.1/',
    'http://[::1]/',
    'http://[::]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:10.0.0.1]/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f000001/',
    'http://0x7f.0.0.1/',
    'http://127.1/',
    'http://017700000001/',
    'http://localhost/',
    'http://LOCALHOST:8080/',
    'http://localhost./',
    'http://foo.localhost/',
    'https://a.b.localhost/',
  ];
  for (const url of blocked) {
    const rev = catalog.view.lastRevision;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: acme.auth,
      payload: { name: 'x', url },
    });
    t.equal(res.statusCode, 400, `${url} refused`);
    t.match(res.json(), { error: /url/, duration_ms: Number });
    t.equal(catalog.view.lastRevision, rev, `${url}: nothing stored`);
  }
  // A public literal passes the guard. Nothing is delivered here: this harness runs no deliverer.
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: acme.auth,
    payload: { name: 'public', url: 'http://93.184.216.34/hook' },
  });
  t.equal(ok.statusCode, 201, 'a public IP literal is accepted');
  const id = ok.json().data.id;
  for (const url of ['http://[::ffff:7f00:1]/', 'http://0177.0.0.1/', 'http://foo.localhost/']) {
    const res = await app.inject({
      method: 'PATCH',
      url: `/v1/destinations/${id}`,
      headers: acme.auth,
      payload: { url },
    });
    t.equal(res.statusCode, 400, `PATCH to ${url} refused`);
  }
  t.equal(catalog.view.destinations.get(id)?.url, 'http://93.184.216.34/hook', 'the stored url is unchanged');
});

t.test('ingest tokens are looked up by hash: near misses at either end are plain 404s', async (t) => {
  const { app, broker, catalog } = await startApi(t);
  const acme = await signup(app);
  const src = await create(app, acme, '/v1/sources', { name: 's' });
  const token = src.path_token as string;
  const swap = (c: string) => (c === 'A' ? 'B' : 'A');
  const variants = {
    'last character changed': token.slice(0, -1) + swap(token.at(-1) as string),
    'first random character changed': `src_${swap(token[4] as string)}${token.slice(5)}`,
    'one character short': token.slice(0, -1),
    'one character more': `${token}A`,
    'other case': token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
  };
  const before = await snapshot(broker, catalog);
  for (const [what, v] of Object.entries(variants)) {
    const res = await app.inject({
      method: 'POST',
      url: `/ingest/${v}`,
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    t.equal(res.statusCode, 404, `${what}: 404`);
    t.same(res.json().error, 'source not found', `${what}: the same answer as any unknown token`);
  }
  t.same(await snapshot(broker, catalog), before, 'nothing stored');
  const good = await app.inject({
    method: 'POST',
    url: `/ingest/${token}`,
    payload: '{}',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(good.statusCode, 202, 'the exact token is accepted');
  t.notOk(catalog.view.sourceForToken(variants['last character changed']), 'no prefix or near match in the view');
});
