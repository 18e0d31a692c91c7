// Unverified custom-domain claims lapse after CUSTOM_DOMAIN_CLAIM_TTL_H. The verify step already
// refuses an expired claim; this pass removes them from the catalog, so that the name is free of
// them, and drops owner records whose claim is gone.
import type { Catalog } from '@hookstream/catalog';
import { claimExpired, domainOwnerId } from '@hookstream/domain';
import type { Logger } from '@hookstream/observability';

export interface DomainClaimsReport {
  /** Unverified claims removed. */
  expired: number;
  /** Owner records removed because their claim no longer exists. */
  owners_released: number;
}

export async function expireDomainClaims(
  deps: { catalog: Catalog; log: Logger },
  ttlMs: number,
  now: number,
): Promise<DomainClaimsReport> {
  const { catalog } = deps;
  const report: DomainClaimsReport = { expired: 0, owners_released: 0 };
  for (const seen of [...catalog.view.domains.values()]) {
    if (!claimExpired(seen, ttlMs, now)) continue;
    // The stored record, not the view's: a claim verified a moment ago stays.
    const current = await catalog.kv.get('domain', seen.id);
    if (!current || !claimExpired(current.record, ttlMs, now)) continue;
    const owner = catalog.view.domainOwners.get(domainOwnerId(seen.hostname));
    if (owner?.domain_id === seen.id) await catalog.remove('domainowner', owner.id);
    await catalog.remove('domain', seen.id);
    report.expired++;
  }
  for (const owner of [...catalog.view.domainOwners.values()]) {
    if (catalog.view.domains.has(owner.domain_id)) continue;
    await catalog.remove('domainowner', owner.id);
    report.owners_released++;
  }
  if (report.expired > 0 || report.owners_released > 0) deps.log.info({ ...report }, 'custom-domain claims expired');
  return report;
}
