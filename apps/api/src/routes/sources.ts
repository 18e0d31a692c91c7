import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type SourceRecord, type VerificationConfig, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { newPathToken } from '../keys.ts';
import { sourceView } from '../views.ts';

/** `stored` names what the request left unchanged, so that the refusal says which side came from where. */
function checkAuth(
  mode: 'none' | 'shared_secret',
  vc: VerificationConfig | null,
  stored?: { mode: boolean; vc: boolean },
): void {
  if (mode === 'shared_secret' && !vc)
    throw errors.badRequest("verification_config is required when auth_mode is 'shared_secret'");
  // A secret on a source that does not verify looks protected and is not: refuse the contradiction.
  if (mode === 'none' && vc) {
    const modeSide = stored?.mode ? "the source's auth_mode is 'none'" : "auth_mode is 'none'";
    const vcSide = stored?.vc ? 'it has a verification_config' : 'a verification_config is given';
    throw errors.badRequest(
      `${modeSide} but ${vcSide}: a source with auth_mode 'none' does not verify signatures. Set auth_mode to 'shared_secret' to verify them, or verification_config to null to accept unsigned requests`,
    );
  }
  if (vc?.provider === 'standard_webhooks') {
    const raw = vc.secret.startsWith('whsec_') ? vc.secret.slice(6) : vc.secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || Buffer.from(raw, 'base64').length < 16) {
      throw errors.badRequest(
        'verification_config.secret: a Standard Webhooks secret is whsec_ followed by base64 of at least 16 bytes',
      );
    }
  }
}

export function sourceRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, settings } = deps;
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();
    const owned = (accountId: string, id: string) => {
      const s = catalog.view.sources.get(id);
      if (!s || s.account_id !== accountId) throw errors.notFound('source');
      return s;
    };

    app.post(
      '/sources',
      {
        config: { audit: 'source.create' },
        schema: { body: api.CreateSourceBody, response: { 201: api.envelope(api.Source), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const b = request.body;
        const vc = b.verification_config ?? null;
        const mode = b.auth_mode ?? (vc ? 'shared_secret' : 'none');
        checkAuth(mode, vc);
        const at = now();
        const rec: SourceRecord = {
          id: randomUUID(),
          account_id: request.accountId,
          name: b.name,
          path_token: newPathToken(),
          auth_mode: mode,
          verification_config: vc,
          active: b.active ?? true,
          created_at: at,
          updated_at: at,
        };
        await catalog.put('source', rec.id, rec);
        return ok(reply, sourceView(rec, settings.publicUrl), 201);
      },
    );
    app.get(
      '/sources',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(api.Source), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const { items, next } = catalog.view.page(
          catalog.view.sources,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
        return page(
          reply,
          items.map((s) => sourceView(s, settings.publicUrl)),
          next ? encodeCursor(next) : null,
        );
      },
    );
    app.get(
      '/sources/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.Source), '4xx': api.ErrorBody } } },
      async (request, reply) => ok(reply, sourceView(owned(request.accountId, request.params.id), settings.publicUrl)),
    );
    app.patch(
      '/sources/:id',
      {
        config: { audit: 'source.update' },
        schema: {
          params: api.IdParams,
          body: api.UpdateSourceBody,
          response: { 200: api.envelope(api.Source), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const s = owned(request.accountId, request.params.id);
        const b = request.body;
        const vc = b.verification_config === undefined ? s.verification_config : (b.verification_config ?? null);
        // A PATCH that leaves both unchanged does not judge them: a source stored before the
        // contradiction was refused can still be renamed or paused.
        const mode = b.auth_mode ?? (b.verification_config === undefined ? s.auth_mode : vc ? 'shared_secret' : 'none');
        if (b.auth_mode !== undefined || b.verification_config !== undefined) {
          checkAuth(mode, vc, { mode: b.auth_mode === undefined, vc: b.verification_config === undefined });
        }
        const next: SourceRecord = {
          ...s,
          name: b.name ?? s.name,
          auth_mode: mode,
          verification_config: vc,
          active: b.active ?? s.active,
          updated_at: now(),
        };
        await catalog.put('source', s.id, next);
        return ok(reply, sourceView(next, settings.publicUrl));
      },
    );
    app.delete(
      '/sources/:id',
      {
        config: { audit: 'source.delete' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const s = owned(request.accountId, request.params.id);
        // Routes scoped to a deleted source can never match again: remove them with it.
        for (const r of catalog.view.routesOf(request.accountId))
          if (r.source_id === s.id) await catalog.remove('route', r.id);
        await catalog.remove('source', s.id);
        return reply.code(204).send(null);
      },
    );
  };
}
