// POST/GET/DELETE /v1/portal-sessions: the account hands one of its customers a link to the portal.
// The link's fragment carries a single-use token (a fragment never reaches a server's logs or a
// Referer header); the portal exchanges it for a cookie (docs/portal.md, docs/adr/0015).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { api } from '@hookstream/contracts';
import { domainOwnerId } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { type PortalSession, portalSessionsOf } from '../portal/sessions.ts';

const view = ({ account_id: _a, ...s }: PortalSession) => s;

/**
 * Where the account's portal is served: its verified custom domain (the earliest verified, when it
 * has several), else PUBLIC_URL.
 */
export function portalBase(deps: Pick<ApiDeps, 'catalog' | 'settings'>, accountId: string): string {
  let best: { hostname: string; at: string } | null = null;
  for (const d of deps.catalog.view.domains.values()) {
    if (d.account_id !== accountId || d.status !== 'verified') continue;
    // A verified claim whose hostname another account owns is not this account's to serve.
    const owner = deps.catalog.view.domainOwners.get(domainOwnerId(d.hostname));
    if (owner && owner.account_id !== accountId) continue;
    const at = d.verified_at ?? d.created_at;
    if (!best || at < best.at || (at === best.at && d.hostname < best.hostname)) best = { hostname: d.hostname, at };
  }
  return best ? `https://${best.hostname}` : deps.settings.publicUrl;
}

/**
 * The link of a session: the token in the fragment, never in the path or the query. The account is
 * in the path because the page's frame-ancestors (its embed origins) must be known before the token
 * is exchanged.
 */
export function portalUrl(base: string, accountId: string, token: string): string {
  return `${base}/portal/${encodeURIComponent(accountId)}/#token=${token}`;
}

export function portalSessionRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const need = () => {
      const s = portalSessionsOf(deps);
      if (!s) throw errors.unavailable('portal sessions are not configured on this instance');
      return s;
    };

    app.post(
      '/portal-sessions',
      {
        schema: {
          body: api.CreatePortalSessionBody,
          response: { 201: api.envelope(api.PortalSessionCreated), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const { session, token } = await need().create(request.accountId, {
          customer_id: b.customer_id,
          scope: b.scope ?? 'read',
          expires_in_s: b.expires_in_s ?? api.DEFAULT_PORTAL_SESSION_S,
        });
        return ok(
          reply,
          { ...view(session), url: portalUrl(portalBase(deps, request.accountId), request.accountId, token) },
          201,
        );
      },
    );
    app.get(
      '/portal-sessions',
      {
        schema: {
          querystring: api.PortalSessionListQuery,
          response: { 200: api.listEnvelope(api.PortalSession), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const all = await need().list(request.accountId, q.customer_id);
        const after = decodeCursor(q.cursor);
        let start = 0;
        if (after !== undefined) {
          const i = all.findIndex((s) => s.id === after);
          start = i >= 0 ? i + 1 : all.length;
        }
        const limit = q.limit ?? 50;
        const items = all.slice(start, start + limit);
        const last = items[items.length - 1];
        return page(reply, items.map(view), start + limit < all.length && last ? encodeCursor(last.id) : null);
      },
    );
    app.delete(
      '/portal-sessions/:id',
      { schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        if (!(await need().revoke(request.accountId, request.params.id))) throw errors.notFound('portal session');
        return reply.code(204).send(null);
      },
    );
  };
}
