// Bearer API keys, resolved against the in-memory config view (no database on the request path).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './context.ts';
import { errors } from './errors.ts';

export function authPlugin(deps: ApiDeps) {
  return fp(async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      const m = typeof header === 'string' ? /^Bearer\s+(hk_[A-Za-z0-9_-]{10,200})\s*$/.exec(header) : null;
      if (!m) throw errors.unauthorized();
      const key = deps.catalog.view.apiKeyFor(m[1] as string);
      if (!key) throw errors.unauthorized();
      if (key.revoked_at) throw errors.unauthorized('API key revoked');
      if (!deps.catalog.view.accounts.has(key.account_id)) throw errors.unauthorized('account no longer exists');
      request.accountId = key.account_id;
      request.apiKeyId = key.id;
    });
  });
}
