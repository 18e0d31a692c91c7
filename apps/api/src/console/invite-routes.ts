// The console's side of an invitation: what the link offers, and its acceptance, which creates
// the member and signs them in. No key or session is needed: the link's token is the credential.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type InviteRecord, api, consoleApi } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { ok } from '../http.ts';
import { hashPassword } from '../passwords.ts';
import { memberByEmail } from '../people.ts';
import { sessionCookieOf } from '../auth.ts';
import { sessionsOf } from './sessions.ts';
import { callerOf } from './sign-in.ts';

const TAGS = ['console'];

export interface CookieHelpers {
  setSession(request: FastifyRequest, reply: FastifyReply, id: string): FastifyReply;
}

/** The live invitation behind a token, or a 410: unknown, used and expired links read the same. */
export function liveInvite(deps: ApiDeps, token: string): InviteRecord {
  const i = deps.catalog.view.inviteForToken(token);
  const nowMs = deps.now?.() ?? Date.now();
  if (!i || Date.parse(i.expires_at) <= nowMs || !deps.catalog.view.accounts.has(i.account_id))
    throw errors.inviteInvalid();
  return i;
}

export function inviteRoutes(deps: ApiDeps, cookies: CookieHelpers) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const view = catalog.view;

    app.post(
      '/invite',
      {
        schema: {
          operationId: 'getConsoleInvite',
          summary: 'What an invitation link offers',
          tags: TAGS,
          body: consoleApi.InviteTokenBody,
          response: { 200: api.envelope(consoleApi.InviteInfo), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const i = liveInvite(deps, request.body.token);
        const account = view.accounts.get(i.account_id);
        const sso = view.ssos.get(i.account_id);
        return ok(reply.header('cache-control', 'no-store'), {
          account: { id: i.account_id, name: account?.name ?? '' },
          email: i.email,
          role: i.role,
          expires_at: i.expires_at,
          sso: sso?.enabled === true,
        });
      },
    );
    app.post(
      '/invite/accept',
      {
        schema: {
          operationId: 'acceptConsoleInvite',
          summary: 'Accept an invitation: become a member, set a password, be signed in',
          tags: TAGS,
          body: consoleApi.AcceptInviteBody,
          response: { 200: api.envelope(consoleApi.SignedIn), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const s = sessionsOf(deps);
        if (!s) throw errors.unavailable('console sign-in is not available on this server');
        const i = liveInvite(deps, request.body.token);
        if (memberByEmail(view, i.account_id, i.email)) {
          await catalog.remove('invite', i.id);
          throw errors.conflict('a member of this account already has that email: sign in instead');
        }
        const at = new Date(deps.now?.() ?? Date.now()).toISOString();
        const member = {
          // The invite's id: a second acceptance of the same link cannot create a second member.
          id: i.id,
          account_id: i.account_id,
          email: i.email,
          name: request.body.name,
          role: i.role,
          password_hash: await hashPassword(request.body.password),
          sso_subject: null,
          created_at: at,
          updated_at: at,
        };
        if (!(await catalog.create('member', member.id, member))) throw errors.inviteInvalid();
        await catalog.remove('invite', i.id);
        await s.end(sessionCookieOf(request));
        const started = await s.startForMember(member.account_id, member.id);
        const account = view.accounts.get(member.account_id);
        const caller = callerOf(view, { api_key_id: '', member_id: member.id });
        if (!account || !caller) throw errors.unauthenticated();
        cookies.setSession(request, reply, started.id);
        return ok(reply.header('cache-control', 'no-store'), {
          account: { id: account.id, name: account.name, plan: account.plan },
          expires_at: started.expiresAt,
          ...caller,
        });
      },
    );
  };
}
