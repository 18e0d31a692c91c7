import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { durationMs } from '../http.ts';

export function healthRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/healthz', { schema: { response: { 200: api.envelope(api.Health) } } }, async (_req, reply) =>
      reply.send({ data: { status: 'ok' }, duration_ms: durationMs(reply) }),
    );
    if (deps.metrics) {
      const metrics = deps.metrics;
      app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
        reply.type(metrics.contentType).send(await metrics.render()),
      );
    }
    app.get(
      '/readyz',
      { schema: { response: { 200: api.envelope(api.Readiness), 503: api.envelope(api.Readiness) } } },
      async (_req, reply) => {
        const checks = (await deps.readiness?.()) ?? {};
        const ready = Object.values(checks).every((c) => c.ok || !c.required);
        return reply
          .code(ready ? 200 : 503)
          .send({ data: { status: ready ? 'ready' : 'not_ready', checks }, duration_ms: durationMs(reply) });
      },
    );
  };
}
