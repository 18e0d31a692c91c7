// Role checks on /v1: every route is one action of the permission table (libs/domain roles.ts),
// checked before its handler. A route names its action in `config.action`; the table below names
// the rest; any other GET is a read and any other change is a configuration change (developer+),
// so a route added without thought is closed to viewers.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { type Action, PERMISSIONS, may } from '@hookstream/domain';
import { errors } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The action of the permission table this route performs. */
    action?: Action;
  }
}

/** Routes whose action is not what their method suggests, by "METHOD /v1/path". */
const ROUTE_ACTIONS: Readonly<Record<string, Action>> = {
  'GET /v1/api-keys': 'apikeys.manage',
  'POST /v1/api-keys': 'apikeys.manage',
  'DELETE /v1/api-keys/:id': 'apikeys.manage',
  'PATCH /v1/account': 'account.manage',
  'POST /v1/brand-settings': 'account.manage',
  'POST /v1/custom-domains': 'account.manage',
  'POST /v1/custom-domains/:id/verify': 'account.manage',
  'DELETE /v1/custom-domains/:id': 'account.manage',
  'POST /v1/events/:id/replay': 'events.replay',
  'POST /v1/outbound-events/:id/replay': 'events.replay',
  'POST /v1/replays': 'events.replay',
  'DELETE /v1/replays/:id': 'events.replay',
  'POST /v1/outbound-events': 'events.send',
  'POST /v1/destinations/:id/test': 'events.send',
  'POST /v1/exports': 'exports.create',
  'GET /v1/destinations/:id/secret': 'secrets.reveal',
  'GET /v1/audit-log': 'audit.read',
  // Evaluates a filter against a sample payload: nothing is stored.
  'POST /v1/payload-filters/test': 'read',
};

export function actionOf(method: string, url: string, declared?: Action): Action {
  if (declared) return declared;
  const named = ROUTE_ACTIONS[`${method} ${url}`];
  if (named) return named;
  return method === 'GET' || method === 'HEAD' ? 'read' : 'config.write';
}

/** Refuses the request when the caller's role may not take the action. */
export function requireAction(request: FastifyRequest, action: Action): void {
  const role = request.role;
  if (role === null) {
    // The portal's cookie carries no role: its own gate lets it reach only the routes that declare it.
    if (request.authMethod === 'portal') return;
    throw errors.forbiddenRole('this caller has no role');
  }
  if (!may(role, action)) {
    throw errors.forbiddenRole(`a ${role} may not do this (${action} needs ${PERMISSIONS[action]} or above)`);
  }
}

/**
 * Adds the role check to every route registered after it in the scope. A portal caller has no role:
 * its auth path limits it by other means (routes that declare themselves portal-reachable only).
 */
export function permissionsPlugin() {
  return fp((app: FastifyInstance) => {
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const actions = methods.map((m) => actionOf(m, route.url, route.config?.action));
      // A preHandler that returns a promise: Fastify waits on it rather than on a done callback.
      const check = (request: FastifyRequest) =>
        Promise.resolve().then(() =>
          requireAction(request, actions[methods.indexOf(request.method)] ?? actions[0] ?? 'config.write'),
        );
      const existing = route.preHandler;
      route.preHandler =
        existing === undefined ? [check] : [check, ...(Array.isArray(existing) ? existing : [existing])];
    });
  });
}
