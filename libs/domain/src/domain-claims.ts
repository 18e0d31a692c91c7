// Custom-domain claims. Every account holds its own claim of a hostname, so a pending claim blocks
// nobody and answers nobody's question about who else wants the name. The first claim to pass the
// DNS check owns the name: it creates the hostname's one owner record, which only one can create.
// Claims that never verify lapse after a period.
import { stableUuid } from './ids.ts';

export type DomainClaimStatus = 'pending' | 'verified' | 'failed' | 'superseded';

/** One account's claim of a hostname; registering it again derives the same id. */
export function domainClaimId(accountId: string, hostname: string): string {
  return stableUuid('custom-domain-claim', [accountId, hostname]);
}

/** The key of the hostname's owner record: one per hostname, whoever claims it. */
export function domainOwnerId(hostname: string): string {
  return stableUuid('custom-domain-owner', [hostname]);
}

/** When an unverified claim lapses (ms since the epoch); null for a verified claim, which does not. */
export function claimExpiresAt(claim: { status: DomainClaimStatus; created_at: string }, ttlMs: number): number | null {
  if (claim.status === 'verified') return null;
  return Date.parse(claim.created_at) + ttlMs;
}

export function claimExpired(
  claim: { status: DomainClaimStatus; created_at: string },
  ttlMs: number,
  now: number,
): boolean {
  const at = claimExpiresAt(claim, ttlMs);
  return at !== null && now >= at;
}
