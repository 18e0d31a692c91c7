// Console sign-in by email and password. Failures are counted per (email, client address) in a
// KV bucket every api copy shares; past the threshold that pair is locked out for a while, whatever
// the password. An unknown email and a wrong password get the same answer after the same work.
import type { FastifyRequest } from 'fastify';
import type { ConfigView } from '@hookstream/catalog';
import { sha256Hex } from '@hookstream/catalog';
import type { ApiKeyRecord, MemberRecord } from '@hookstream/contracts';
import { permissionsOf } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { verifyPassword } from '../passwords.ts';
import { normaliseEmail } from '../people.ts';

export interface PasswordSignIn {
  email: string;
  password: string;
  account_id?: string | undefined;
}

export async function checkPassword(
  deps: ApiDeps,
  request: FastifyRequest,
  body: PasswordSignIn,
): Promise<MemberRecord> {
  const failures = deps.signInFailures;
  if (!failures) throw errors.unavailable('sign-in by password is not available on this server');
  const { settings, catalog } = deps;
  const email = normaliseEmail(body.email);
  const counter = sha256Hex(`${email}\n${request.ip}`);
  const minutes = Math.ceil(settings.signInLockoutMs / 60_000);
  if ((await failures.count(counter).catch(unavailable)) >= settings.signInLockoutFailures)
    throw errors.lockedOut(minutes);

  const candidates = catalog.view
    .membersByEmail(email)
    .filter(
      (m) =>
        catalog.view.accounts.has(m.account_id) && (body.account_id === undefined || m.account_id === body.account_id),
    );
  let found: MemberRecord | null = null;
  // Every candidate's hash is checked (one at least, a dummy when there is none): the time taken
  // says nothing about which of them matched, or whether the email is known.
  for (const m of candidates.length > 0 ? candidates : [null]) {
    const match = await verifyPassword(body.password, m?.password_hash ?? null);
    if (match && m && !found) found = m;
  }
  if (!found) {
    const n = await failures.fail(counter).catch(unavailable);
    if (n >= settings.signInLockoutFailures) throw errors.lockedOut(minutes);
    throw errors.invalidLogin();
  }
  await failures.clear(counter).catch(unavailable);
  return found;
}

function unavailable(err: unknown): never {
  throw errors.unavailable('sign-in is unavailable right now; retry', err);
}

/** Who a session speaks for, as the console shows it: role, member, and what the role may do. */
export function callerOf(view: ConfigView, r: { api_key_id: string; member_id?: string | undefined }) {
  if (r.member_id !== undefined) {
    const m = view.members.get(r.member_id);
    if (!m) return null;
    return { role: m.role, member: { id: m.id, email: m.email, name: m.name }, permissions: permissionsOf(m.role) };
  }
  const k: ApiKeyRecord | undefined = view.apiKeys.get(r.api_key_id);
  if (!k) return null;
  const role = k.role ?? 'admin';
  return { role, member: null, permissions: permissionsOf(role) };
}
