// Brand settings: how an account presents itself (portal, emails). One record per account.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type BrandRecord, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { ok } from '../http.ts';
import { brandView } from '../views.ts';

const EMPTY = { name: null, logo_url: null, primary_color: null, accent_color: null, support_email: null, created_at: null, updated_at: null };

const view = brandView;

export function brandRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();

    app.post(
      '/brand-settings',
      { schema: { body: api.UpsertBrandBody, response: { 200: api.envelope(api.Brand), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const b = request.body;
        const at = now();
        const current = catalog.view.brands.get(request.accountId);
        const next: BrandRecord = {
          id: request.accountId,
          account_id: request.accountId,
          name: b.name === undefined ? (current?.name ?? null) : b.name,
          logo_url: b.logo_url === undefined ? (current?.logo_url ?? null) : b.logo_url,
          primary_color: b.primary_color === undefined ? (current?.primary_color ?? null) : b.primary_color,
          accent_color: b.accent_color === undefined ? (current?.accent_color ?? null) : b.accent_color,
          support_email: b.support_email === undefined ? (current?.support_email ?? null) : b.support_email,
          created_at: current?.created_at ?? at,
          updated_at: at,
        };
        await catalog.put('brand', request.accountId, next);
        return ok(reply, view(next));
      },
    );
    app.get('/brand-settings', { schema: { response: { 200: api.envelope(api.Brand), '4xx': api.ErrorBody } } }, async (request, reply) => {
      const b = catalog.view.brands.get(request.accountId);
      return ok(reply, b ? view(b) : EMPTY);
    });
  };
}
