// OpenAPI 3.1 from the same TypeBox schemas that validate the routes: @fastify/swagger collects every
// route registered after it; /openapi.json serves the document and /docs renders it with Swagger UI.
import type { FastifyInstance, FastifySchema } from 'fastify';
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { PORTAL_ROUTES } from './portal/access.ts';

export const OPENAPI_VERSION = '3.1.0';

/** One tag per resource, in the order the docs page shows them. */
export const TAGS: Array<{ name: string; description: string }> = [
  { name: 'accounts', description: 'Sign-up and the account of the calling key' },
  { name: 'api-keys', description: 'Bearer keys: shown once at creation, revocable' },
  { name: 'sources', description: 'Inbound endpoints: each has a path token and optional provider verification' },
  { name: 'destinations', description: 'Where events are delivered, with retry policy, rate limit and signing secret' },
  { name: 'routes', description: 'Which events go to which destination' },
  { name: 'event-types', description: 'Catalogue of outbound event types, with optional payload JSON Schema' },
  { name: 'outbound-events', description: 'Publish events to subscribed destinations; their log and replay' },
  { name: 'events', description: 'The event log (inbound and outbound), deliveries, attempts and replay' },
  {
    name: 'dead-letters',
    description: 'Deliveries that will not be attempted again, with their reason and last response',
  },
  { name: 'stats', description: 'Counts by status over time and per-destination health, from per-minute rollups' },
  { name: 'payload-filters', description: 'Try a route payload filter on a payload' },
  { name: 'replays', description: 'Bulk replays by filter, with progress' },
  { name: 'exports', description: 'Asynchronous NDJSON/CSV exports of events and attempts' },
  {
    name: 'audit-log',
    description: 'Who changed what, when and from where: every change made through the API or the console',
  },
  { name: 'ingest', description: 'Receive webhooks from providers' },
  { name: 'health', description: 'Liveness and readiness' },
  { name: 'console', description: 'Sign-in to the web console: an API key exchanged for a session cookie' },
  {
    name: 'portal',
    description: "The customer portal's session: a portal link's token exchanged for a session cookie",
  },
];
const TAG_NAMES = new Set(TAGS.map((t) => t.name));

/** The resource a path belongs to: its first segment after /v1 (accounts and account share one tag). */
export function tagOf(url: string): string {
  if (url.startsWith('/ingest')) return 'ingest';
  if (url === '/healthz' || url === '/readyz' || url === '/metrics') return 'health';
  const seg = url.replace(/^\/v1\//, '').split('/')[0] ?? '';
  const tag = seg === 'account' ? 'accounts' : seg;
  return TAG_NAMES.has(tag) ? tag : 'other';
}

const pascal = (s: string) =>
  s
    .split(/[-_]/)
    .map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1))
    .join('');
const singular = (s: string) => (s.endsWith('s') ? s.slice(0, -1) : s);

/** Where the verb a user would say differs from the HTTP method's. */
const NAMED_OPERATIONS: Record<string, string> = {
  'POST /v1/outbound-events': 'publishOutboundEvent',
  'DELETE /v1/api-keys/:id': 'revokeApiKey',
  'DELETE /v1/replays/:id': 'cancelReplay',
  'GET /v1/events/live': 'streamLiveEvents',
  'GET /v1/stats': 'getStats',
  'GET /v1/destinations/:id/stats': 'getDestinationStats',
  'POST /v1/destinations/:id/test': 'sendDestinationTestEvent',
  'GET /v1/destinations/:id/secret': 'revealDestinationSecret',
};

const SUMMARIES: Record<string, string> = { healthz: 'Liveness', readyz: 'Readiness', ingest: 'Receive a webhook' };

/**
 * A stable operationId from method and path, e.g. `GET /v1/sources` → listSources,
 * `POST /v1/destinations/:id/rotate-secret` → rotateDestinationSecret. SDK generators key on these.
 */
export function operationIdOf(method: string, url: string): string {
  const m = method.toUpperCase();
  const named = NAMED_OPERATIONS[`${m} ${url}`];
  if (named) return named;
  if (url === '/healthz' || url === '/readyz' || url === '/metrics') return url.slice(1);
  if (url.startsWith('/ingest')) return 'ingest';
  const segs = url.replace(/^\/v1\//, '').split('/');
  const resource = segs[0] ?? '';
  const hasId = segs[1]?.startsWith(':') ?? false;
  const action = hasId ? segs[2] : segs[1];
  if (action) {
    const [verb = action, ...rest] = action.split('-');
    return `${verb}${pascal(singular(resource))}${pascal(rest.join('-'))}`;
  }
  if (resource === 'account') return `${m === 'GET' ? 'get' : 'update'}Account`;
  if (!hasId) return m === 'GET' ? `list${pascal(resource)}` : `create${pascal(singular(resource))}`;
  const verb =
    ({ GET: 'get', PATCH: 'update', PUT: 'replace', DELETE: 'delete', POST: 'post' } as Record<string, string>)[m] ??
    m.toLowerCase();
  return `${verb}${pascal(singular(resource))}`;
}

/** Bearer auth on /v1 except the open sign-up. */
export function needsBearer(method: string, url: string): boolean {
  return url.startsWith('/v1/') && !(method.toUpperCase() === 'POST' && url === '/v1/accounts');
}

const transform: NonNullable<FastifyDynamicSwaggerOptions['transform']> = ({ schema, url, route }) => {
  const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
  const s = { ...(schema ?? {}) } as FastifySchema & Record<string, unknown>;
  if (s.hide) return { schema: s, url };
  s.operationId ??= operationIdOf(method, url);
  // listSources → "List sources", for the docs page.
  s.summary ??=
    SUMMARIES[String(s.operationId)] ??
    String(s.operationId)
      .replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)
      .replace(/^./, (c) => c.toUpperCase())
      .replace(/\bapi\b/, 'API');
  s.tags ??= [tagOf(url)];
  const portal = PORTAL_ROUTES[`${method.toUpperCase()} ${url}`];
  if (needsBearer(method, url))
    s.security ??= [{ bearerAuth: [] }, { consoleSession: [] }, ...(portal ? [{ portalSession: [] }] : [])];
  if (portal) {
    const note = `Reachable with a customer-portal session (${portal.access} scope), scoped to its customer.`;
    s.description = s.description ? `${String(s.description)}\n\n${note}` : note;
  }
  return { schema: s, url };
};

const RESPONSE_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: stored, delivery follows asynchronously',
  '204': 'No content',
  '4XX': 'Client error, in the error envelope: `{error, code?, duration_ms}`',
  '503': 'Not ready',
};

type Doc = Record<string, unknown> & { paths?: Record<string, Record<string, Record<string, unknown>>> };

/** Fills in what route schemas cannot say, and sorts paths so the committed file diffs cleanly. */
export function finishDocument(doc: Doc): Doc {
  const paths = doc.paths ?? {};
  const ingest = paths['/ingest/{token}']?.post;
  if (ingest) {
    // Ingest takes any body as raw bytes (no body schema on the route), up to 5 MB.
    ingest.description ??=
      "Any body up to 5 MB, stored byte for byte before the 202. Idempotency: X-Webhook-Id, X-Event-Id, Idempotency-Key or X-Request-Id; without one, for a verified provider, its delivery id (X-GitHub-Delivery, X-Shopify-Webhook-Id, webhook-id, a Stripe event's id). Routing: X-Event-Type.";
    ingest.requestBody ??= { required: false, content: { '*/*': { schema: {} } } };
  }
  const download = (
    paths['/v1/exports/{id}/download']?.get?.responses as Record<string, { content?: unknown }> | undefined
  )?.['200'];
  if (download) {
    // A file, not JSON: the route's schema can only say "a string".
    const file = { schema: { type: 'string' } };
    download.content = { 'application/x-ndjson': file, 'text/csv': file };
  }
  const live = (paths['/v1/events/live']?.get?.responses as Record<string, { content?: unknown }> | undefined)?.['200'];
  if (live) live.content = { 'text/event-stream': { schema: { type: 'string' } } };
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      for (const [status, res] of Object.entries((op.responses ?? {}) as Record<string, { description?: string }>)) {
        if (res.description === 'Default Response') res.description = RESPONSE_DESCRIPTIONS[status] ?? res.description;
      }
    }
  }
  const sorted: Doc['paths'] = {};
  for (const key of Object.keys(paths).sort()) sorted[key] = paths[key] as Record<string, Record<string, unknown>>;
  return { ...doc, paths: sorted };
}

export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Hookstream',
      version: '1.0.0',
      description:
        'Webhook reliability gateway (GetHook v1 API). Every JSON answer is `{data, duration_ms}` or `{error, code?, duration_ms}`; lists answer `{data, next_cursor, duration_ms}` and take `?limit` (≤ 500) and `?cursor`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: TAGS,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'hk_… API key',
          description: 'An API key: `Authorization: Bearer hk_…`',
        },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'hs_console',
          description:
            "The web console's session cookie, from `POST /console/session`. Requests other than GET, HEAD and OPTIONS must also send `x-hookstream-console: 1`, else 403 `csrf_header_missing`. With both, the Bearer key is used.",
        },
        portalSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'hs_portal',
          description:
            "A customer-portal session's cookie, from `POST /portal/session`. It reaches only the operations that list it, with the session's customer forced on every request (another customer's ids are 404); mutations need `x-hookstream-console: 1`. See docs/portal.md.",
        },
      },
    },
  },
  transform,
  transformObject: (d) => finishDocument(('openapiObject' in d ? d.openapiObject : d.swaggerObject) as Doc),
};

/**
 * Registers the collector. Call it BEFORE any route: @fastify/swagger sees only routes added after it.
 * /openapi.json and /docs are hidden from the document itself.
 */
// Any logger and type provider: only registration and one plain route are used here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any instance will do
export async function registerOpenApi(app: FastifyInstance<any, any, any, any, any>): Promise<void> {
  await app.register(swagger, swaggerOptions);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: 'Hookstream API' },
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: true },
    staticCSP: true,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(app.swagger()),
  );
}
