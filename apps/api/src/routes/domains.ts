// Custom domains: an account claims a hostname and proves it with a DNS TXT record.
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type DomainRecord, api } from '@hookstream/contracts';
import { stableUuid } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor, ok, page } from '../http.ts';

export const CHALLENGE_PREFIX = '_hookstream-challenge';
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The hostname in lower-case ASCII (IDNA), or null when it is not a public DNS name. */
export function normalizeHostname(input: string): string | null {
  const ascii = domainToASCII(input.trim().replace(/\.$/, '')).toLowerCase();
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  // An IP address, a bare TLD or a local-only name cannot be proven through public DNS.
  const tld = labels[labels.length - 1] as string;
  if (/^[0-9]+$/.test(tld) || ['localhost', 'local', 'internal', 'test', 'invalid', 'example'].includes(tld)) return null;
  return ascii;
}

const view = (d: DomainRecord) => ({
  id: d.id,
  hostname: d.hostname,
  status: d.status,
  verification: { type: 'TXT' as const, name: `${CHALLENGE_PREFIX}.${d.hostname}`, value: d.verification_token },
  last_checked_at: d.last_checked_at,
  last_error: d.last_error,
  verified_at: d.verified_at,
  created_at: d.created_at,
});

export function domainRoutes(deps: ApiDeps) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const resolveTxt = deps.resolveTxt ?? resolverFor(deps.settings.dnsServers);
    const now = () => new Date(deps.now?.() ?? Date.now()).toISOString();
    const owned = (accountId: string, id: string) => {
      const d = catalog.view.domains.get(id);
      if (!d || d.account_id !== accountId) throw errors.notFound('custom domain');
      return d;
    };

    app.post(
      '/custom-domains',
      { schema: { body: api.CreateDomainBody, response: { 201: api.envelope(api.Domain), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const hostname = normalizeHostname(request.body.hostname);
        if (!hostname) throw errors.badRequest('hostname: not a valid public DNS name (like hooks.example.com)');
        // One claim per hostname across all accounts: its id derives from the name.
        const rec: DomainRecord = {
          id: stableUuid('custom-domain', [hostname]),
          account_id: request.accountId,
          hostname,
          verification_token: `hookstream-verify=${randomBytes(18).toString('base64url')}`,
          status: 'pending',
          last_checked_at: null,
          last_error: null,
          verified_at: null,
          created_at: now(),
        };
        if (!(await catalog.create('domain', rec.id, rec))) throw errors.conflict(`${hostname} is already registered`);
        return ok(reply, view(rec), 201);
      },
    );
    app.get(
      '/custom-domains',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(api.Domain), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const { items, next } = catalog.view.page(catalog.view.domains, request.accountId, request.query.limit ?? 50, decodeCursor(request.query.cursor));
        return page(reply, items.map(view), next ? encodeCursor(next) : null);
      },
    );
    app.get(
      '/custom-domains/:id',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.Domain), '4xx': api.ErrorBody } } },
      async (request, reply) => ok(reply, view(owned(request.accountId, request.params.id))),
    );
    app.post(
      '/custom-domains/:id/verify',
      { schema: { params: api.IdParams, response: { 200: api.envelope(api.Domain), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        let found = false;
        let error: string | null = null;
        try {
          const records = await resolveTxt(`${CHALLENGE_PREFIX}.${d.hostname}`);
          found = records.some((chunks) => chunks.join('') === d.verification_token);
          if (!found) error = `no TXT record at ${CHALLENGE_PREFIX}.${d.hostname} with the expected value`;
        } catch (err) {
          const code = (err as { code?: string }).code;
          error =
            code === 'ENODATA' || code === 'ENOTFOUND'
              ? `no TXT record at ${CHALLENGE_PREFIX}.${d.hostname} yet`
              : `DNS lookup failed: ${code ?? (err as Error).message}`;
        }
        const at = now();
        const next: DomainRecord = {
          ...d,
          status: found ? 'verified' : d.status === 'verified' ? 'verified' : 'failed',
          last_checked_at: at,
          last_error: found ? null : error,
          verified_at: found ? (d.verified_at ?? at) : d.verified_at,
        };
        await catalog.put('domain', d.id, next);
        return ok(reply, view(next));
      },
    );
    app.delete(
      '/custom-domains/:id',
      { schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        await catalog.remove('domain', d.id);
        return reply.code(204).send(null);
      },
    );
  };
}

/** TXT lookups through the resolvers of DNS_SERVERS, or the system's when none is set. */
export function resolverFor(servers: readonly string[]): (name: string) => Promise<string[][]> {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return (name) => resolver.resolveTxt(name);
}
