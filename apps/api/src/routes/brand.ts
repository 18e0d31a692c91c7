// Brand settings: how an account presents itself (portal, emails). One record per account.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type BrandRecord, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { ok } from '../http.ts';
import { brandView } from '../views.ts';

const EMPTY = {
  name: null,
  logo_url: null,
  primary_color: null,
  accent_color: null,
  support_email: null,
  embed_origins: [],
  created_at: null,
  updated_at: null,
};

/**
 * Embed origins as the browser compares them for frame-ancestors: scheme, host and port only, as
 * the URL parser normalizes them (a default port dropped). Each becomes a CSP source, so anything
 * else (a path, a wildcard, a quote or a semicolon) is refused.
 */
export function normalizeEmbedOrigins(input: readonly string[]): string[] {
  const out = new Set<string>();
  for (const [i, raw] of input.entries()) {
    let u: URL | null = null;
    try {
      u = new URL(raw.trim());
    } catch {
      u = null;
    }
    const bad = (why: string) => errors.badRequest(`embed_origins[${i}]: ${why} (like https://app.example.com)`);
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) throw bad('not an http(s) origin');
    if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== ''))
      throw bad('an origin has no path, query, fragment or credentials');
    // The URL parser lets '*' and other CSP-meaningful characters through in a host name.
    if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(u.hostname))
      throw bad('not a host name or IP address');
    out.add(u.origin);
  }
  return [...out];
}

const view = brandView;

export function brandRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();

    app.post(
      '/brand-settings',
      {
        config: { audit: 'brand.update' },
        schema: { body: api.UpsertBrandBody, response: { 200: api.envelope(api.Brand), '4xx': api.ErrorBody } },
      },
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
          embed_origins:
            b.embed_origins === undefined ? (current?.embed_origins ?? []) : normalizeEmbedOrigins(b.embed_origins),
          created_at: current?.created_at ?? at,
          updated_at: at,
        };
        await catalog.put('brand', request.accountId, next);
        return ok(reply, view(next));
      },
    );
    app.get(
      '/brand-settings',
      { schema: { response: { 200: api.envelope(api.Brand), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const b = catalog.view.brands.get(request.accountId);
        return ok(reply, b ? view(b) : EMPTY);
      },
    );
  };
}
