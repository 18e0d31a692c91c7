// Members and invitations: what the routes share with account creation and the console's
// invitation screen. Emails are compared lower-case; invitation tokens are kept only as hashes.
import { randomBytes, randomUUID } from 'node:crypto';
import type { InviteRecord, MemberRecord, MemberRole } from '@hookstream/contracts';
import { type ConfigView, sha256Hex } from '@hookstream/catalog';

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export function ownersOf(view: ConfigView, accountId: string): number {
  return view.membersOf(accountId).filter((m) => m.role === 'owner').length;
}

export function newInvite(
  accountId: string,
  email: string,
  role: MemberRole,
  invitedBy: string | null,
  nowMs: number,
  ttlMs: number,
): { token: string; record: InviteRecord } {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    record: {
      id: randomUUID(),
      account_id: accountId,
      email: normaliseEmail(email),
      role,
      token_hash: sha256Hex(token),
      invited_by: invitedBy,
      created_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + ttlMs).toISOString(),
    },
  };
}

/** The console screen that accepts it; the token rides in the fragment, which no server log or Referer carries. */
export const inviteUrl = (publicUrl: string, token: string): string => `${publicUrl}/console/invite#${token}`;

export function newMember(
  accountId: string,
  fields: { email: string; name: string; role: MemberRole; password_hash: string | null; sso_subject: string | null },
  nowMs: number,
): MemberRecord {
  const at = new Date(nowMs).toISOString();
  return {
    id: randomUUID(),
    account_id: accountId,
    ...fields,
    email: normaliseEmail(fields.email),
    created_at: at,
    updated_at: at,
  };
}

/** The account's member with this email, if any. */
export function memberByEmail(view: ConfigView, accountId: string, email: string): MemberRecord | undefined {
  return view.membersByEmail(normaliseEmail(email)).find((m) => m.account_id === accountId);
}

/** The account's live invitation for this email, if any. */
export function inviteByEmail(
  view: ConfigView,
  accountId: string,
  email: string,
  nowMs: number,
): InviteRecord | undefined {
  const e = normaliseEmail(email);
  for (const i of view.invites.values())
    if (i.account_id === accountId && i.email === e && Date.parse(i.expires_at) > nowMs) return i;
  return undefined;
}
