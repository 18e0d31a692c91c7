// The built console at /console/: index.html and assets with their cache rules, the SPA fallback,
// the page shown before the first build, and the security headers on every answer.
import t, { type Test } from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiOn, signup, startApi } from './harness.ts';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/console/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>';
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async function tempDist(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-console-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function assertSecurityHeaders(t: Test, headers: Record<string, unknown>, what: string) {
  t.equal(headers['content-security-policy'], CSP, `${what}: CSP`);
  t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  t.equal(headers['referrer-policy'], 'no-referrer', `${what}: referrer policy`);
  t.equal(headers['x-frame-options'], 'DENY', `${what}: no framing`);
}

t.test('the built app: index.html, hashed assets, SPA fallback, security headers', async (t) => {
  const dist = await tempDist(t);
  await mkdir(join(dist, 'assets'));
  await writeFile(join(dist, 'index.html'), INDEX);
  await writeFile(join(dist, 'assets', 'app-1a2b3c.js'), 'console.log("app")');
  await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(dist, '..', 'hs-outside.txt'), 'a file beside the build');
  t.teardown(() => rm(join(dist, '..', 'hs-outside.txt'), { force: true }));
  const { app } = await startApi(t, { consoleDist: dist });

  const bare = await app.inject({ method: 'GET', url: '/console' });
  t.equal(bare.statusCode, 308);
  t.equal(bare.headers.location, '/console/');
  assertSecurityHeaders(t, bare.headers, '/console');

  const index = await app.inject({ method: 'GET', url: '/console/' });
  t.equal(index.statusCode, 200);
  t.equal(index.body, INDEX);
  t.match(index.headers['content-type'], /^text\/html/);
  t.equal(index.headers['cache-control'], 'no-cache', 'index.html is revalidated on every load');
  assertSecurityHeaders(t, index.headers, 'index');

  const asset = await app.inject({ method: 'GET', url: '/console/assets/app-1a2b3c.js' });
  t.equal(asset.statusCode, 200);
  t.equal(asset.body, 'console.log("app")');
  t.match(asset.headers['content-type'], /javascript/);
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.ok(asset.headers.etag, 'with an ETag');
  assertSecurityHeaders(t, asset.headers, 'asset');
  const revalidated = await app.inject({
    method: 'GET',
    url: '/console/assets/app-1a2b3c.js',
    headers: { 'if-none-match': String(asset.headers.etag) },
  });
  t.equal(revalidated.statusCode, 304);

  const icon = await app.inject({ method: 'GET', url: '/console/favicon.svg' });
  t.equal(icon.statusCode, 200);
  t.equal(icon.headers['cache-control'], 'no-cache', 'files outside assets/ keep no fixed name: revalidated');

  for (const path of [
    '/console/events',
    '/console/events/0b7c1e2a-0000-4000-8000-000000000000',
    '/console/dead-letters?destination_id=x',
  ]) {
    const res = await app.inject({ method: 'GET', url: path });
    t.equal(res.statusCode, 200, `${path}: the app's own router shows it`);
    t.equal(res.body, INDEX);
    t.equal(res.headers['cache-control'], 'no-cache');
    assertSecurityHeaders(t, res.headers, path);
  }
  const head = await app.inject({ method: 'HEAD', url: '/console/settings' });
  t.equal(head.statusCode, 200);

  const missing = await app.inject({ method: 'GET', url: '/console/assets/app-000000.js' });
  t.equal(missing.statusCode, 404, 'a missing hashed asset is a 404, not HTML');
  t.type(missing.json().error, 'string');

  for (const path of [
    '/console/../hs-outside.txt',
    '/console/%2e%2e/hs-outside.txt',
    '/console/..%2fhs-outside.txt',
    '/console/assets/..%2f..%2fhs-outside.txt',
  ]) {
    const res = await app.inject({ method: 'GET', url: path });
    t.notOk(res.body.includes('beside the build'), `${path}: nothing outside the build is served`);
  }
  t.equal((await app.inject({ method: 'POST', url: '/console/', payload: {} })).statusCode, 404, 'only GET and HEAD');
});

t.test('before the first build: a page saying how to build it, with the same headers', async (t) => {
  const dist = await tempDist(t);
  const { app, natsUrl } = await startApi(t, { consoleDist: join(dist, 'not-there') });
  for (const path of ['/console/', '/console/events']) {
    const res = await app.inject({ method: 'GET', url: path });
    t.equal(res.statusCode, 503);
    t.match(res.headers['content-type'], /^text\/html/);
    t.match(res.body, 'The console is not built: run <code>make console</code>');
    t.notMatch(res.body, /<script|<style|style=/, 'nothing the CSP would block');
    t.equal(res.headers['cache-control'], 'no-store');
    assertSecurityHeaders(t, res.headers, path);
  }

  // Built while the server runs: served without a restart.
  const later = await apiOn(t, natsUrl, { consoleDist: dist });
  t.equal((await later.app.inject({ method: 'GET', url: '/console/' })).statusCode, 503);
  await writeFile(join(dist, 'index.html'), INDEX);
  t.equal((await later.app.inject({ method: 'GET', url: '/console/' })).body, INDEX);
});

t.test('the session endpoints carry the security headers too; /v1 and /ingest do not change', async (t) => {
  const { app } = await startApi(t);
  const acme = await signup(app);
  const res = await app.inject({ method: 'POST', url: '/console/session', payload: { api_key: acme.key } });
  assertSecurityHeaders(t, res.headers, 'POST /console/session');
  const v1 = await app.inject({ method: 'GET', url: '/v1/account', headers: acme.auth });
  t.notOk(v1.headers['content-security-policy'], 'the API answers as before');
});
