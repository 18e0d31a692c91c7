// Secrets minted by the API: API keys (hashed at rest) and source path tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRecord, MemberRole } from '@hookstream/contracts';
import { sha256Hex } from '@hookstream/catalog';

export function newApiKey(
  accountId: string,
  name: string,
  now: string,
  role: MemberRole = 'admin',
): { key: string; record: ApiKeyRecord } {
  const key = `hk_${randomBytes(32).toString('base64url')}`;
  return {
    key,
    record: {
      id: randomUUID(),
      account_id: accountId,
      name,
      prefix: key.slice(0, 10),
      hash: sha256Hex(key),
      created_at: now,
      revoked_at: null,
      role,
    },
  };
}

/** 192 random bits: unguessable, and short enough for a URL. */
export function newPathToken(): string {
  return `src_${randomBytes(24).toString('base64url')}`;
}
