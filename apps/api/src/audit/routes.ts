// GET /v1/audit-log: the account's audit entries, newest first, in cursor pages like GET /v1/events,
// or (format=csv|ndjson) every matching entry as a download, read a page at a time from the read model.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AUDIT_EXPORT_COLUMNS, AuditLogItem, AuditLogQuery, api } from '@hookstream/contracts';
import { CONTENT_TYPES, encodeRows, fileHeader } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import type { AuditLogFilter } from '../ports.ts';
import { errors } from '../errors.ts';
import { page } from '../http.ts';

const DOWNLOAD_PAGE = 500;

/** An entry as one row of a download: the actor spread into columns, the ids and fields as JSON. */
function exportRow(e: AuditLogItem): Record<(typeof AUDIT_EXPORT_COLUMNS)[number], unknown> {
  return {
    id: e.id,
    at: e.at,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    actor_name: e.actor.name,
    action: e.action,
    resource_type: e.resource_type,
    resource_id: e.resource_id,
    ids: e.ids,
    fields: e.fields.join(' '),
    ip: e.ip,
    user_agent: e.user_agent,
    method: e.method,
    route: e.route,
    status: e.status,
    outcome: e.outcome,
    request_id: e.request_id,
  };
}

function checkTimes(q: { since?: string | undefined; until?: string | undefined }): void {
  for (const name of ['since', 'until'] as const) {
    const v = q[name];
    if (v !== undefined && Number.isNaN(Date.parse(v)))
      throw errors.badRequest(`querystring.${name}: not an ISO 8601 time`);
  }
  if (q.since !== undefined && q.until !== undefined && Date.parse(q.since) >= Date.parse(q.until)) {
    throw errors.badRequest('querystring.until: must be later than since');
  }
}

export function auditLogRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const unavailable = (err: unknown) => {
      if ((err as { statusCode?: number }).statusCode === 400) return errors.badRequest((err as Error).message);
      return errors.unavailable('the audit log is unavailable right now (changes are still recorded); retry', err);
    };
    const list = async (accountId: string, filter: AuditLogFilter) => {
      const audit = deps.audit;
      if (!audit?.list) throw errors.unavailable('the audit log is not configured on this instance');
      return audit.list(accountId, filter).catch((err) => {
        throw unavailable(err);
      });
    };

    app.get(
      '/audit-log',
      {
        schema: {
          summary: 'The audit log: who changed what, when and from where',
          querystring: AuditLogQuery,
          response: { 200: api.listEnvelope(AuditLogItem), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const { format: asked = 'json', limit, ...filter } = request.query;
        checkTimes(filter);
        if (asked === 'json') {
          const r = await list(request.accountId, { ...filter, limit: limit ?? 50 });
          return page(reply, r.items, r.next_cursor);
        }
        if (filter.cursor !== undefined)
          throw errors.badRequest('querystring.cursor: a download holds every matching entry; leave out cursor');
        // The first page is read before the answer starts, so that a bad filter or an unreachable
        // database is still a 4xx/503 in the envelope rather than a cut download.
        const format = asked;
        const first = await list(request.accountId, { ...filter, limit: DOWNLOAD_PAGE });
        const accountId = request.accountId;
        async function* body() {
          yield fileHeader(format, AUDIT_EXPORT_COLUMNS);
          let r = first;
          for (;;) {
            if (r.items.length > 0) yield encodeRows(format, AUDIT_EXPORT_COLUMNS, r.items.map(exportRow));
            if (!r.next_cursor) return;
            r = await list(accountId, { ...filter, limit: DOWNLOAD_PAGE, cursor: r.next_cursor });
          }
        }
        const stamp = new Date(deps.now?.() ?? Date.now()).toISOString().replace(/[:.]/g, '-');
        return reply
          .code(200)
          .header('content-type', CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="audit-log-${stamp}.${format}"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(body(), { objectMode: false }) as never);
      },
    );
  };
}
