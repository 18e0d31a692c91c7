import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type RouteRecord, api } from '@hookstream/contracts';
import { validateEventTypePattern, validatePayloadFilter } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { routeView } from '../views.ts';

export function routeRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();
    const owned = (accountId: string, id: string) => {
      const r = catalog.view.routes.get(id);
      if (!r || r.account_id !== accountId) throw errors.notFound('route');
      return r;
    };
    function check(
      accountId: string,
      r: Pick<RouteRecord, 'source_id' | 'destination_id' | 'event_type_pattern' | 'payload_filter' | 'customer_id'>,
    ) {
      const d = catalog.view.destinations.get(r.destination_id);
      if (!d || d.account_id !== accountId)
        throw errors.badRequest('destination_id: no such destination in this account');
      // A route's customer is its destination's, and a customer's route carries outbound events only
      // (docs/portal.md).
      const customer = r.customer_id ?? null;
      if (customer !== (d.customer_id ?? null)) {
        throw errors.badRequest(
          `customer_id: the destination ${d.id} ${d.customer_id ? `belongs to customer '${d.customer_id}'` : 'belongs to no customer'}`,
        );
      }
      if ((customer !== null || (d.customer_id ?? null) !== null) && r.source_id !== null) {
        throw errors.badRequest("source_id: a customer's route carries outbound events only: leave source_id null");
      }
      if (r.source_id !== null) {
        const s = catalog.view.sources.get(r.source_id);
        if (!s || s.account_id !== accountId) throw errors.badRequest('source_id: no such source in this account');
      }
      if (r.event_type_pattern !== null) {
        const problem = validateEventTypePattern(r.event_type_pattern);
        if (problem) throw errors.badRequest(`event_type_pattern: ${problem}`);
      }
      if (r.payload_filter !== null) {
        const problem = validatePayloadFilter(r.payload_filter);
        if (problem) throw errors.badRequest(`payload_filter: ${problem}`);
      }
    }

    app.post(
      '/routes',
      {
        config: { audit: 'route.create' },
        schema: { body: api.CreateRouteBody, response: { 201: api.envelope(api.Route), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const b = request.body;
        const at = now();
        const rec: RouteRecord = {
          id: randomUUID(),
          account_id: request.accountId,
          source_id: b.source_id ?? null,
          destination_id: b.destination_id,
          event_type_pattern: b.event_type_pattern || null,
          labels: b.labels ?? null,
          payload_filter: b.payload_filter ?? null,
          active: b.active ?? true,
          // Unsaid, it is the destination's: a customer's lists then show the route.
          customer_id:
            b.customer_id === undefined
              ? (catalog.view.destinations.get(b.destination_id)?.customer_id ?? null)
              : b.customer_id,
          created_at: at,
          updated_at: at,
        };
        check(request.accountId, rec);
        await catalog.put('route', rec.id, rec);
        return ok(reply, routeView(rec), 201);
      },
    );
    app.get(
      '/routes',
      {
        schema: {
          querystring: api.RouteListQuery,
          response: { 200: api.listEnvelope(api.Route), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const filtered = new Map(
          [...catalog.view.routes].filter(
            ([, r]) =>
              (!q.source_id || r.source_id === q.source_id) &&
              (!q.destination_id || r.destination_id === q.destination_id) &&
              (q.customer_id === undefined || (r.customer_id ?? null) === q.customer_id),
          ),
        );
        const { items, next } = catalog.view.page(filtered, request.accountId, q.limit ?? 50, decodeCursor(q.cursor));
        return page(reply, items.map(routeView), next ? encodeCursor(next) : null);
      },
    );
    app.get(
      '/routes/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.Route), '4xx': api.ErrorBody } } },
      async (request, reply) => ok(reply, routeView(owned(request.accountId, request.params.id))),
    );
    app.patch(
      '/routes/:id',
      {
        config: { audit: 'route.update' },
        schema: {
          params: api.IdParams,
          body: api.UpdateRouteBody,
          response: { 200: api.envelope(api.Route), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const r = owned(request.accountId, request.params.id);
        const b = request.body;
        const destinationId = b.destination_id ?? r.destination_id;
        // Moved to another destination without naming a customer: it takes that destination's.
        const customer =
          b.customer_id !== undefined
            ? b.customer_id
            : destinationId !== r.destination_id
              ? (catalog.view.destinations.get(destinationId)?.customer_id ?? null)
              : (r.customer_id ?? null);
        const next: RouteRecord = {
          ...r,
          source_id: b.source_id === undefined ? r.source_id : b.source_id,
          destination_id: destinationId,
          customer_id: customer,
          event_type_pattern: b.event_type_pattern === undefined ? r.event_type_pattern : b.event_type_pattern || null,
          labels: b.labels === undefined ? r.labels : b.labels,
          payload_filter: b.payload_filter === undefined ? r.payload_filter : (b.payload_filter ?? null),
          active: b.active ?? r.active,
          updated_at: now(),
        };
        check(request.accountId, next);
        await catalog.put('route', r.id, next);
        return ok(reply, routeView(next));
      },
    );
    app.delete(
      '/routes/:id',
      {
        config: { audit: 'route.delete' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const r = owned(request.accountId, request.params.id);
        await catalog.remove('route', r.id);
        return reply.code(204).send(null);
      },
    );
  };
}
