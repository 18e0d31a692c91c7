// The API composition root: Fastify with TypeBox schemas on every route, one error handler, the
// envelope on every JSON answer. Tests call buildApi() and use inject().
import Fastify, { type FastifyError, LogController, errorCodes } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SecretsKeyError } from '@hookstream/catalog';
import { routeGroupOf } from '@hookstream/observability';
import { ApiError, dataException } from './errors.ts';
import { durationMs } from './http.ts';
import { allowedValues, validatorCompiler } from './validation.ts';
import type { ApiDeps } from './context.ts';
import { authPlugin } from './auth.ts';
import { permissionsPlugin } from './permissions.ts';
import { peopleRoutes } from './routes/people.ts';
import { healthRoutes } from './routes/health.ts';
import { accountRoutes } from './routes/accounts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { sourceRoutes } from './routes/sources.ts';
import { destinationRoutes } from './routes/destinations.ts';
import { routeRoutes } from './routes/routes.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { eventTypeRoutes } from './routes/event-types.ts';
import { outboundRoutes } from './routes/outbound.ts';
import { eventRoutes } from './routes/events.ts';
import { brandRoutes } from './routes/brand.ts';
import { domainRoutes } from './routes/domains.ts';
import { portalSessionRoutes } from './routes/portal-sessions.ts';
import { replayRoutes } from './routes/replays.ts';
import { exportRoutes } from './routes/exports.ts';
import { insightRoutes } from './routes/insights.ts';
import { liveRoutes } from './routes/live.ts';
import { registerOpenApi } from './openapi.ts';
import { bodyIsOptional, parseJsonBody } from './json.ts';
import { consolePlugin } from './console/plugin.ts';
import { portalPlugin } from './portal/plugin.ts';
import { auditPlugin } from './audit/record.ts';
import { auditLogRoutes } from './audit/routes.ts';

export type { ApiDeps } from './context.ts';
export type * from './ports.ts';
export { actorOf } from './actor.ts';
export { auditNote } from './audit/record.ts';
export { statsWindow } from './routes/insights.ts';
export { ApiError, errors } from './errors.ts';
export { ok, page, encodeCursor, decodeCursor } from './http.ts';

export const JSON_BODY_LIMIT = 1024 * 1024;

export type ApiApp = Awaited<ReturnType<typeof buildApi>>;

export async function buildApi(deps: ApiDeps) {
  const app = Fastify({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: deps.settings.trustProxy,
    return503OnClosing: true,
    // Refusals made by the router itself (undecodable URL, path parameter too long) in the envelope too.
    frameworkErrors: (err, _req, reply) =>
      void reply
        .status((err.statusCode ?? 400) as never)
        .send({ error: err.message, code: err.code, duration_ms: durationMs(reply) } as never),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.decorateRequest('accountId', '');
  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('memberId', null);
  app.decorateRequest('memberName', null);
  app.decorateRequest('role', null);

  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    const send = (status: number, message: string, code?: string) =>
      reply.code(status).send({ error: message, ...(code ? { code } : {}), duration_ms: durationMs(reply) });
    const data = dataException(err);
    if (data) {
      const hint =
        data.sqlstate === '22021' || data.sqlstate === '22P05'
          ? ': text may not contain NUL characters or unpaired UTF-16 surrogates'
          : '';
      return send(400, `a value in the request cannot be stored or searched: ${data.message}${hint}`, 'invalid_data');
    }
    if (err instanceof ApiError) {
      if (err.status >= 500) request.log.error({ err: err.cause ?? err, code: err.code }, err.message);
      return send(err.status, err.message, err.code);
    }
    // This instance lacks a secrets key another process wrote with: an operator's fix, not the client's.
    if (err instanceof SecretsKeyError) {
      request.log.error({ kid: err.kid }, err.message);
      return send(
        503,
        `this instance lacks the secrets key (id ${err.kid}) of the record's current version, so it cannot change it; an operator must load that key`,
        'secrets_key_missing',
      );
    }
    const fe = err;
    if (fe.validation) {
      const where = fe.validationContext ?? 'request';
      const first = fe.validation[0];
      const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') : '';
      let detail = first?.message ?? 'invalid';
      if (first?.keyword === 'additionalProperties')
        detail = `unknown field '${(first.params as { additionalProperty: string }).additionalProperty}'`;
      if (first?.keyword === 'format' && first.params.format === 'text')
        detail = 'must not contain NUL characters or unpaired UTF-16 surrogates';
      const allowed = allowedValues(fe.validation, first?.instancePath);
      if (allowed) detail = `must be one of ${allowed}`;
      return send(400, `${where}${path ? `.${path}` : ''}: ${detail}`, 'validation_failed');
    }
    if (fe instanceof errorCodes.FST_ERR_CTP_BODY_TOO_LARGE) {
      const limit = request.routeOptions.bodyLimit ?? JSON_BODY_LIMIT;
      return send(
        413,
        `request body too large: the limit is ${limit / (1024 * 1024)} MB (${limit} bytes)`,
        'payload_too_large',
      );
    }
    if (fe instanceof errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE)
      return send(415, 'unsupported content type: send application/json', 'unsupported_media_type');
    if (fe instanceof errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY)
      return send(400, 'request body is empty: send a JSON object', 'bad_request');
    if (fe.statusCode === 400 || fe instanceof SyntaxError)
      return send(400, `malformed request: ${fe.message}`, 'bad_request');
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return send(fe.statusCode, fe.message, fe.code);
    request.log.error({ err }, 'unhandled error');
    return send(500, 'internal error', 'internal');
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route for ${request.method} ${request.url.split('?')[0]}`,
      code: 'not_found',
      duration_ms: durationMs(reply),
    }),
  );

  if (deps.metrics) {
    const metrics = deps.metrics;
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequest(
        request.method,
        routeGroupOf(request.method, request.routeOptions.url ?? ''),
        reply.statusCode,
      );
    });
  }
  // Before every route: the OpenAPI collector only sees routes registered after it.
  await registerOpenApi(app);
  await app.register(healthRoutes(deps));
  await app.register(ingestRoutes(deps));
  await app.register(consolePlugin(deps));
  await app.register(portalPlugin(deps));
  await app.register(
    async (v1) => {
      // The management API speaks JSON only: anything else is a 415, not a parse attempt.
      v1.removeContentTypeParser('text/plain');
      v1.removeContentTypeParser('application/json');
      v1.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
        try {
          if (body === '' && bodyIsOptional(req.routeOptions.schema?.body)) return done(null, {});
          done(null, parseJsonBody(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      });
      v1.addHook('preValidation', (request, _reply, done) => {
        if (
          request.body === undefined &&
          request.routeOptions.schema?.body !== undefined &&
          bodyIsOptional(request.routeOptions.schema.body)
        )
          request.body = {};
        done();
      });
      // Before every route: its onSend hook records the changes of the routes that opt in.
      await v1.register(auditPlugin(deps));
      await v1.register(accountRoutes(deps));
      await v1.register(async (authed) => {
        await authed.register(authPlugin(deps));
        await authed.register(permissionsPlugin());
        await authed.register(apiKeyRoutes(deps));
        await authed.register(peopleRoutes(deps));
        await authed.register(sourceRoutes(deps));
        await authed.register(destinationRoutes(deps));
        await authed.register(routeRoutes(deps));
        await authed.register(eventTypeRoutes(deps));
        await authed.register(outboundRoutes(deps));
        await authed.register(liveRoutes(deps));
        await authed.register(eventRoutes(deps));
        await authed.register(brandRoutes(deps));
        await authed.register(domainRoutes(deps));
        await authed.register(portalSessionRoutes(deps));
        await authed.register(replayRoutes(deps));
        await authed.register(exportRoutes(deps));
        await authed.register(insightRoutes(deps));
        await authed.register(auditLogRoutes(deps));
        for (const p of deps.plugins ?? []) await authed.register(p);
      });
    },
    { prefix: '/v1' },
  );
  return app;
}

export interface ApiStartDeps extends ApiDeps {
  /** Where to listen; without it the app only answers inject() (tests). */
  listen?: { port: number; host: string };
}

export interface ApiHandle {
  app: ApiApp;
  /** http://127.0.0.1:port when it listens. */
  url: string | null;
  /** Stops taking requests and waits for those in flight. */
  stop(): Promise<void>;
}

/** The role's entry point for the gateway: built, listening when asked; stop() closes it. */
export async function start(deps: ApiStartDeps): Promise<ApiHandle> {
  const { listen, ...apiDeps } = deps;
  const app = await buildApi(apiDeps);
  let url: string | null = null;
  try {
    if (listen) {
      await app.listen(listen);
      const addr = app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : listen.port}`;
    }
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, url, stop: () => app.close() };
}
