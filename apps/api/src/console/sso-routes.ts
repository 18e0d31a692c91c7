// OpenID Connect single sign-on per account (openid-client, a certified relying party): the start
// redirects to the account's provider with PKCE, state and nonce, kept in a short-lived sealed
// cookie; the callback exchanges the code, lets openid-client check the ID token (issuer, audience,
// expiry, nonce, signature), and signs in the account's member with that subject or email, or
// creates the member of a pending invitation. Nobody else gets in by SSO.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as oidc from 'openid-client';
import { sealedKid } from '@hookstream/catalog';
import type { MemberRecord, SsoRecord } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { inviteByEmail, memberByEmail } from '../people.ts';
import { ssoRedirectUri } from '../routes/people.ts';
import { sessionsOf } from './sessions.ts';
import type { CookieHelpers } from './invite-routes.ts';

export const SSO_COOKIE = 'hs_sso';
/** Time allowed between the start and the provider sending the browser back. */
const FLIGHT_MS = 10 * 60_000;
const SEAL_CONTEXT = 'hookstream:console:sso-flight';

interface Flight {
  account: string;
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
}

/** Why a sign-in was refused, as the console's sign-in screen shows it (?sso_error=). */
type SsoRefusal = 'not_configured' | 'expired_flow' | 'token_refused' | 'not_a_member' | 'provider_unreachable';

const isLoopback = (u: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);

export function ssoRoutes(deps: ApiDeps, cookies: CookieHelpers) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, settings } = deps;
    const view = catalog.view;
    const nowMs = () => deps.now?.() ?? Date.now();
    // Discovery once per settings version: the record's updated_at changes with any of them.
    const configs = new Map<string, Promise<oidc.Configuration>>();
    const configOf = (o: SsoRecord): Promise<oidc.Configuration> => {
      const cacheKey = `${o.account_id}:${o.updated_at}`;
      let c = configs.get(cacheKey);
      if (!c) {
        const issuer = new URL(o.issuer);
        // Plain http only to a provider on this machine (development and tests).
        const execute = issuer.protocol === 'http:' && isLoopback(issuer) ? [oidc.allowInsecureRequests] : [];
        c = oidc.discovery(issuer, o.client_id, undefined, oidc.ClientSecretPost(o.client_secret), {
          execute,
          timeout: 10,
        });
        c.catch(() => configs.delete(cacheKey));
        configs.set(cacheKey, c);
      }
      return c;
    };
    const flightCookie = (request: FastifyRequest) => ({
      path: '/console/sso',
      httpOnly: true,
      // Lax, not Strict: the provider's redirect back is a cross-site navigation, which Strict cookies miss.
      sameSite: 'lax' as const,
      secure: request.protocol === 'https' || settings.publicUrl.startsWith('https://'),
      maxAge: FLIGHT_MS / 1000,
    });
    const refuse = (reply: FastifyReply, why: SsoRefusal) =>
      reply
        .header('cache-control', 'no-store')
        .clearCookie(SSO_COOKIE, { path: '/console/sso' })
        .redirect(`/console/signin?sso_error=${why}`, 303);

    app.get(
      '/sso/start',
      {
        schema: {
          operationId: 'startConsoleSso',
          summary: "Start single sign-on: a redirect to the account's OpenID provider",
          tags: ['console'],
          querystring: Type.Object(
            { account: Type.String({ minLength: 1, maxLength: 64 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const o = view.ssos.get(request.query.account);
        if (!o || !o.enabled || !view.accounts.has(o.account_id)) return refuse(reply, 'not_configured');
        let config: oidc.Configuration;
        try {
          config = await configOf(o);
        } catch (err) {
          request.log.warn({ err: (err as { code?: string }).code ?? String(err) }, 'sso discovery failed');
          return refuse(reply, 'provider_unreachable');
        }
        const flight: Flight = {
          account: o.account_id,
          state: oidc.randomState(),
          nonce: oidc.randomNonce(),
          verifier: oidc.randomPKCECodeVerifier(),
          exp: nowMs() + FLIGHT_MS,
        };
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: ssoRedirectUri(settings.publicUrl),
          scope: 'openid email profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(flight.verifier),
          code_challenge_method: 'S256',
          state: flight.state,
          nonce: flight.nonce,
        });
        const sealed = catalog.keyring.seal(JSON.stringify(flight), SEAL_CONTEXT);
        return reply
          .header('cache-control', 'no-store')
          .setCookie(SSO_COOKIE, sealed, flightCookie(request))
          .redirect(url.href, 303);
      },
    );

    app.get('/sso/callback', { schema: { hide: true } }, async (request, reply) => {
      const flight = readFlight(request);
      if (!flight || flight.exp <= nowMs()) return refuse(reply, 'expired_flow');
      const o = view.ssos.get(flight.account);
      if (!o || !o.enabled) return refuse(reply, 'not_configured');
      let claims: oidc.IDToken | undefined;
      try {
        const config = await configOf(o);
        // The provider's answer is in the query; the rest of the URL is the one it was sent to.
        const q = request.url.indexOf('?');
        const current = new URL(`${ssoRedirectUri(settings.publicUrl)}${q >= 0 ? request.url.slice(q) : ''}`);
        const tokens = await oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: flight.verifier,
          expectedState: flight.state,
          expectedNonce: flight.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
        // Providers that keep the email out of the ID token give it at their userinfo endpoint.
        if (claims && claims.email === undefined && tokens.access_token) {
          const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
          claims = {
            ...claims,
            email: info.email,
            email_verified: info.email_verified,
            name: info.name ?? claims.name,
          };
        }
      } catch (err) {
        // The reason is logged by its code (wrong audience, expired, bad signature …), never with the token.
        request.log.warn(
          { code: (err as { code?: string }).code, error: (err as Error).message },
          'sso sign-in refused',
        );
        return refuse(reply, 'token_refused');
      }
      if (!claims) return refuse(reply, 'token_refused');
      const member = await memberFor(o.account_id, claims);
      if (!member) return refuse(reply, 'not_a_member');
      const s = sessionsOf(deps);
      if (!s) return refuse(reply, 'not_configured');
      const started = await s.startForMember(member.account_id, member.id);
      reply.clearCookie(SSO_COOKIE, { path: '/console/sso' });
      cookies.setSession(request, reply, started.id);
      return reply.redirect('/console/', 303);
    });

    function readFlight(request: FastifyRequest): Flight | null {
      const raw = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SSO_COOKIE];
      // Only a value this server sealed: a plain-text cookie would otherwise open as itself.
      if (!raw || sealedKid(raw) === null) return null;
      try {
        const f = JSON.parse(catalog.keyring.open(raw, SEAL_CONTEXT)) as Flight;
        return typeof f.account === 'string' && typeof f.verifier === 'string' ? f : null;
      } catch {
        return null;
      }
    }

    /** The account's member for these claims: by subject, else by verified email; or a pending invitation's new member. */
    async function memberFor(accountId: string, claims: oidc.IDToken): Promise<MemberRecord | null> {
      const sub = claims.sub;
      for (const m of view.membersOf(accountId)) if (m.sso_subject === sub) return m;
      const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : null;
      if (!email) return null;
      const at = new Date(nowMs()).toISOString();
      const known = memberByEmail(view, accountId, email);
      if (known) {
        // Linked to another identity already: the email alone does not let a second one in.
        if (known.sso_subject !== null) return null;
        const linked = { ...known, sso_subject: sub, updated_at: at };
        await catalog.put('member', known.id, linked);
        return linked;
      }
      const invite = inviteByEmail(view, accountId, email, nowMs());
      if (!invite) return null;
      const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name.slice(0, 200) : invite.email;
      const created: MemberRecord = {
        id: invite.id,
        account_id: accountId,
        email: invite.email,
        name,
        role: invite.role,
        password_hash: null,
        sso_subject: sub,
        created_at: at,
        updated_at: at,
      };
      if (!(await catalog.create('member', created.id, created))) return null;
      await catalog.remove('invite', invite.id);
      return created;
    }
  };
}
