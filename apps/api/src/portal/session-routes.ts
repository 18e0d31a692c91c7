// POST/GET/DELETE /portal/session: a portal link's single-use token exchanged for an httpOnly,
// SameSite=Strict cookie; who the session is for; signing out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { api, portalApi } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { ok } from '../http.ts';
import { parseJsonBody } from '../json.ts';
import { brandView } from '../views.ts';
import { assertConsoleHeader } from '../auth.ts';
import { PORTAL_COOKIE, portalCookieOf } from './access.ts';
import { type PortalSession, portalSessionsOf } from './sessions.ts';

const TAGS = ['portal'];
const linkInvalid = () =>
  new ApiError(
    401,
    'invalid_token',
    'This portal link is not valid: it was used already, expired or ended. Ask for a new one.',
  );
const ended = () => new ApiError(401, 'unauthenticated', 'This portal session has ended: open a new portal link.');

export function portalSignInRoutes(deps: ApiDeps) {
  return async (root: FastifyInstance) => {
    const { settings, catalog } = deps;
    // JSON only: a cross-site form cannot post a token in someone's browser.
    root.removeContentTypeParser('text/plain');
    root.removeContentTypeParser('application/json');
    root.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    const sessions = () => {
      const s = portalSessionsOf(deps);
      if (!s) throw errors.unavailable('the customer portal is not available on this server');
      return s;
    };
    const cookieOptions = (request: FastifyRequest) => ({
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: request.protocol === 'https' || settings.publicUrl.startsWith('https://'),
    });
    const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
    const view = (s: PortalSession) => {
      const account = catalog.view.accounts.get(s.account_id);
      if (!account) return null;
      const brand = catalog.view.brands.get(account.id);
      return {
        customer_id: s.customer_id,
        scope: s.scope,
        expires_at: s.expires_at,
        account: { id: account.id, name: account.name },
        brand: brand ? brandView(brand) : null,
      };
    };

    await root.register(async (exchange) => {
      // Tokens are 32 random bytes; the limit keeps guessing from costing the server anything.
      await exchange.register(rateLimit, {
        max: settings.consoleSignInRatePerMinute,
        timeWindow: 60_000,
        errorResponseBuilder: (_req, ctx) =>
          new ApiError(
            429,
            'rate_limited',
            `too many portal sign-ins from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
          ),
      });
      exchange.withTypeProvider<TypeBoxTypeProvider>().post(
        '/session',
        {
          schema: {
            operationId: 'openPortalSession',
            summary: "Open a portal session with a portal link's token",
            description: 'Single use: sets the cookie `hs_portal` (httpOnly, SameSite=Strict, Secure under https).',
            tags: TAGS,
            body: portalApi.ExchangeBody,
            response: { 200: api.envelope(portalApi.Session), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          const r = await sessions().exchange(request.body.token);
          const wanted = request.body.account_id;
          // The token is spent either way: a link opened on the wrong account's page opens nothing.
          const v = r && (wanted === undefined || wanted === r.session.account_id) ? view(r.session) : null;
          if (!r || !v) throw linkInvalid();
          noStore(reply).setCookie(PORTAL_COOKIE, r.cookie, cookieOptions(request));
          return ok(reply, v);
        },
      );
    });

    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/session',
      {
        schema: {
          operationId: 'getPortalSession',
          summary: 'The portal session of the cookie',
          tags: TAGS,
          response: { 200: api.envelope(portalApi.Session), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const cookie = portalCookieOf(request);
        const s = cookie ? await sessions().check(cookie) : null;
        const v = s ? view(s) : null;
        if (!v) throw ended();
        return ok(noStore(reply), v);
      },
    );
    app.delete(
      '/session',
      {
        schema: {
          operationId: 'signOutPortal',
          summary: 'Sign out of the portal',
          description:
            'Ends the session and clears its cookie. Needs the header `x-hookstream-console: 1` when the cookie is sent.',
          tags: TAGS,
          response: { 200: api.envelope(portalApi.SignedOut), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const cookie = portalCookieOf(request);
        if (cookie !== undefined) {
          assertConsoleHeader(request);
          const s = await sessions().check(cookie);
          if (s) await sessions().revoke(s.account_id, s.id);
        }
        noStore(reply).clearCookie(PORTAL_COOKIE, cookieOptions(request));
        return ok(reply, { signed_out: true as const });
      },
    );
  };
}
