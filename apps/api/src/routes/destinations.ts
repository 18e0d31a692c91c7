import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type DestinationRecord, type SignatureScheme, api } from '@hookstream/contracts';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from '@hookstream/domain';
import { checkDestinationUrl, resolveAndCheck } from '@hookstream/delivery-http';
import { checkSigningSecret, generateSigningSecret } from '@hookstream/signing';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';
import { destinationView } from '../views.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_IN_FLIGHT = 32;
export const DEFAULT_ROTATION_OVERLAP_S = 24 * 3600;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'authorization']);
const PRIVATE_HINT =
  '. Destinations on private, loopback and link-local addresses are refused unless the operator allows them: set ALLOW_PRIVATE_DESTINATIONS=true in the environment of every api and deliverer process (for local use and tests)';

export function destinationRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, settings } = deps;
    const nowMs = () => deps.now?.() ?? Date.now();
    const now = () => new Date(nowMs()).toISOString();
    const owned = (accountId: string, id: string) => {
      const d = catalog.view.destinations.get(id);
      if (!d || d.account_id !== accountId) throw errors.notFound('destination');
      return d;
    };

    async function checkUrl(url: string): Promise<void> {
      const g = checkDestinationUrl(url, { allowPrivate: settings.allowPrivateDestinations });
      if (!g.ok) throw errors.badRequest(`url: ${g.reason}${g.private ? PRIVATE_HINT : ''}`);
      // A name that resolves to a private address is refused now; one that does not resolve yet is
      // accepted, and the same guard runs again on every connection (DNS can change).
      const r = await resolveAndCheck(new URL(url).hostname, { allowPrivate: settings.allowPrivateDestinations });
      if (!r.ok && !r.reason.startsWith('host does not resolve'))
        throw errors.badRequest(`url: ${r.reason}${r.private ? PRIVATE_HINT : ''}`);
    }
    function checkHeaders(h: Record<string, string> | undefined): void {
      for (const [k, v] of Object.entries(h ?? {})) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k))
          throw errors.badRequest(`headers: '${k}' is not a valid header name`);
        if (RESERVED_HEADERS.has(k.toLowerCase()))
          throw errors.badRequest(`headers: '${k}' is set by Hookstream and cannot be overridden`);
        if (/[\r\n\0]/.test(v)) throw errors.badRequest(`headers: the value of '${k}' contains a control character`);
      }
    }
    function checkSecret(scheme: SignatureScheme, secret: string | null | undefined): void {
      if (!secret) return;
      const problem = checkSigningSecret(scheme, secret);
      if (problem) throw errors.badRequest(`signing_secret: ${problem}`);
    }
    /**
     * A destination's routes follow it to another customer; an inbound route would carry nothing to
     * a customer's destination (they take outbound events only), so it must go first.
     */
    function checkCustomerChange(d: DestinationRecord, customer: string | null): void {
      if ((d.customer_id ?? null) === customer || customer === null) return;
      for (const r of catalog.view.routesOf(d.account_id)) {
        if (r.destination_id === d.id && r.source_id !== null) {
          throw errors.conflict(
            `customer_id: route ${r.id} brings inbound events to this destination, and a customer's destination takes outbound events only: delete it first`,
          );
        }
      }
    }
    async function moveRoutes(d: DestinationRecord, customer: string | null, at: string): Promise<void> {
      for (const r of catalog.view.routesOf(d.account_id)) {
        if (r.destination_id === d.id && (r.customer_id ?? null) !== customer)
          await catalog.put('route', r.id, { ...r, customer_id: customer, updated_at: at });
      }
    }
    function checkPolicy(p: unknown): void {
      if (p === undefined) return;
      const problem = validateRetryPolicy(p);
      if (problem) throw errors.badRequest(`retry_policy: ${problem}`);
    }

    app.post(
      '/destinations',
      {
        config: { audit: 'destination.create' },
        schema: {
          body: api.CreateDestinationBody,
          response: { 201: api.envelope(api.DestinationWithSecret), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const b = request.body;
        await checkUrl(b.url);
        checkHeaders(b.headers);
        const scheme = b.signature_scheme ?? 'standard_webhooks';
        checkSecret(scheme, b.signing_secret);
        checkPolicy(b.retry_policy);
        // A destination always gets a secret: given, or generated and shown once, here.
        const generated = b.signing_secret === undefined ? generateSigningSecret() : null;
        const secret = b.signing_secret ?? generated;
        const at = now();
        const rec: DestinationRecord = {
          id: randomUUID(),
          account_id: request.accountId,
          name: b.name,
          url: b.url,
          auth_token: b.auth_token ?? null,
          headers: b.headers ?? {},
          signing_secrets: secret ? [{ secret, created_at: at, expires_at: null }] : [],
          signature_scheme: scheme,
          timeout_ms: b.timeout_ms ?? DEFAULT_TIMEOUT_MS,
          retry_policy: b.retry_policy ?? { ...DEFAULT_RETRY_POLICY },
          rate_limit_per_s: b.rate_limit_per_s ?? null,
          max_in_flight: b.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
          active: b.active ?? true,
          customer_id: b.customer_id ?? null,
          created_at: at,
          updated_at: at,
        };
        await catalog.put('destination', rec.id, rec);
        return ok(reply, { ...destinationView(rec), ...(generated ? { signing_secret: generated } : {}) }, 201);
      },
    );
    app.get(
      '/destinations',
      {
        schema: {
          querystring: api.DestinationListQuery,
          response: { 200: api.listEnvelope(api.Destination), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const all = catalog.view.destinations;
        const scoped =
          q.customer_id === undefined
            ? all
            : new Map([...all].filter(([, d]) => (d.customer_id ?? null) === q.customer_id));
        const { items, next } = catalog.view.page(scoped, request.accountId, q.limit ?? 50, decodeCursor(q.cursor));
        return page(reply, items.map(destinationView), next ? encodeCursor(next) : null);
      },
    );
    app.get(
      '/destinations/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.Destination), '4xx': api.ErrorBody } } },
      async (request, reply) => ok(reply, destinationView(owned(request.accountId, request.params.id))),
    );
    app.patch(
      '/destinations/:id',
      {
        config: { audit: 'destination.update' },
        schema: {
          params: api.IdParams,
          body: api.UpdateDestinationBody,
          response: { 200: api.envelope(api.Destination), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        const b = request.body;
        if (b.customer_id !== undefined) checkCustomerChange(d, b.customer_id);
        if (b.url !== undefined) await checkUrl(b.url);
        checkHeaders(b.headers);
        const scheme = b.signature_scheme ?? d.signature_scheme;
        checkSecret(scheme, b.signing_secret);
        checkPolicy(b.retry_policy);
        const at = now();
        const next: DestinationRecord = {
          ...d,
          name: b.name ?? d.name,
          url: b.url ?? d.url,
          auth_token: b.auth_token === undefined ? d.auth_token : b.auth_token,
          headers: b.headers ?? d.headers,
          signing_secrets:
            b.signing_secret === undefined
              ? d.signing_secrets
              : b.signing_secret === null
                ? []
                : [{ secret: b.signing_secret, created_at: at, expires_at: null }],
          signature_scheme: scheme,
          timeout_ms: b.timeout_ms ?? d.timeout_ms,
          retry_policy: b.retry_policy ?? d.retry_policy,
          rate_limit_per_s: b.rate_limit_per_s === undefined ? d.rate_limit_per_s : b.rate_limit_per_s,
          max_in_flight: b.max_in_flight ?? d.max_in_flight,
          active: b.active ?? d.active,
          customer_id: b.customer_id === undefined ? (d.customer_id ?? null) : b.customer_id,
          updated_at: at,
        };
        await catalog.put('destination', d.id, next);
        if (b.customer_id !== undefined) await moveRoutes(d, next.customer_id ?? null, at);
        return ok(reply, destinationView(next));
      },
    );
    app.delete(
      '/destinations/:id',
      {
        config: { audit: 'destination.delete' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        for (const r of catalog.view.routesOf(request.accountId))
          if (r.destination_id === d.id) await catalog.remove('route', r.id);
        await catalog.remove('destination', d.id);
        return reply.code(204).send(null);
      },
    );
    // The receiver needs the secret to verify signatures; whoever manages the endpoint (an account
    // key, or a customer's manage-scoped portal session) may read it, on its own route and never cached.
    app.get(
      '/destinations/:id/secret',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.RevealedSecret), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        const at = nowMs();
        const current = d.signing_secrets.find((s) => s.expires_at === null);
        const previous = d.signing_secrets
          .filter((s) => s.expires_at !== null && Date.parse(s.expires_at) > at)
          .map((s) => ({ signing_secret: s.secret, expires_at: s.expires_at as string }));
        reply.header('cache-control', 'no-store');
        return ok(reply, { signing_secret: current?.secret ?? null, previous });
      },
    );
    app.post(
      '/destinations/:id/rotate-secret',
      {
        config: { audit: 'destination.rotate_secret' },
        schema: {
          params: api.IdParams,
          body: api.RotateSecretBody,
          response: { 200: api.envelope(api.RotatedSecret), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        const b = request.body ?? {};
        checkSecret(d.signature_scheme, b.secret);
        const at = nowMs();
        const overlap = (b.overlap_s ?? DEFAULT_ROTATION_OVERLAP_S) * 1000;
        const secret = b.secret ?? generateSigningSecret();
        const current = d.signing_secrets.find((s) => s.expires_at === null);
        const previousExpires = current && overlap > 0 ? new Date(at + overlap).toISOString() : null;
        const next: DestinationRecord = {
          ...d,
          signing_secrets: [
            { secret, created_at: new Date(at).toISOString(), expires_at: null },
            ...(current && previousExpires ? [{ ...current, expires_at: previousExpires }] : []),
          ],
          updated_at: new Date(at).toISOString(),
        };
        await catalog.put('destination', d.id, next);
        return ok(reply, { signing_secret: secret, previous_expires_at: previousExpires });
      },
    );
  };
}
