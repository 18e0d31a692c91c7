// The committed OpenAPI document must be what the routes generate, list every route, and render at /docs.
import { channel } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { SPEC_PATH, openApiDocument } from '../src/openapi-cli.ts';
import { operationIdOf } from '../src/openapi.ts';
import { startApi } from './harness.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// Every route the app registers, seen from the moment Fastify creates the instance.
const registered: Array<{ method: string; url: string }> = [];
const init = channel('fastify.initialization');
const onInit = (msg: unknown) => {
  const app = (msg as { fastify: FastifyInstance }).fastify;
  app.addHook('onRoute', (route) => {
    const hidden = route.schema?.hide === true;
    for (const m of [route.method].flat()) {
      if (m !== 'HEAD' && !hidden) registered.push({ method: m.toLowerCase(), url: route.url });
    }
  });
};
init.subscribe(onInit);

t.test('the committed spec is current, complete, and served', async (t) => {
  const h = await startApi(t);
  init.unsubscribe(onInit);
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const served = res.json();
  const committed = JSON.parse(await readFile(SPEC_PATH, 'utf8'));
  t.same(served, committed, 'docs/openapi.json is stale: run `node apps/api/src/openapi-cli.ts` and commit it');
  t.same(await openApiDocument(h.natsUrl), served, 'the generator writes what the server serves');

  t.equal(served.openapi, '3.1.0');
  t.ok(served.components.securitySchemes.bearerAuth, 'bearer auth scheme');

  const paths = served.paths as Record<string, Record<string, any>>;
  const documented = new Set(
    Object.entries(paths).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m} ${p}`),
    ),
  );
  t.ok(registered.length > 30, `saw the routes being registered (${registered.length})`);
  for (const r of registered) {
    const openapiPath = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    t.ok(documented.has(`${r.method} ${openapiPath}`), `${r.method.toUpperCase()} ${r.url} is documented`);
  }
  t.equal(documented.size, registered.length, 'and nothing else is');
  t.notOk(
    Object.keys(paths).some((p) => p.startsWith('/docs') || p === '/openapi.json'),
    'the docs routes are hidden',
  );

  const ids = new Set<string>();
  for (const [p, item] of Object.entries(paths)) {
    for (const [m, op] of Object.entries(item)) {
      t.notOk(ids.has(op.operationId), `operationId ${op.operationId} is unique`);
      ids.add(op.operationId);
      t.ok(op.tags?.length, `${m} ${p} is tagged`);
      const open = !p.startsWith('/v1/') || (m === 'post' && p === '/v1/accounts');
      t.equal(Boolean(op.security), !open, `${m.toUpperCase()} ${p} ${open ? 'is open' : 'needs a bearer key'}`);
    }
  }
  t.ok(
    paths['/v1/sources']?.post?.requestBody?.content['application/json'].schema.properties.name,
    'bodies come from the TypeBox schemas',
  );
  t.ok(
    paths['/v1/events']?.get?.parameters.some((q: any) => q.in === 'query' && q.name === 'status'),
    'query filters are documented',
  );
  t.ok(paths['/ingest/{token}']?.post?.requestBody?.content['*/*'], 'ingest takes any body');
});

t.test('GET /docs renders the docs page', async (t) => {
  const h = await startApi(t);
  let res = await h.app.inject({ method: 'GET', url: '/docs' });
  if (res.statusCode >= 300 && res.statusCode < 400)
    res = await h.app.inject({ method: 'GET', url: String(res.headers.location) });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /swagger-ui/i);
  const init = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
  t.equal(init.statusCode, 200, 'the page script loads');
  const bundle = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
  t.equal(bundle.statusCode, 200, 'the UI bundle is served locally, not from a CDN');
});

t.test('operation ids read as verbs on resources', async (t) => {
  t.equal(operationIdOf('GET', '/v1/sources'), 'listSources');
  t.equal(operationIdOf('GET', '/v1/sources/:id'), 'getSource');
  t.equal(operationIdOf('POST', '/v1/destinations/:id/rotate-secret'), 'rotateDestinationSecret');
  t.equal(operationIdOf('POST', '/v1/events/:id/replay'), 'replayEvent');
  t.equal(operationIdOf('POST', '/v1/outbound-events'), 'publishOutboundEvent');
  t.equal(operationIdOf('PATCH', '/v1/account'), 'updateAccount');
  t.equal(operationIdOf('DELETE', '/v1/replays/:id'), 'cancelReplay');
  t.equal(operationIdOf('GET', '/v1/exports/:id/download'), 'downloadExport');
});
