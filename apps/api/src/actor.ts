// Who made a request, as the audit log names them: a portal session, a member signed in to the
// console, or else the API key (the console signed in with a key acts as that key).
import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '@hookstream/contracts';

/** What the auth layers may set on a request beside accountId/apiKeyId (read loosely: not every layer is present). */
interface Callers {
  memberId?: string | null;
  memberName?: string | null;
  portalSession?: PortalCaller | null;
  portal?: PortalCaller | null;
}

interface PortalCaller {
  id?: string;
  customer_id?: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API keys of the config view, for the names of the keys that act (set by the audit plugin). */
    auditKeyNames?: { get(id: string): { name: string } | undefined };
  }
}

export function actorOf(request: FastifyRequest): AuditActor {
  const r = request as FastifyRequest & Callers;
  const portal = r.portalSession ?? r.portal;
  if (portal?.id) return { type: 'portal', id: portal.id, name: portal.customer_id ?? null };
  if (typeof r.memberId === 'string' && r.memberId !== '')
    return { type: 'member', id: r.memberId, name: r.memberName ?? null };
  const id = request.apiKeyId;
  return { type: 'api_key', id, name: request.server.auditKeyNames?.get(id)?.name ?? null };
}
