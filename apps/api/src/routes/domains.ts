// Custom domains: an account claims a hostname and proves it with a DNS TXT record. Claims are per
// account and say nothing about other accounts' claims; the first to verify owns the name (its owner
// record, one per hostname, settles a race) and the other claims of it end as 'superseded'.
// Unverified claims lapse after CUSTOM_DOMAIN_CLAIM_TTL_H: they cannot verify, and the jobs role
// removes them.
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type DomainOwnerRecord, type DomainRecord, api } from '@hookstream/contracts';
import { claimExpired, claimExpiresAt, domainClaimId, domainOwnerId } from '@hookstream/domain';
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
  if (/^[0-9]+$/.test(tld) || ['localhost', 'local', 'internal', 'test', 'invalid', 'example'].includes(tld))
    return null;
  return ascii;
}

export function domainRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const resolveTxt = deps.resolveTxt ?? resolverFor(deps.settings.dnsServers);
    const ttlMs = deps.settings.customDomainClaimTtlH * 3_600_000;
    const nowMs = () => deps.now?.() ?? Date.now();
    const view = (d: DomainRecord) => {
      const expires = claimExpiresAt(d, ttlMs);
      return {
        id: d.id,
        hostname: d.hostname,
        status: d.status,
        verification: { type: 'TXT' as const, name: `${CHALLENGE_PREFIX}.${d.hostname}`, value: d.verification_token },
        last_checked_at: d.last_checked_at,
        last_error: d.last_error,
        verified_at: d.verified_at,
        expires_at: expires === null ? null : new Date(expires).toISOString(),
        created_at: d.created_at,
      };
    };
    const owned = (accountId: string, id: string) => {
      const d = catalog.view.domains.get(id);
      if (!d || d.account_id !== accountId) throw errors.notFound('custom domain');
      return d;
    };
    /** Removes a claim, and the hostname's owner record when this claim is the owner. */
    const removeClaim = async (d: DomainRecord) => {
      const owner = catalog.view.domainOwners.get(domainOwnerId(d.hostname));
      // The owner record goes first: a verified claim left without one still counts as the owner.
      if (owner?.domain_id === d.id) await catalog.remove('domainowner', owner.id);
      await catalog.remove('domain', d.id);
    };
    /** The claim of another account that owns the hostname, if any. */
    const ownerOtherThan = (d: DomainRecord): DomainRecord | null => {
      const owner = catalog.view.domainOwners.get(domainOwnerId(d.hostname));
      const claim = owner ? catalog.view.domains.get(owner.domain_id) : undefined;
      if (claim && claim.id !== d.id) return claim;
      // A verified claim from before owner records, or one whose owner record was lost.
      for (const o of catalog.view.domains.values())
        if (o.hostname === d.hostname && o.status === 'verified' && o.id !== d.id) return o;
      return null;
    };
    /** Makes the claim the hostname's owner; false when another claim became the owner first. */
    const takeOwnership = async (d: DomainRecord, at: string): Promise<boolean> => {
      const id = domainOwnerId(d.hostname);
      const rec: DomainOwnerRecord = {
        id,
        hostname: d.hostname,
        account_id: d.account_id,
        domain_id: d.id,
        created_at: at,
      };
      if (await catalog.create('domainowner', id, rec)) return true;
      const current = await catalog.kv.get('domainowner', id);
      if (!current) return catalog.create('domainowner', id, rec);
      if (current.record.domain_id === d.id) return true;
      // An owner record whose claim is gone (deleted, expired) no longer owns anything.
      if (catalog.view.domains.has(current.record.domain_id)) return false;
      const rev = await catalog.kv.update('domainowner', id, rec, current.revision);
      if (rev === null) return false;
      await catalog.view.waitForRevision(rev);
      return true;
    };
    const supersede = async (d: DomainRecord, at: string) => {
      const next: DomainRecord = {
        ...d,
        status: 'superseded',
        last_checked_at: at,
        last_error: 'verified by another account',
      };
      await catalog.put('domain', d.id, next);
      return next;
    };
    const taken = (hostname: string) =>
      errors.domainTaken(`${hostname} was verified by another account first; this claim can no longer be verified`);

    app.post(
      '/custom-domains',
      {
        config: { audit: 'custom_domain.create' },
        schema: { body: api.CreateDomainBody, response: { 201: api.envelope(api.Domain), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const hostname = normalizeHostname(request.body.hostname);
        if (!hostname) throw errors.badRequest('hostname: not a valid public DNS name (like hooks.example.com)');
        const accountId = request.accountId;
        // Claims are per account: whether another account claimed or owns the name is never told here.
        for (const d of [...catalog.view.domains.values()]) {
          if (d.account_id !== accountId || d.hostname !== hostname) continue;
          if (!claimExpired(d, ttlMs, nowMs()))
            throw errors.conflict(`${hostname} is already registered in this account`);
          await removeClaim(d);
        }
        const rec: DomainRecord = {
          id: domainClaimId(accountId, hostname),
          account_id: accountId,
          hostname,
          verification_token: `hookstream-verify=${randomBytes(18).toString('base64url')}`,
          status: 'pending',
          last_checked_at: null,
          last_error: null,
          verified_at: null,
          created_at: new Date(nowMs()).toISOString(),
        };
        if (!(await catalog.create('domain', rec.id, rec)))
          throw errors.conflict(`${hostname} is already registered in this account`);
        return ok(reply, view(rec), 201);
      },
    );
    app.get(
      '/custom-domains',
      { schema: { querystring: api.ListQuery, response: { 200: api.listEnvelope(api.Domain), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const { items, next } = catalog.view.page(
          catalog.view.domains,
          request.accountId,
          request.query.limit ?? 50,
          decodeCursor(request.query.cursor),
        );
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
      {
        config: { audit: 'custom_domain.verify' },
        schema: { params: api.IdParams, response: { 200: api.envelope(api.Domain), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        if (d.status === 'superseded') throw taken(d.hostname);
        if (claimExpired(d, ttlMs, nowMs())) {
          throw errors.claimExpired(
            `this claim of ${d.hostname} expired unverified after ${deps.settings.customDomainClaimTtlH} h; register the hostname again for a new token`,
          );
        }
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
        const at = new Date(nowMs()).toISOString();
        // Ownership is looked at only once the DNS check passed: a claim that cannot prove control
        // of the name learns nothing about who else holds it.
        if (found && d.status !== 'verified' && (ownerOtherThan(d) || !(await takeOwnership(d, at)))) {
          await supersede(d, at);
          throw taken(d.hostname);
        }
        const next: DomainRecord = {
          ...d,
          status: found ? 'verified' : d.status === 'verified' ? 'verified' : 'failed',
          last_checked_at: at,
          last_error: found ? null : error,
          verified_at: found ? (d.verified_at ?? at) : d.verified_at,
        };
        await catalog.put('domain', d.id, next);
        if (found && d.status !== 'verified') {
          // The first to verify owns the name: every other account's claim of it ends.
          for (const o of [...catalog.view.domains.values()]) {
            if (o.hostname === d.hostname && o.id !== d.id && o.status !== 'verified') await supersede(o, at);
          }
        }
        return ok(reply, view(next));
      },
    );
    app.delete(
      '/custom-domains/:id',
      {
        config: { audit: 'custom_domain.delete' },
        schema: { params: api.IdParams, response: { 204: Type.Null(), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        await removeClaim(owned(request.accountId, request.params.id));
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
