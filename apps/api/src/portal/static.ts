// The customer portal's page: /portal/<account_id>/… answers the portal entry of the console build
// (its hashed assets are the console's, under /console/assets/). The account is in the path because
// the page's frame-ancestors depend on it and must be known before the token is exchanged. On an
// account's verified custom domain only that account's portal answers.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { domainOwnerId } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { DEFAULT_CONSOLE_DIST } from '../console/static.ts';

const page = (title: string, text: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<p>${text}</p>
</body>
</html>
`;
const NOT_BUILT = page(
  'Portal unavailable',
  'The portal is not built on this server: its operator runs <code>make console</code>.',
);
const NO_PORTAL = page('No portal here', 'Open the portal link you were given: it names the portal it opens.');

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The account a verified custom domain belongs to, or null for any other host. */
export function customDomainAccount(deps: ApiDeps, hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const owner = deps.catalog.view.domainOwners.get(domainOwnerId(host));
  const claim = owner ? deps.catalog.view.domains.get(owner.domain_id) : undefined;
  return claim && claim.status === 'verified' && claim.hostname === host ? claim.account_id : null;
}

/** The account a portal page is for, or null when this host does not serve that account's portal. */
export function portalAccount(deps: ApiDeps, request: FastifyRequest, accountId: string): string | null {
  if (!ACCOUNT_ID.test(accountId) || !deps.catalog.view.accounts.has(accountId)) return null;
  const hostAccount = customDomainAccount(deps, request.hostname);
  return hostAccount === null || hostAccount === accountId ? accountId : null;
}

export function portalStaticRoutes(
  deps: ApiDeps,
  markAccount: (request: FastifyRequest, accountId: string | null) => void,
) {
  return async (app: FastifyInstance) => {
    const dist = resolve(deps.settings.consoleDist ?? DEFAULT_CONSOLE_DIST);
    await app.register(fastifyStatic, { root: dist, serve: false, suppressWarning: true });
    const html = (reply: FastifyReply, code: number, body: string) =>
      reply.code(code).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

    const sendPortal = async (request: FastifyRequest, reply: FastifyReply, accountId: string) => {
      const account = portalAccount(deps, request, accountId);
      markAccount(request, account);
      if (!account) return html(reply, 404, NO_PORTAL);
      const built = await stat(resolve(dist, 'portal.html')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!built) return html(reply, 503, NOT_BUILT);
      return reply.header('cache-control', 'no-cache').sendFile('portal.html', dist, { cacheControl: false });
    };

    app.get('/portal', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/portal/', 308));
    app.get('/portal/', { schema: { hide: true } }, async (request, reply) => {
      // On a custom domain the host names the account; the fragment (#token=…) survives the redirect.
      const account = customDomainAccount(deps, request.hostname);
      if (account) return reply.redirect(`/portal/${encodeURIComponent(account)}/`, 302);
      return html(reply, 404, NO_PORTAL);
    });
    app.get<{ Params: { account: string } }>('/portal/:account', { schema: { hide: true } }, async (request, reply) =>
      reply.redirect(`/portal/${encodeURIComponent(request.params.account)}/`, 308),
    );
    app.get<{ Params: { account: string } }>('/portal/:account/*', { schema: { hide: true } }, async (request, reply) =>
      sendPortal(request, reply, request.params.account),
    );
  };
}
