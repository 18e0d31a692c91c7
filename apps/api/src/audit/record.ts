// Recording the audit log. A route opts in with one line, `config: { audit: 'destination.update' }`;
// this plugin's onSend hook then writes an entry for its answer before the answer leaves: on a 2xx
// it waits for JetStream to store the entry, and answers 503 if it cannot (the change is made, but
// a 2xx must never stand for a change the log does not hold). A 403 (a role that may not) is
// recorded as denied, without holding the answer back on it.
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
    /** The audit action this route's changes are recorded as (`<resource>.<verb>`). */
    audit?: string;
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

export function buildEntry(request: FastifyRequest, status: number, payload: unknown, action: string, at: number): AuditEntry | null {
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
    fields: Object.keys(body).slice(0, 64).map((k) => k.slice(0, 128)),
    ip: request.ip ? request.ip.slice(0, 64) : null,
    user_agent: typeof agent === 'string' ? agent.slice(0, 256) : null,
    method: request.method,
    route: (request.routeOptions.url ?? '').slice(0, 200),
    status,
    outcome: ok ? 'succeeded' : 'denied',
    request_id: request.id ? String(request.id).slice(0, 100) : null,
  };
}

function failed(reply: FastifyReply): string {
  reply.code(503);
  reply.header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify({
    error: 'the change was made, but its audit record could not be stored; check the change before retrying it',
    code: 'audit_unavailable',
    duration_ms: durationMs(reply),
  });
}

export function auditPlugin(deps: ApiDeps) {
  return fp(async (app: FastifyInstance) => {
    app.decorate('auditKeyNames', deps.catalog.view.apiKeys);
    app.addHook('onSend', async (request, reply, payload) => {
      const action = request.routeOptions.config?.audit;
      const recorder = deps.audit;
      if (!action || !recorder) return payload;
      const status = reply.statusCode;
      const ok = status >= 200 && status < 300;
      if (!ok && status !== 403) return payload;
      const entry = buildEntry(request, status, payload, action, deps.now?.() ?? Date.now());
      if (!entry) return payload;
      try {
        await recorder.record(entry);
      } catch (err) {
        request.log.error({ err, action, audit_id: entry.id }, 'audit record not stored');
        if (ok) return failed(reply);
      }
      return payload;
    });
  });
}
