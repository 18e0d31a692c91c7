// The event log (read models in Postgres) and replay (re-read from the events stream).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { InvalidQueryError, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { checkEventTypeFilter } from '../filters.ts';
import { ok, page } from '../http.ts';

type Direction = 'inbound' | 'outbound';

export function eventRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const events = deps.events;
    // Postgres data exceptions (SQLSTATE class 22) keep their cause: the error handler answers them 400.
    const unavailable = (err: unknown) => {
      if (err instanceof InvalidQueryError) return errors.badRequest(err.message);
      return errors.unavailable(
        'the event log is unavailable right now (ingest and delivery are not affected); retry',
        err,
      );
    };
    const need = () => {
      if (!events) throw errors.unavailable('the event log is not configured on this instance');
      return events;
    };

    for (const [prefix, direction] of [
      ['/events', undefined],
      ['/outbound-events', 'outbound'],
    ] as Array<[string, Direction | undefined]>) {
      app.get(
        prefix,
        {
          schema: {
            querystring: api.EventListQuery,
            response: { 200: api.listEnvelope(api.EventSummary), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          const q = request.query;
          if (direction && q.direction && q.direction !== direction)
            throw errors.badRequest(`direction: ${prefix} lists ${direction} events only`);
          checkEventTypeFilter(q.event_type, 'querystring.event_type');
          const r = await need()
            .list(request.accountId, { ...q, limit: q.limit ?? 50, ...(direction ? { direction } : {}) })
            .catch((err) => {
              throw unavailable(err);
            });
          return page(reply, r.items, r.next_cursor);
        },
      );
      app.get(
        `${prefix}/:id`,
        { schema: { params: api.IdParams, response: { 200: api.envelope(api.EventDetail), '4xx': api.ErrorBody } } },
        async (request, reply) => {
          const e = await need()
            .get(request.accountId, request.params.id)
            .catch((err) => {
              throw unavailable(err);
            });
          if (!e || (direction && e.direction !== direction)) throw errors.notFound('event');
          return ok(reply, e);
        },
      );
      app.post(
        `${prefix}/:id/replay`,
        {
          config: { audit: 'event.replay' },
          schema: {
            params: api.IdParams,
            body: api.ReplayBody,
            response: { 202: api.envelope(api.ReplayAccepted), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          const r = await need()
            .replay(request.accountId, request.params.id, request.body?.destination_id, direction)
            .catch((err) => {
              throw unavailable(err);
            });
          if (r === 'not_found') throw errors.notFound('event');
          if (r === 'gone') throw errors.conflict('the event is no longer in the event stream (retention removed it)');
          if (r === 'bad_destination')
            throw errors.badRequest(
              "destination_id: no such destination in this account, or it belongs to another customer than the event's",
            );
          return ok(reply, { ...r, event_id: request.params.id }, 202);
        },
      );
    }
  };
}
