import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { type Static, Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AccountRecord, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { ok } from '../http.ts';
import { authPlugin } from '../auth.ts';
import { newApiKey } from '../keys.ts';
import { accountView } from '../views.ts';

const PLAN_RETENTION: Record<string, number> = { free: 1, pro: 30, enterprise: 90 };

export function accountRoutes(deps: ApiDeps) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { settings, catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();

    await app.register(async (open) => {
      await open.register(rateLimit, {
        max: settings.signupRatePerMinute,
        timeWindow: 60_000,
        errorResponseBuilder: (_req, ctx) =>
          new ApiError(429, 'rate_limited', `too many accounts created from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
      });
      open.withTypeProvider<TypeBoxTypeProvider>().post(
        '/accounts',
        {
          schema: {
            body: api.CreateAccountBody,
            headers: Type.Object({ 'x-signup-token': Type.Optional(Type.String()) }),
            response: { 201: api.envelope(api.AccountCreated), '4xx': api.ErrorBody },
          },
        },
        async (request, reply) => {
          if (settings.accountSignup === 'closed') throw errors.forbidden('account sign-up is closed on this server');
          if (settings.accountSignup === 'token') {
            const given = Buffer.from(String(request.headers['x-signup-token'] ?? ''));
            const want = Buffer.from(settings.signupToken ?? '');
            if (given.length !== want.length || !timingSafeEqual(given, want)) throw errors.forbidden('a valid X-Signup-Token is required');
          }
          const body = request.body;
          const plan = body.plan ?? 'free';
          if (plan !== 'enterprise' && body.retention_days !== undefined && body.retention_days !== PLAN_RETENTION[plan]) {
            throw errors.badRequest(`retention_days is fixed at ${PLAN_RETENTION[plan]} on the ${plan} plan; custom retention needs enterprise`);
          }
          const at = now();
          const account: AccountRecord = {
            id: randomUUID(),
            name: body.name,
            plan,
            retention_days: body.retention_days ?? (PLAN_RETENTION[plan] as number),
            created_at: at,
          };
          const { key, record } = newApiKey(account.id, 'bootstrap', at);
          await catalog.put('account', account.id, account);
          await catalog.put('apikey', record.id, record);
          return ok(reply, { account: accountView(account), api_key: key }, 201);
        },
      );
    });

    await app.register(async (authed) => {
      await authed.register(authPlugin(deps));
      const a = authed.withTypeProvider<TypeBoxTypeProvider>();
      a.get('/account', { schema: { response: { 200: api.envelope(api.Account) } } }, async (request, reply) => {
        const acc = catalog.view.accounts.get(request.accountId);
        if (!acc) throw errors.notFound('account');
        return ok(reply, accountView(acc));
      });
      a.patch(
        '/account',
        { schema: { body: api.UpdateAccountBody, response: { 200: api.envelope(api.Account), '4xx': api.ErrorBody } } },
        async (request, reply) => {
          const acc = catalog.view.accounts.get(request.accountId);
          if (!acc) throw errors.notFound('account');
          const body: Static<typeof api.UpdateAccountBody> = request.body;
          const plan = body.plan ?? acc.plan;
          let retention = body.retention_days ?? (body.plan ? (PLAN_RETENTION[plan] as number) : acc.retention_days);
          if (plan !== 'enterprise') {
            if (body.retention_days !== undefined && body.retention_days !== PLAN_RETENTION[plan]) {
              throw errors.badRequest(`retention_days is fixed at ${PLAN_RETENTION[plan]} on the ${plan} plan; custom retention needs enterprise`);
            }
            retention = PLAN_RETENTION[plan] as number;
          }
          const next: AccountRecord = { ...acc, name: body.name ?? acc.name, plan, retention_days: retention };
          await catalog.put('account', acc.id, next);
          return ok(reply, accountView(next));
        },
      );
    });
  };
}
