// The built console (apps/console/dist) at /console/: hashed assets cached for a year, index.html
// revalidated every time, and any other path answered with index.html so the app's own router
// can show it (a reload on /console/events/… works).
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ApiDeps } from '../context.ts';

export const DEFAULT_CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hookstream console</title></head>
<body>
<h1>Hookstream console</h1>
<p>The console is not built: run <code>make console</code>, then reload this page.</p>
<p>The API answers meanwhile: see <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export function staticRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    const dist = resolve(deps.settings.consoleDist ?? DEFAULT_CONSOLE_DIST);
    // Only reply.sendFile from the plugin (range, ETag, Last-Modified, traversal guard): the routes
    // are ours, for the fallback and the page shown before the first build.
    await app.register(fastifyStatic, { root: dist, serve: false, suppressWarning: true });

    const sendIndex = async (reply: FastifyReply) => {
      // Looked up on every request, so `make console` while the server runs needs no restart.
      if (!(await isFile(resolve(dist, 'index.html')))) {
        return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
      }
      return reply.header('cache-control', 'no-cache').sendFile('index.html', dist, { cacheControl: false });
    };

    app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 308));
    app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, async (request, reply) => {
      const rel = request.params['*'] ?? '';
      const file = resolve(dist, rel);
      if (rel !== '' && file.startsWith(dist + sep) && (await isFile(file))) {
        // Vite names every file under assets/ by its content hash: it never changes under that name.
        const immutable = rel.startsWith('assets/');
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        return reply.sendFile(rel, dist, { cacheControl: false });
      }
      // A missing hashed asset is a stale page asking for an old build: a 404, not HTML parsed as script.
      if (rel.startsWith('assets/')) return reply.callNotFound();
      return sendIndex(reply);
    });
  };
}
