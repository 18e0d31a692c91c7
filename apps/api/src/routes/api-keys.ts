import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { roleRank } from '@hookstream/domain';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { newApiKey } from '../keys.ts';
import { apiKeyView } from '../views.ts';

export function apiKeyRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();

    app.post(
      '/api-keys',
      {
        config: { audit: 'api_key.create' },
        schema: {
          body: api.CreateApiKeyBody,
          response: { 201: api.envelope(api.ApiKeyCreated), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const role = request.body?.role ?? 'admin';
        // Nobody mints a key that may do more than they may.
        if (request.role !== null && roleRank(role) > roleRank(request.role))
          throw errors.forbiddenRole(`a ${request.role} may not create a key with the role ${role}`);
        const { key, record } = newApiKey(request.accountId, request.body?.name ?? 'unnamed', now(), role);
        await catalog.put('apikey', record.id, record);
        return ok(reply, { ...apiKeyView(record), key }, 201);
      },
    );
    app.get(
      '/api-keys',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(api.ApiKey), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const { items, next } = catalog.view.page(
          catalog.view.apiKeys,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
        return page(reply, items.map(apiKeyView), next ? encodeCursor(next) : null);
      },
    );
    app.delete(
      '/api-keys/:id',
      {
        config: { audit: 'api_key.revoke' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const key = catalog.view.apiKeys.get(request.params.id);
        if (!key || key.account_id !== request.accountId) throw errors.notFound('api key');
        if (!key.revoked_at) await catalog.put('apikey', key.id, { ...key, revoked_at: now() });
        return reply.code(204).send(null);
      },
    );
  };
}
