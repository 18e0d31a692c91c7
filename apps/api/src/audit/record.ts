// Recording the audit log. Every /v1 route that changes something (POST, PUT, PATCH, DELETE) is
// recorded, under the action its `config.audit` names (`destination.update`), or else one derived
// from its path (`PATCH /v1/members/:id` → `member.update`), so that a route added later is not
// left out; `config: { audit: false }` opts out a route that changes nothing worth a record. A
// GET is recorded only when it names an action (an export's download).
//
// The onSend hook writes an entry for the answer before the answer leaves: on a 2xx it waits for
// JetStream to store the entry, and answers 503 if it cannot (the change is made, but a 2xx must
// never stand for a change the log does not hold). A 403 (a role that may not) is recorded as
// denied, without holding the answer back on it.
//
// An entry holds ids and field names, never values: the ids come from the route's params, the
// `*_id` fields of the body and the answer's ids; the fields are the names the body set.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditActor, AuditEntry } from '@hookstream/contracts';
import { timeOrderedId } from '@hookstream/domain';
import { actorOf } from '../actor.ts';
import type { ApiDeps } from '../context.ts';
import { durationMs } from '../http.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The audit action this route's changes are recorded as (`<resource>.<verb>`); false: not recorded. */
    audit?: string | false;
  }
  interface FastifyRequest {
    /** What a route adds to its audit entry (auditNote). */
    auditNote?: AuditNote;
  }
}

export interface AuditNote {
  /** More ids involved, by role. */
  ids?: Record<string, string | string[]>;
  /** For a route without an authenticated caller (account sign-up): the account and the actor. */
  accountId?: string;
  actor?: AuditActor;
}

/** Adds to the audit entry of this request (ids the answer does not show, the actor of a sign-up). */
export function auditNote(request: FastifyRequest, note: AuditNote): void {
  const prev = request.auditNote ?? {};
  request.auditNote = { ...prev, ...note, ids: { ...prev.ids, ...note.ids } };
}

const MAX_ID = 200;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `deliveries` → `delivery_ids`, `routes` → `route_ids`. */
function idsKey(plural: string): string {
  const one = plural.endsWith('ies') ? `${plural.slice(0, -3)}y` : plural.endsWith('s') ? plural.slice(0, -1) : plural;
  return `${one}_ids`;
}

/** The ids of one object: its `id` (as `<resource>_id`), its `*_id` strings, the ids of its arrays of objects. */
function idsOf(obj: Record<string, unknown>, resource: string, out: Record<string, string | string[]>): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'id' && isId(v)) out[`${resource}_id`] ??= v;
    else if (k.endsWith('_id') && isId(v)) out[k] ??= v;
    else if (k.endsWith('_ids') && Array.isArray(v)) {
      const ids = v.filter(isId).slice(0, 100);
      if (ids.length > 0) out[k] ??= ids;
    } else if (Array.isArray(v) && v.length > 0 && v.every((x) => isRecord(x) && isId(x.id))) {
      out[idsKey(k)] ??= (v as Array<{ id: string }>).slice(0, 100).map((x) => x.id);
    }
  }
}

function answerData(payload: unknown): Record<string, unknown> | null {
  if (typeof payload !== 'string' || payload === '') return null;
  try {
    const body = JSON.parse(payload) as unknown;
    return isRecord(body) && isRecord(body.data) ? body.data : null;
  } catch {
    return null;
  }
}

export function buildEntry(
  request: FastifyRequest,
  status: number,
  payload: unknown,
  action: string,
  at: number,
): AuditEntry | null {
  const note = request.auditNote;
  const accountId = note?.accountId ?? request.accountId;
  if (!accountId) return null;
  const resource = action.split('.')[0] as string;
  const ids: Record<string, string | string[]> = {};
  const params = isRecord(request.params) ? request.params : {};
  for (const [k, v] of Object.entries(params)) if (isId(v)) ids[k === 'id' ? `${resource}_id` : k] = v;
  const body = isRecord(request.body) ? request.body : {};
  const ok = status >= 200 && status < 300;
  if (ok) {
    const data = answerData(payload);
    if (data) idsOf(data, resource, ids);
  }
  for (const [k, v] of Object.entries(body)) {
    if (k.endsWith('_id') && isId(v)) ids[k] ??= v;
  }
  for (const [k, v] of Object.entries(note?.ids ?? {})) ids[k] = v;
  const resourceId = ids[`${resource}_id`];
  const agent = request.headers['user-agent'];
  return {
    v: 1,
    kind: 'audit',
    id: timeOrderedId(at),
    account_id: accountId,
    at: new Date(at).toISOString(),
    actor: note?.actor ?? actorOf(request),
    action,
    resource_type: resource,
    resource_id: typeof resourceId === 'string' ? resourceId : null,
    ids,
    fields: Object.keys(body)
      .slice(0, 64)
      .map((k) => k.slice(0, 128)),
    ip: request.ip ? request.ip.slice(0, 64) : null,
    user_agent: typeof agent === 'string' ? agent.slice(0, 256) : null,
    method: request.method,
    route: (request.routeOptions.url ?? '').slice(0, 200),
    status,
    outcome: ok ? 'succeeded' : 'denied',
    request_id: request.id ? String(request.id).slice(0, 100) : null,
  };
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Reads that are recorded: whoever reads a secret is worth knowing. */
const RECORDED_READS: Readonly<Record<string, string>> = {
  'GET /v1/destinations/:id/secret': 'destination.reveal_secret',
};
const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };
const singular = (s: string) => (s.endsWith('ies') ? `${s.slice(0, -3)}y` : s.endsWith('s') ? s.slice(0, -1) : s);
const snake = (s: string) => s.replaceAll('-', '_');

/**
 * The action a request of this route is recorded as, or null: the route's own name for it, else
 * `<resource>.<verb>` from the path for a change (`POST /v1/destinations/:id/rotate-secret` →
 * `destination.rotate_secret`, `DELETE /v1/invites/:id` → `invite.delete`).
 */
export function auditActionOf(method: string, url: string, declared: string | false | undefined): string | null {
  if (declared === false) return null;
  if (declared) return declared;
  if (!CHANGES.has(method)) return RECORDED_READS[`${method} ${url}`] ?? null;
  const segments = url
    .replace(/^\/v1\//, '')
    .split('/')
    .filter((x) => x !== '');
  const [head, ...rest] = segments;
  if (!head) return null;
  const last = rest[rest.length - 1];
  const verb = last && !last.startsWith(':') ? snake(last) : VERBS[method];
  return `${snake(singular(head))}.${verb}`;
}

function failed(reply: FastifyReply, payload: unknown): string {
  // A download's stream is not sent: release what it holds open.
  if (
    payload !== null &&
    typeof payload === 'object' &&
    typeof (payload as { destroy?: unknown }).destroy === 'function'
  )
    (payload as { destroy(): void }).destroy();
  reply.code(503);
  for (const h of ['content-encoding', 'content-disposition', 'content-length']) reply.removeHeader(h);
  reply.header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify({
    error: 'the change was made, but its audit record could not be stored; check the change before retrying it',
    code: 'audit_unavailable',
    duration_ms: durationMs(reply),
  });
}

export function auditPlugin(deps: ApiDeps) {
  return fp((app: FastifyInstance) => {
    app.decorate('auditKeyNames', deps.catalog.view.apiKeys);
    app.addHook('onSend', async (request, reply, payload) => {
      const recorder = deps.audit;
      if (!recorder) return payload;
      const action = auditActionOf(request.method, request.routeOptions.url ?? '', request.routeOptions.config?.audit);
      if (!action) return payload;
      const status = reply.statusCode;
      const ok = status >= 200 && status < 300;
      if (!ok && status !== 403) return payload;
      const entry = buildEntry(request, status, payload, action, deps.now?.() ?? Date.now());
      if (!entry) return payload;
      try {
        await recorder.record(entry);
      } catch (err) {
        request.log.error({ err, action, audit_id: entry.id }, 'audit record not stored');
        if (ok) return failed(reply, payload);
      }
      return payload;
    });
  });
}
