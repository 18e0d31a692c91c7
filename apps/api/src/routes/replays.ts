// Bulk replays: a filtered time window of the events stream re-delivered by a background job, with
// progress and cancellation. The work itself is the jobs role's; this file is its HTTP face.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { InvalidQueryError, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { checkEventTypeFilter } from '../filters.ts';
import { ok, page } from '../http.ts';

const { CreateReplayBody, ReplayView } = api;

export function replayRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const need = () => {
      if (!deps.replays) throw errors.unavailable('bulk replays are not configured on this instance');
      return deps.replays;
    };
    const wrap = <T>(p: Promise<T>) =>
      p.catch((err: unknown) => {
        if (err instanceof InvalidQueryError) throw errors.badRequest(err.message);
        throw errors.unavailable(
          'bulk replays are unavailable right now (ingest and delivery are not affected); retry',
          err,
        );
      });

    app.post(
      '/replays',
      {
        config: { audit: 'replay.create' },
        schema: { body: CreateReplayBody, response: { 202: api.envelope(ReplayView), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        checkEventTypeFilter(request.body.event_type, 'body.event_type');
        const r = await wrap(need().create(request.accountId, request.body));
        if (!r.ok) throw errors.badRequest(r.error);
        return ok(reply, r.replay, 202);
      },
    );
    app.get(
      '/replays',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(ReplayView), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const q = request.query;
        const r = await wrap(
          need().list(request.accountId, { limit: q.limit ?? 50, ...(q.cursor ? { cursor: q.cursor } : {}) }),
        );
        return page(reply, r.items, r.next_cursor);
      },
    );
    app.get(
      '/replays/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(ReplayView), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const r = await wrap(need().get(request.accountId, request.params.id));
        if (!r) throw errors.notFound('replay');
        return ok(reply, r);
      },
    );
    app.delete(
      '/replays/:id',
      {
        config: { audit: 'replay.cancel' },
        schema: { params: api.IdParams, response: { 200: api.envelope(ReplayView), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const r = await wrap(need().cancel(request.accountId, request.params.id));
        if (r === 'not_found') throw errors.notFound('replay');
        if (r === 'finished') throw errors.conflict('the replay already finished; there is nothing to cancel');
        return ok(reply, r);
      },
    );
  };
}
