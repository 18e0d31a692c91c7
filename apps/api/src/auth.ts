// Who is calling /v1: a Bearer API key, resolved against the in-memory config view (no database on
// the request path), the console's session cookie, or a customer-portal cookie (portal/access.ts).
// A request with a key and a cookie uses the key.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, MemberRecord } from '@hookstream/contracts';
import type { ApiDeps } from './context.ts';
import { errors } from './errors.ts';
import { CONSOLE_HEADER, SESSION_COOKIE, sessionsOf } from './console/sessions.ts';
import {
  PORTAL_HEADER,
  authenticatePortal,
  declarePortalRoutes,
  portalAnswerHook,
  portalCookieOf,
  portalLimiter,
  portalScopeHook,
} from './portal/access.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A cross-site page can make a browser send the cookie, but not this header: its absence is a forgery. */
export function assertConsoleHeader(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (request.headers[CONSOLE_HEADER] !== '1') throw errors.csrfHeaderMissing();
}

/** The session cookie's value, when the request carries one. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  // request.cookies exists once @fastify/cookie is registered (the console plugin does it).
  return (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
}

export function authPlugin(deps: ApiDeps) {
  return fp((app: FastifyInstance) => {
    const portalLimit = portalLimiter(deps);
    declarePortalRoutes(app);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      const cookie = header === undefined ? sessionCookieOf(request) : undefined;
      const portal = header === undefined ? portalCookieOf(request) : undefined;
      // A browser signed in to both the console and a portal of the same origin: the portal app says which it means.
      if (portal !== undefined && (cookie === undefined || request.headers[PORTAL_HEADER] === '1')) {
        return authenticatePortal(deps, request, portal, portalLimit);
      }
      if (cookie !== undefined) return authenticateSession(deps, request, cookie);
      const m = typeof header === 'string' ? /^Bearer\s+(hk_[A-Za-z0-9_-]{10,200})\s*$/.exec(header) : null;
      if (!m) throw errors.unauthorized();
      const key = deps.catalog.view.apiKeyFor(m[1] as string);
      if (!key) throw errors.unauthorized();
      if (key.revoked_at) throw errors.unauthorized('API key revoked');
      if (!deps.catalog.view.accounts.has(key.account_id)) throw errors.unauthorized('account no longer exists');
      request.accountId = key.account_id;
      request.apiKeyId = key.id;
      request.authMethod = 'bearer';
      setKeyCaller(request, key);
    });
    app.addHook('preHandler', portalScopeHook(deps));
    app.addHook('preSerialization', portalAnswerHook(deps));
  });
}

/**
 * Whether the caller of a request already under way may still act: its key not revoked, its account
 * not deleted, its console session not ended. For long-lived answers (event streams), which the
 * per-request check sees only once; call it on each heartbeat and end the stream when it says no.
 * Checking is not a use: an open stream alone does not keep a session from going idle. A sessions
 * bucket out of reach counts as still valid: an outage must not cut every stream.
 */
export async function stillAuthenticated(deps: ApiDeps, request: FastifyRequest): Promise<boolean> {
  const view = deps.catalog.view;
  if (request.memberId !== null) {
    const m = view.members.get(request.memberId);
    if (!m || m.account_id !== request.accountId || !view.accounts.has(request.accountId)) return false;
  } else {
    const key = view.apiKeys.get(request.apiKeyId);
    if (!key || key.revoked_at || key.account_id !== request.accountId || !view.accounts.has(request.accountId))
      return false;
  }
  if (request.authMethod !== 'session') return true;
  try {
    return (await sessionsOf(deps)?.check(sessionCookieOf(request))) != null;
  } catch {
    return true;
  }
}

async function authenticateSession(deps: ApiDeps, request: FastifyRequest, cookie: string): Promise<void> {
  const session = await sessionsOf(deps)?.resolve(cookie);
  if (!session) throw errors.unauthenticated();
  assertConsoleHeader(request);
  request.accountId = session.record.account_id;
  request.apiKeyId = session.record.api_key_id;
  request.authMethod = 'session';
  const memberId = session.record.member_id;
  if (memberId !== undefined) {
    // resolve() has just checked the member is still the account's.
    const member = deps.catalog.view.members.get(memberId) as MemberRecord;
    setMemberCaller(request, member);
  } else {
    setKeyCaller(request, deps.catalog.view.apiKeys.get(session.record.api_key_id) as ApiKeyRecord);
  }
}

/** The caller is a key: its role (keys made before roles act as admin), no member. */
export function setKeyCaller(request: FastifyRequest, key: ApiKeyRecord): void {
  request.memberId = null;
  request.memberName = null;
  request.role = key.role ?? 'admin';
}

/** The caller is a member signed in to the console: the member's role as of now. */
export function setMemberCaller(request: FastifyRequest, member: MemberRecord): void {
  request.memberId = member.id;
  request.memberName = member.name;
  request.role = member.role;
}
