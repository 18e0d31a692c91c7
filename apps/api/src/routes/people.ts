// Members, invitations and single sign-on settings of the caller's account. Who may change whom
// is decided by the permission table (libs/domain roles.ts); the last owner always stays.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type SsoRecord, api } from '@hookstream/contracts';
import { type Role, checkRoleChange } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { inviteByEmail, inviteUrl, memberByEmail, newInvite, ownersOf } from '../people.ts';
import { sessionsOf } from '../console/sessions.ts';
import { inviteView, memberView } from '../views.ts';
import { invitationMail, mailerFor } from '../mail.ts';

const TAGS = ['people'];

export const ssoRedirectUri = (publicUrl: string) => `${publicUrl}/console/sso/callback`;

export function peopleRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, settings } = deps;
    const view = catalog.view;
    const nowMs = () => deps.now?.() ?? Date.now();
    const sendMail = mailerFor(settings);

    /** Refuses a role change the caller may not make, with the reason the table gives. */
    const assertRoleChange = (actor: Role, accountId: string, from: Role | null, to: Role | null) => {
      const c = checkRoleChange(actor, from, to, ownersOf(view, accountId));
      if (c.ok) return;
      if (c.reason === 'last_owner') throw errors.lastOwner();
      throw errors.forbiddenRole(
        `a ${actor} may not ${to === null ? 'remove' : 'give the role ' + to + ' to'} ${from === null ? 'a new member' : 'a ' + from}`,
      );
    };
    const ownMember = (accountId: string, id: string) => {
      const m = view.members.get(id);
      if (!m || m.account_id !== accountId) throw errors.notFound('member');
      return m;
    };

    app.get(
      '/members',
      {
        schema: {
          tags: TAGS,
          operationId: 'listMembers',
          querystring: api.ListQuery,
          response: { 200: api.listEnvelope(api.Member), '4xx': api.ErrorBody },
        },
        config: { action: 'read' },
      },
      async (request, reply) => {
        const { items, next } = view.page(
          view.members,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
        return page(reply, items.map(memberView), next ? encodeCursor(next) : null);
      },
    );
    app.patch(
      '/members/:id',
      {
        schema: {
          tags: TAGS,
          operationId: 'updateMember',
          params: api.IdParams,
          body: api.UpdateMemberBody,
          response: { 200: api.envelope(api.Member), '4xx': api.ErrorBody },
        },
        config: { action: 'members.manage' },
      },
      async (request, reply) => {
        const m = ownMember(request.accountId, request.params.id);
        const role = request.body.role;
        if (role === m.role) return ok(reply, memberView(m));
        assertRoleChange(request.role as Role, request.accountId, m.role, role);
        const next = { ...m, role, updated_at: new Date(nowMs()).toISOString() };
        await catalog.put('member', m.id, next);
        return ok(reply, memberView(next));
      },
    );
    app.delete(
      '/members/:id',
      {
        schema: {
          tags: TAGS,
          operationId: 'removeMember',
          params: api.IdParams,
          response: { 204: Type.Null(), '4xx': api.ErrorBody },
        },
        config: { action: 'members.manage' },
      },
      async (request, reply) => {
        const m = ownMember(request.accountId, request.params.id);
        assertRoleChange(request.role as Role, request.accountId, m.role, null);
        // The record's removal already ends the member's sessions on every copy (they are checked
        // against the view on each use); the purge leaves nothing of them in the bucket.
        await catalog.remove('member', m.id);
        await sessionsOf(deps)?.endForMember(m.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/invites',
      {
        schema: {
          tags: TAGS,
          operationId: 'createInvite',
          description:
            'Answers a single-use link to the console that expires after INVITE_TTL_H; a new invitation for the same email replaces the old one. With SMTP_URL set the link is also mailed (`mailed` says whether the mail went).',
          body: api.CreateInviteBody,
          response: { 201: api.envelope(api.InviteCreated), '4xx': api.ErrorBody },
        },
        config: { action: 'members.manage' },
      },
      async (request, reply) => {
        const { email, role } = request.body;
        assertRoleChange(request.role as Role, request.accountId, null, role);
        if (memberByEmail(view, request.accountId, email))
          throw errors.conflict('a member of this account already has that email');
        const now = nowMs();
        const previous = inviteByEmail(view, request.accountId, email, Number.NEGATIVE_INFINITY);
        const { token, record } = newInvite(
          request.accountId,
          email,
          role,
          request.memberId,
          now,
          settings.inviteTtlMs,
        );
        await catalog.put('invite', record.id, record);
        if (previous) await catalog.remove('invite', previous.id);
        const url = inviteUrl(settings.publicUrl, token);
        let mailed = false;
        if (sendMail) {
          const account = view.accounts.get(request.accountId)?.name ?? 'an account';
          try {
            await sendMail(invitationMail(record.email, account, role, url, record.expires_at));
            mailed = true;
          } catch (err) {
            // The link is answered anyway; the log names the failure, never the address or the link.
            request.log.warn(
              { invite_id: record.id, code: (err as { code?: string }).code ?? 'unknown' },
              'invitation mail not sent',
            );
          }
        }
        return ok(reply, { ...inviteView(record, now), url, mailed }, 201);
      },
    );
    app.get(
      '/invites',
      {
        schema: {
          tags: TAGS,
          operationId: 'listInvites',
          querystring: api.ListQuery,
          response: { 200: api.listEnvelope(api.Invite), '4xx': api.ErrorBody },
        },
        config: { action: 'members.manage' },
      },
      async (request, reply) => {
        const { items, next } = view.page(
          view.invites,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
        const now = nowMs();
        return page(
          reply,
          items.map((i) => inviteView(i, now)),
          next ? encodeCursor(next) : null,
        );
      },
    );
    app.delete(
      '/invites/:id',
      {
        schema: {
          tags: TAGS,
          operationId: 'cancelInvite',
          params: api.IdParams,
          response: { 204: Type.Null(), '4xx': api.ErrorBody },
        },
        config: { action: 'members.manage' },
      },
      async (request, reply) => {
        const i = view.invites.get(request.params.id);
        if (!i || i.account_id !== request.accountId) throw errors.notFound('invite');
        await catalog.remove('invite', i.id);
        return reply.code(204).send(null);
      },
    );

    const ssoView = (o: SsoRecord) => ({
      issuer: o.issuer,
      client_id: o.client_id,
      client_secret_set: o.client_secret !== '',
      enabled: o.enabled,
      redirect_uri: ssoRedirectUri(settings.publicUrl),
      updated_at: o.updated_at,
    });
    app.get(
      '/sso',
      {
        schema: {
          tags: TAGS,
          operationId: 'getSso',
          summary: 'Single sign-on settings',
          response: { 200: api.envelope(api.SsoSettings), '4xx': api.ErrorBody },
        },
        config: { action: 'account.manage' },
      },
      async (request, reply) => {
        const o = view.ssos.get(request.accountId);
        if (!o) throw errors.notFound('single sign-on settings');
        return ok(reply, ssoView(o));
      },
    );
    app.put(
      '/sso',
      {
        schema: {
          tags: TAGS,
          operationId: 'putSso',
          summary: 'Set single sign-on (OpenID Connect)',
          description:
            'The client secret is sealed at rest and never answered. Register `redirect_uri` with the provider.',
          body: api.PutSsoBody,
          response: { 200: api.envelope(api.SsoSettings), '4xx': api.ErrorBody },
        },
        config: { action: 'account.manage' },
      },
      async (request, reply) => {
        const prev = view.ssos.get(request.accountId);
        const b = request.body;
        const secret = b.client_secret ?? prev?.client_secret ?? '';
        if (secret === '') throw errors.badRequest('client_secret: required the first time');
        if (!URL.canParse(b.issuer)) throw errors.badRequest('issuer: not a URL');
        const at = new Date(nowMs()).toISOString();
        const rec: SsoRecord = {
          id: request.accountId,
          account_id: request.accountId,
          // As given: the provider's `iss` claim must equal it to the character.
          issuer: b.issuer,
          client_id: b.client_id,
          client_secret: secret,
          enabled: b.enabled ?? true,
          created_at: prev?.created_at ?? at,
          updated_at: at,
        };
        await catalog.put('sso', rec.id, rec);
        return ok(reply, ssoView(rec));
      },
    );
    app.delete(
      '/sso',
      {
        schema: { tags: TAGS, operationId: 'deleteSso', response: { 204: Type.Null(), '4xx': api.ErrorBody } },
        config: { action: 'account.manage' },
      },
      async (request, reply) => {
        if (!view.ssos.has(request.accountId)) throw errors.notFound('single sign-on settings');
        await catalog.remove('sso', request.accountId);
        return reply.code(204).send(null);
      },
    );
  };
}
