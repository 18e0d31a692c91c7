import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type EventTypeRecord, api } from '@hookstream/contracts';
import { stableUuid } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { checkJsonSchema } from '../schemas.ts';

const view = (e: EventTypeRecord) => ({
  id: e.id,
  name: e.name,
  description: e.description,
  schema: e.schema,
  created_at: e.created_at,
});
const MAX_SCHEMA_BYTES = 64 * 1024;

export function eventTypeRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();
    const owned = (accountId: string, id: string) => {
      const e = catalog.view.eventTypes.get(id);
      if (!e || e.account_id !== accountId) throw errors.notFound('event type');
      return e;
    };
    const checkSchema = (schema: Record<string, unknown> | null | undefined) => {
      if (!schema) return;
      if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) throw errors.badRequest('schema: larger than 64 KiB');
      const problem = checkJsonSchema(schema);
      if (problem) throw errors.badRequest(`schema: ${problem}`);
    };

    app.post(
      '/event-types',
      {
        config: { audit: 'event_type.create' },
        schema: { body: api.CreateEventTypeBody, response: { 201: api.envelope(api.EventType), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const b = request.body;
        checkSchema(b.schema);
        // One id per (account, name): a second create of the same name is a conflict, on any instance.
        const id = stableUuid('event-type', [request.accountId, b.name]);
        const rec: EventTypeRecord = {
          id,
          account_id: request.accountId,
          name: b.name,
          description: b.description ?? null,
          schema: b.schema ?? null,
          created_at: now(),
        };
        if (!(await catalog.create('eventtype', id, rec)))
          throw errors.conflict(`event type '${b.name}' already exists`);
        return ok(reply, view(rec), 201);
      },
    );
    app.get(
      '/event-types',
      {
        schema: {
          querystring: api.ListQuery,
          response: { 200: api.listEnvelope(api.EventType), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const { items, next } = catalog.view.page(
          catalog.view.eventTypes,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
        return page(reply, items.map(view), next ? encodeCursor(next) : null);
      },
    );
    app.get(
      '/event-types/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.EventType), '4xx': api.ErrorBody } } },
      async (request, reply) => ok(reply, view(owned(request.accountId, request.params.id))),
    );
    app.patch(
      '/event-types/:id',
      {
        config: { audit: 'event_type.update' },
        schema: {
          params: api.IdParams,
          body: api.UpdateEventTypeBody,
          response: { 200: api.envelope(api.EventType), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const e = owned(request.accountId, request.params.id);
        const b = request.body;
        checkSchema(b.schema);
        const next: EventTypeRecord = {
          ...e,
          description: b.description === undefined ? e.description : b.description,
          schema: b.schema === undefined ? e.schema : (b.schema ?? null),
        };
        await catalog.put('eventtype', e.id, next);
        return ok(reply, view(next));
      },
    );
    app.delete(
      '/event-types/:id',
      {
        config: { audit: 'event_type.delete' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const e = owned(request.accountId, request.params.id);
        await catalog.remove('eventtype', e.id);
        return reply.code(204).send(null);
      },
    );
  };
}
