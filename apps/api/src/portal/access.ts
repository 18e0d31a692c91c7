// What a customer-portal session may do on /v1. Default deny: only the routes in PORTAL_ROUTES answer
// a portal cookie, and on those the customer's scope is forced before the handler runs — lists are
// filtered by the session's customer whatever the query says, a resource of another customer (or of
// none) is a 404, exactly as if it did not exist, and a read session cannot change anything.
// Keeping the whole allowlist in one table makes it reviewable in one place.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { eventStatus } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { assertConsoleHeader } from '../auth.ts';
import { type PortalSession, portalSessionsOf } from './sessions.ts';

export const PORTAL_COOKIE = 'hs_portal';
/** Sent by the portal app: when a browser also holds a console cookie, the portal one is meant. */
export const PORTAL_HEADER = 'x-hookstream-portal';

type Field = 'params.id' | 'query.destination_id' | 'body.destination_id';

export interface PortalRule {
  /** 'manage' routes refuse a read session with 403. */
  access: 'read' | 'manage';
  /** Fields naming a destination, which must be one of the customer's. */
  destination?: Field[];
  /** Fields the request must carry in the portal (a list narrowed to one of the customer's destinations). */
  require?: Field[];
  /** params.id names something that must be the customer's. */
  owns?: 'outbound-event' | 'route' | 'replay';
  /** Where the session's customer_id is written over whatever the request says. */
  force?: 'query' | 'body';
  /** Body fields a portal session may not set (operator settings). */
  deny?: string[];
  /** The answer is an event, or a list of them: deliveries and status are the customer's own. */
  deliveries?: 'one' | 'list';
}

const OPERATOR_ONLY = ['customer_id', 'retry_policy', 'rate_limit_per_s', 'max_in_flight', 'signature_scheme'];

/** Every /v1 route a portal cookie may reach, keyed by method and route. */
export const PORTAL_ROUTES: Record<string, PortalRule> = {
  'GET /v1/destinations': { access: 'read', force: 'query' },
  'POST /v1/destinations': { access: 'manage', force: 'body', deny: OPERATOR_ONLY },
  'GET /v1/destinations/:id': { access: 'read', destination: ['params.id'] },
  'PATCH /v1/destinations/:id': { access: 'manage', destination: ['params.id'], deny: OPERATOR_ONLY },
  'DELETE /v1/destinations/:id': { access: 'manage', destination: ['params.id'] },
  'GET /v1/destinations/:id/secret': { access: 'manage', destination: ['params.id'] },
  'POST /v1/destinations/:id/rotate-secret': { access: 'manage', destination: ['params.id'] },
  'POST /v1/destinations/:id/test': { access: 'manage', destination: ['params.id'] },
  'GET /v1/event-types': { access: 'read' },
  'GET /v1/event-types/:id': { access: 'read' },
  'GET /v1/routes': {
    access: 'read',
    force: 'query',
    require: ['query.destination_id'],
    destination: ['query.destination_id'],
  },
  'POST /v1/routes': {
    access: 'manage',
    force: 'body',
    destination: ['body.destination_id'],
    deny: ['source_id', 'customer_id'],
  },
  'DELETE /v1/routes/:id': { access: 'manage', owns: 'route' },
  'GET /v1/outbound-events': {
    access: 'read',
    force: 'query',
    destination: ['query.destination_id'],
    deliveries: 'list',
  },
  'GET /v1/outbound-events/:id': { access: 'read', owns: 'outbound-event', deliveries: 'one' },
  // A broadcast also went to other customers: a portal replay names the customer's destination.
  'POST /v1/outbound-events/:id/replay': {
    access: 'manage',
    owns: 'outbound-event',
    require: ['body.destination_id'],
    destination: ['body.destination_id'],
  },
  'POST /v1/replays': {
    access: 'manage',
    force: 'body',
    destination: ['body.destination_id'],
    deny: ['source_id', 'direction', 'customer_id'],
  },
  'GET /v1/replays/:id': { access: 'read', owns: 'replay' },
};

declare module 'fastify' {
  interface FastifyContextConfig {
    portal?: PortalRule;
  }
  interface FastifyRequest {
    /** Set when a customer-portal session authenticated the request. */
    portal: PortalSession | null;
  }
}

const portalForbidden = (message: string) => new ApiError(403, 'portal_forbidden', message);
const portalEnded = () =>
  new ApiError(401, 'unauthenticated', 'This portal session has ended: open a new portal link.');

/** The portal cookie's value, when the request carries one. */
export function portalCookieOf(request: FastifyRequest): string | undefined {
  return (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[PORTAL_COOKIE];
}

/**
 * A fixed window per session and api copy: enough to stop a script in a portal tab from starving
 * the account's own API use, without a shared store on the request path.
 */
function windowLimiter(perMinute: number, now: () => number) {
  const hits = new Map<string, { start: number; n: number }>();
  return (key: string): number | null => {
    const t = now();
    let w = hits.get(key);
    if (!w || t - w.start >= 60_000) {
      if (hits.size > 10_000) for (const [k, v] of hits) if (t - v.start >= 60_000) hits.delete(k);
      w = { start: t, n: 0 };
      hits.set(key, w);
    }
    w.n++;
    return w.n > perMinute ? Math.ceil((w.start + 60_000 - t) / 1000) : null;
  };
}

/** Attaches each allowlisted route's rule as its config; call in the scope that holds the /v1 routes. */
export function declarePortalRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      const rule = PORTAL_ROUTES[`${m} ${route.url}`];
      if (rule) route.config = { ...(route.config as object), portal: rule };
    }
  });
}

/** Authenticates a request by its portal cookie, or throws; the route must be on the allowlist. */
export async function authenticatePortal(
  deps: ApiDeps,
  request: FastifyRequest,
  cookie: string,
  limit: (key: string) => number | null,
): Promise<void> {
  const sessions = portalSessionsOf(deps);
  const session = sessions ? await sessions.check(cookie) : null;
  if (!session || !deps.catalog.view.accounts.has(session.account_id)) throw portalEnded();
  const rule = request.routeOptions.config.portal;
  if (!rule) throw portalForbidden('This request is not available in the customer portal.');
  assertConsoleHeader(request);
  if (rule.access === 'manage' && session.scope !== 'manage')
    throw portalForbidden('This portal session can view, not change: it has the read scope.');
  const wait = limit(session.id);
  if (wait !== null)
    throw new ApiError(429, 'rate_limited', `too many requests in this portal session; retry in ${wait} s`);
  request.accountId = session.account_id;
  request.apiKeyId = '';
  request.authMethod = 'portal';
  request.portal = session;
}

export function portalLimiter(deps: ApiDeps) {
  return windowLimiter(deps.settings.portalRatePerMinute, deps.now ?? Date.now);
}

type Bag = Record<string, unknown>;

/** The read models out of reach: a 503 to retry, as the route itself would answer, never a 404. */
const unavailable = (err: unknown): never => {
  throw errors.unavailable('the event log is unavailable right now (ingest and delivery are not affected); retry', err);
};

/** After validation, before the handler: the customer's scope written over the request. */
export function portalScopeHook(deps: ApiDeps) {
  const view = deps.catalog.view;
  const customerOf = (r: object | undefined): string | null =>
    (r as { customer_id?: string | null } | undefined)?.customer_id ?? null;
  const isCustomers = (s: PortalSession, destinationId: unknown): boolean => {
    const d = typeof destinationId === 'string' ? view.destinations.get(destinationId) : undefined;
    return !!d && d.account_id === s.account_id && customerOf(d) === s.customer_id;
  };
  return async (request: FastifyRequest) => {
    const s = request.portal;
    const rule = request.routeOptions.config.portal;
    if (!s || !rule) return;
    const parts: Record<string, Bag> = {
      params: (request.params ?? {}) as Bag,
      query: (request.query ?? {}) as Bag,
      body: (request.body ?? {}) as Bag,
    };
    for (const field of rule.deny ?? []) {
      if (parts.body?.[field] !== undefined) throw portalForbidden(`${field}: set by the account, not in the portal`);
    }
    for (const where of rule.require ?? []) {
      const [part, key] = where.split('.') as [string, string];
      if (parts[part]?.[key] === undefined) throw errors.badRequest(`${where}: required in the portal`);
    }
    for (const where of rule.destination ?? []) {
      const [part, key] = where.split('.') as [string, string];
      const value = parts[part]?.[key];
      if (value === undefined) continue;
      if (!isCustomers(s, value)) throw errors.notFound('destination');
    }
    const id = parts.params?.id as string | undefined;
    if (rule.owns === 'route' && id) {
      const r = view.routes.get(id);
      if (!r || r.account_id !== s.account_id || !isCustomers(s, r.destination_id)) throw errors.notFound('route');
    }
    if (rule.owns === 'outbound-event' && id) {
      // The customer's own events, and broadcasts that reached one of its destinations.
      const e = (await deps.events?.get(s.account_id, id).catch(unavailable)) as
        (object & { deliveries?: object[] }) | null | undefined;
      const mine =
        !!e &&
        (customerOf(e) === s.customer_id ||
          (customerOf(e) === null && (e.deliveries ?? []).some((d) => customerOf(d) === s.customer_id)));
      if (!mine) throw errors.notFound('event');
    }
    if (rule.owns === 'replay' && id) {
      const r = await deps.replays?.get(s.account_id, id).catch(unavailable);
      if (!r || (r.filter as Bag).customer_id !== s.customer_id) throw errors.notFound('replay');
    }
    if (rule.force === 'query') {
      (request as { query: unknown }).query = { ...parts.query, customer_id: s.customer_id };
    }
    if (rule.force === 'body') {
      (request as { body: unknown }).body = { ...parts.body, customer_id: s.customer_id };
    }
  };
}

type Delivery = { id: string; destination_id: string; status: string; created_at: string; customer_id?: string | null };

/** The customer's deliveries of an event, and the status they alone give it. */
function ownView(customerId: string, deliveries: readonly Delivery[]): { deliveries: Delivery[]; status: string } {
  // The delivery's customer is its destination's when it was routed.
  const own = deliveries.filter((d) => d.customer_id === customerId);
  return {
    deliveries: own,
    status: eventStatus(
      own.map((d) => ({ ...d, created_at: new Date(d.created_at) })),
      true,
    ),
  };
}

/**
 * Events as the customer sees them: another customer's deliveries never show, and a broadcast's
 * status (which counts every customer's deliveries) is recomputed from the customer's own.
 */
export function portalAnswerHook(deps: ApiDeps) {
  return async (request: FastifyRequest, _reply: unknown, payload: unknown) => {
    const s = request.portal;
    const mode = request.routeOptions.config.portal?.deliveries;
    if (!s || !mode) return payload;
    if (mode === 'one') {
      const data = (payload as { data?: { status?: string; deliveries?: Delivery[] } }).data;
      if (data?.deliveries) Object.assign(data, ownView(s.customer_id, data.deliveries));
      return payload;
    }
    const items = (payload as { data?: Array<{ id: string; status: string; customer_id?: string | null }> }).data ?? [];
    // Broadcasts are few beside a customer's own events: one read each keeps the list truthful.
    for (const item of items) {
      if (item.customer_id) continue;
      const e = (await deps.events?.get(s.account_id, item.id).catch(() => null)) as
        { deliveries?: Delivery[] } | null | undefined;
      if (e?.deliveries) item.status = ownView(s.customer_id, e.deliveries).status;
    }
    return payload;
  };
}
