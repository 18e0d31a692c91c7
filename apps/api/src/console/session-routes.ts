// POST/GET/DELETE /console/session: an API key exchanged for an httpOnly, SameSite=Strict cookie
// holding a random session id. The key itself never reaches the browser's storage.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { api, consoleApi } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { ok } from '../http.ts';
import { parseJsonBody } from '../json.ts';
import { brandView } from '../views.ts';
import { assertConsoleHeader, sessionCookieOf } from '../auth.ts';
import { SESSION_COOKIE, sessionsOf } from './sessions.ts';
import { callerOf, checkPassword } from './sign-in.ts';
import { inviteRoutes } from './invite-routes.ts';
import { ssoRoutes } from './sso-routes.ts';

const TAGS = ['console'];

export function sessionRoutes(deps: ApiDeps) {
  return async (root: FastifyInstance) => {
    const { settings, catalog } = deps;
    // JSON only, through the same guarded parser as /v1: a cross-site form (urlencoded, multipart,
    // text/plain) cannot sign a browser in to someone else's account.
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
      const s = sessionsOf(deps);
      if (!s) throw errors.unavailable('console sign-in is not available on this server');
      return s;
    };
    const cookieOptions = (request: FastifyRequest) => ({
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: request.protocol === 'https' || settings.publicUrl.startsWith('https://'),
    });
    const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
    const accountOf = (id: string) => {
      const a = catalog.view.accounts.get(id);
      return a ? { id: a.id, name: a.name, plan: a.plan } : null;
    };

    await root.register(async (signIn) => {
      await signIn.register(rateLimit, {
        max: settings.consoleSignInRatePerMinute,
        timeWindow: 60_000,
        errorResponseBuilder: (_req, ctx) =>
          new ApiError(
            429,
            'rate_limited',
            `too many sign-in attempts from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
          ),
      });
      signIn.withTypeProvider<TypeBoxTypeProvider>().post(
        '/session',
        {
          schema: {
            operationId: 'signInConsole',
            summary: 'Sign in to the console with an API key, or as a member with email and password',
            description:
              'Sets the session cookie `hs_console` (httpOnly, SameSite=Strict, Secure under https). An unknown email and a wrong password get the same 401; after SIGNIN_LOCKOUT_FAILURES wrong passwords for one email from one address, that pair gets 429 locked_out for SIGNIN_LOCKOUT_MIN minutes.',
            tags: TAGS,
            body: consoleApi.SignInBody,
            response: { 200: api.envelope(consoleApi.SignedIn), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          const s = sessions();
          const body = request.body;
          let started: { id: string; expiresAt: string };
          let record: { api_key_id: string; member_id?: string };
          let accountId: string;
          if ('api_key' in body) {
            const key = catalog.view.apiKeyFor(body.api_key);
            if (!key || key.revoked_at || !accountOf(key.account_id)) throw errors.invalidCredentials();
            await s.end(sessionCookieOf(request));
            started = await s.start(key.account_id, key.id);
            record = { api_key_id: key.id };
            accountId = key.account_id;
          } else {
            const member = await checkPassword(deps, request, body);
            await s.end(sessionCookieOf(request));
            started = await s.startForMember(member.account_id, member.id);
            record = { api_key_id: '', member_id: member.id };
            accountId = member.account_id;
          }
          const account = accountOf(accountId);
          const caller = callerOf(catalog.view, record);
          if (!account || !caller) throw errors.unauthenticated();
          noStore(reply).setCookie(SESSION_COOKIE, started.id, cookieOptions(request));
          return ok(reply, { account, expires_at: started.expiresAt, ...caller });
        },
      );
      // Invitation links are credentials too: the same limit keeps their tokens from being guessed at speed.
      const cookies = {
        setSession: (request: FastifyRequest, reply: FastifyReply, id: string) =>
          noStore(reply).setCookie(SESSION_COOKIE, id, cookieOptions(request)),
      };
      await signIn.register(inviteRoutes(deps, cookies));
      await signIn.register(ssoRoutes(deps, cookies));
    });

    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/session',
      {
        schema: {
          operationId: 'getConsoleSession',
          summary: 'The console session of the cookie',
          tags: TAGS,
          response: { 200: api.envelope(consoleApi.Session), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const session = await sessions().resolve(sessionCookieOf(request));
        const account = session ? accountOf(session.record.account_id) : null;
        const caller = session ? callerOf(catalog.view, session.record) : null;
        if (!session || !account || !caller) throw errors.unauthenticated();
        const brand = catalog.view.brands.get(account.id);
        return ok(noStore(reply), {
          account,
          brand: brand ? brandView(brand) : null,
          expires_at: session.expiresAt,
          ...caller,
        });
      },
    );
    app.delete(
      '/session',
      {
        schema: {
          operationId: 'signOutConsole',
          summary: 'Sign out of the console',
          description:
            'Ends the session and clears its cookie. Needs the header `x-hookstream-console: 1` when the cookie is sent.',
          tags: TAGS,
          response: { 200: api.envelope(consoleApi.SignedOut), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const id = sessionCookieOf(request);
        if (id !== undefined) {
          assertConsoleHeader(request);
          await sessions().end(id);
        }
        noStore(reply).clearCookie(SESSION_COOKIE, cookieOptions(request));
        return ok(reply, { signed_out: true as const });
      },
    );
  };
}
