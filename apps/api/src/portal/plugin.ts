// The customer portal on the API's origin and on verified custom domains: its session routes
// (/portal/session), its page (/portal/<account_id>/), and the security headers of every /portal
// answer. Which /v1 routes a portal session reaches is portal/access.ts's.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../context.ts';
import { portalSignInRoutes } from './session-routes.ts';
import { portalStaticRoutes } from './static.ts';

/**
 * As the console's policy, except who may frame the page: the origins the account lists in its brand
 * settings, or nobody.
 */
export function portalCsp(embedOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    `frame-ancestors ${embedOrigins.length > 0 ? embedOrigins.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const FRAMED_FOR = Symbol('portal account');

export function portalPlugin(deps: ApiDeps) {
  return fp(async (app: FastifyInstance) => {
    app.decorateRequest('portal', null);
    await app.register(async (scope) => {
      const embedOrigins = (request: FastifyRequest): string[] => {
        const account = (request as FastifyRequest & { [FRAMED_FOR]?: string | null })[FRAMED_FOR];
        return account ? (deps.catalog.view.brands.get(account)?.embed_origins ?? []) : [];
      };
      scope.addHook('onSend', async (request, reply, payload) => {
        const origins = embedOrigins(request);
        reply.header('content-security-policy', portalCsp(origins));
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
        // X-Frame-Options cannot name origins: sent only when nobody may frame the page.
        if (origins.length === 0) reply.header('x-frame-options', 'DENY');
        return payload;
      });
      await scope.register(portalSignInRoutes(deps), { prefix: '/portal' });
      await scope.register(
        portalStaticRoutes(deps, (request, account) => {
          (request as FastifyRequest & { [FRAMED_FOR]?: string | null })[FRAMED_FOR] = account;
        }),
      );
    });
  });
}
