import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { type Static, Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AccountRecord, api } from '@hookstream/contracts';
import { changesPlanTerms, planTerms } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { ok } from '../http.ts';
import { authPlugin } from '../auth.ts';
import { permissionsPlugin } from '../permissions.ts';
import { newApiKey } from '../keys.ts';
import { accountView, inviteView, memberView } from '../views.ts';
import { auditNote } from '../audit/record.ts';
import { hashPassword } from '../passwords.ts';
import { inviteUrl, newInvite, newMember } from '../people.ts';

const OPERATOR_ONLY =
  'plan and retention_days are set by the operator of this server (with X-Operator-Token, or `hookstream accounts set-plan`), not by the account';

/** Equal length digests, so the comparison says nothing about the token's length either. */
const sameToken = (given: string, want: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(want).digest());

const OperatorHeaders = {
  'x-operator-token': Type.Optional(
    Type.String({ description: 'The OPERATOR_TOKEN setting: lets the request set plan and retention_days.' }),
  ),
};

export function accountRoutes(deps: ApiDeps) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { settings, catalog } = deps;
    const nowMs = () => deps.now?.() ?? Date.now();
    const now = () => new Date(nowMs()).toISOString();
    /** The account's first member (with a password), or an owner invitation to accept (without). */
    const firstOwner = async (o: api.CreateAccountBody['owner'], accountId: string) => {
      if (!o) return null;
      if (o.password === undefined)
        return { invite: newInvite(accountId, o.email, 'owner', null, nowMs(), settings.inviteTtlMs) };
      const fields = {
        email: o.email,
        name: o.name,
        role: 'owner' as const,
        password_hash: await hashPassword(o.password),
        sso_subject: null,
      };
      return { member: newMember(accountId, fields, nowMs()) };
    };
    /** True when the request carries the operator token; a wrong one is refused outright rather than ignored. */
    const isOperator = (request: FastifyRequest): boolean => {
      const given = request.headers['x-operator-token'];
      if (given === undefined) return false;
      if (!settings.operatorToken)
        throw errors.forbidden(
          'this server has no operator token (OPERATOR_TOKEN): plans are set with `hookstream accounts set-plan`',
        );
      if (typeof given !== 'string' || !sameToken(given, settings.operatorToken))
        throw errors.forbidden('invalid X-Operator-Token');
      return true;
    };

    await app.register(async (open) => {
      await open.register(rateLimit, {
        max: settings.signupRatePerMinute,
        timeWindow: 60_000,
        errorResponseBuilder: (_req, ctx) =>
          new ApiError(
            429,
            'rate_limited',
            `too many accounts created from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
          ),
      });
      open.withTypeProvider<TypeBoxTypeProvider>().post(
        '/accounts',
        {
          config: { audit: 'account.create' },
          schema: {
            body: api.CreateAccountBody,
            headers: Type.Object({ 'x-signup-token': Type.Optional(Type.String()), ...OperatorHeaders }),
            response: { 201: api.envelope(api.AccountCreated), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          // The operator creates accounts whatever ACCOUNT_SIGNUP says: that is how a closed server gets them.
          const operator = isOperator(request);
          if (!operator && settings.accountSignup === 'closed')
            throw errors.forbidden('account sign-up is closed on this server');
          if (!operator && settings.accountSignup === 'token') {
            const given = Buffer.from(String(request.headers['x-signup-token'] ?? ''));
            const want = Buffer.from(settings.signupToken ?? '');
            if (given.length !== want.length || !timingSafeEqual(given, want))
              throw errors.forbidden('a valid X-Signup-Token is required');
          }
          const body = request.body;
          if (!operator && changesPlanTerms(null, body)) throw errors.operatorRequired(OPERATOR_ONLY);
          const terms = planTerms(null, body);
          if (!terms.ok) throw errors.badRequest(terms.error);
          const at = now();
          const account: AccountRecord = { id: randomUUID(), name: body.name, ...terms.terms, created_at: at };
          // The bootstrap key is the operator's way in: an owner, as every key was before roles.
          const { key, record } = newApiKey(account.id, 'bootstrap', at, 'owner');
          const owner = await firstOwner(body.owner, account.id);
          await catalog.put('account', account.id, account);
          await catalog.put('apikey', record.id, record);
          if (owner?.member) await catalog.put('member', owner.member.id, owner.member);
          if (owner?.invite) await catalog.put('invite', owner.invite.record.id, owner.invite.record);
          const by = operator ? 'operator' : 'signup';
          auditNote(request, {
            accountId: account.id,
            actor: { type: by, id: by, name: null },
            ids: { account_id: account.id, api_key_id: record.id },
          });
          return ok(
            reply,
            {
              account: accountView(account),
              api_key: key,
              ...(owner?.member ? { owner: memberView(owner.member) } : {}),
              ...(owner?.invite
                ? {
                    owner_invite: {
                      ...inviteView(owner.invite.record, nowMs()),
                      url: inviteUrl(settings.publicUrl, owner.invite.token),
                    },
                  }
                : {}),
            },
            201,
          );
        },
      );
    });

    await app.register(async (authed) => {
      await authed.register(authPlugin(deps));
      await authed.register(permissionsPlugin());
      const a = authed.withTypeProvider<TypeBoxTypeProvider>();
      a.get('/account', { schema: { response: { 200: api.envelope(api.Account) } } }, async (request, reply) => {
        const acc = catalog.view.accounts.get(request.accountId);
        if (!acc) throw errors.notFound('account');
        return ok(reply, accountView(acc));
      });
      a.patch(
        '/account',
        {
          config: { audit: 'account.update' },
          schema: {
            body: api.UpdateAccountBody,
            headers: Type.Object(OperatorHeaders),
            response: { 200: api.envelope(api.Account), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          const acc = catalog.view.accounts.get(request.accountId);
          if (!acc) throw errors.notFound('account');
          const body: Static<typeof api.UpdateAccountBody> = request.body;
          // The same terms sent back (a read-modify-write of the whole account) are not a change.
          const operator = isOperator(request);
          if (!operator && changesPlanTerms(acc, body)) throw errors.operatorRequired(OPERATOR_ONLY);
          const terms = planTerms(acc, body);
          if (!terms.ok) throw errors.badRequest(terms.error);
          const next: AccountRecord = { ...acc, name: body.name ?? acc.name, ...terms.terms };
          await catalog.put('account', acc.id, next);
          return ok(reply, accountView(next));
        },
      );
    });
  };
}
