// Exports: an async job writes events or attempts for a filter to a file in the object store; any
// instance serves the file back, streamed, gzip-compressed when the client accepts it.
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { InvalidQueryError, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { checkEventTypeFilter } from '../filters.ts';
import { ok, page } from '../http.ts';

const { CreateExportBody, ExportView } = api;

export function exportRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const need = () => {
      if (!deps.exports) throw errors.unavailable('exports are not configured on this instance');
      return deps.exports;
    };
    const wrap = <T>(p: Promise<T>) =>
      p.catch((err: unknown) => {
        if (err instanceof InvalidQueryError) throw errors.badRequest(err.message);
        throw errors.unavailable(
          'exports are unavailable right now (ingest and delivery are not affected); retry',
          err,
        );
      });

    app.post(
      '/exports',
      {
        config: { audit: 'export.create' },
        schema: { body: CreateExportBody, response: { 202: api.envelope(ExportView), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        checkEventTypeFilter(request.body.filter?.event_type, 'body.filter.event_type');
        const r = await wrap(need().create(request.accountId, request.body));
        if (!r.ok) throw errors.badRequest(r.error);
        return ok(reply, r.export, 202);
      },
    );
    app.get(
      '/exports',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(ExportView), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const q = request.query;
        const r = await wrap(
          need().list(request.accountId, { limit: q.limit ?? 50, ...(q.cursor ? { cursor: q.cursor } : {}) }),
        );
        return page(reply, r.items, r.next_cursor);
      },
    );
    app.get(
      '/exports/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(ExportView), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const r = await wrap(need().get(request.accountId, request.params.id));
        if (!r) throw errors.notFound('export');
        return ok(reply, r);
      },
    );
    app.get(
      '/exports/:id/download',
      {
        config: { audit: 'export.download' },
        schema: {
          params: api.IdParams,
          response: {
            200: { description: 'The file: application/x-ndjson or text/csv', type: 'string' },
            '4xx': api.ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const r = await wrap(need().download(request.accountId, request.params.id));
        if (r === 'not_found') throw errors.notFound('export');
        if (r === 'not_ready')
          throw new ApiError(
            404,
            'not_ready',
            'the export is not complete yet: poll GET /v1/exports/{id} until its status is completed',
          );
        if (r === 'expired')
          throw new ApiError(404, 'expired', 'the export expired and its file was removed: create a new one');
        reply.header('content-type', r.contentType);
        reply.header('content-disposition', `attachment; filename="${r.filename}"`);
        reply.header('vary', 'accept-encoding');
        const accept = request.headers['accept-encoding'];
        if (typeof accept === 'string' && /(^|[\s,])gzip(?!;q=0(\.0+)?\b)/i.test(accept)) {
          reply.header('content-encoding', 'gzip');
          // pipeline destroys both ends when either fails, so a broken object read ends the response.
          return reply.send(pipeline(r.body, createGzip(), () => {}));
        }
        reply.header('content-length', r.size);
        return reply.send(r.body);
      },
    );
  };
}
