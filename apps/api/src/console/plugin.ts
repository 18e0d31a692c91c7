// The console on the API's origin: its sign-in sessions (/console/session), the built app
// (/console/), the cookie parser the /v1 auth hook reads, and the security headers of every
// /console answer.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { ApiDeps } from '../context.ts';
import { sessionRoutes } from './session-routes.ts';
import { staticRoutes } from './static.ts';

/** No inline script or style, no framing, no third-party origins: the console needs none of them. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function consolePlugin(deps: ApiDeps) {
  // fastify-plugin: the cookie parser and the request's authMethod reach /v1 as well.
  return fp(async (app: FastifyInstance) => {
    await app.register(cookie);
    app.decorateRequest('authMethod', '');
    await app.register(async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.header('content-security-policy', CONSOLE_CSP);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
        reply.header('x-frame-options', 'DENY');
        reply.header('cross-origin-opener-policy', 'same-origin');
        return payload;
      });
      await scope.register(sessionRoutes(deps), { prefix: '/console' });
      await scope.register(staticRoutes(deps));
    });
  });
}
