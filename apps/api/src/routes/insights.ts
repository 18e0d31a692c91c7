// What the console shows beyond the event log: dead letters, statistics read from the projector's
// rollups, each destination's health, a payload-filter tester and test events.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type EventMeta, InvalidQueryError, api } from '@hookstream/contracts';
import {
  deliveryIdFor,
  deriveCircuit,
  matchPayloadFilter,
  timeOrderedId,
  validatePayloadFilter,
} from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import type { DestinationFigures, StatsWindow } from '../ports.ts';
import { dataException, errors } from '../errors.ts';
import { ok, page } from '../http.ts';
import { payloadErrors } from '../schemas.ts';

export type StatsRange = api.StatsRange;

const RANGES: Record<StatsRange, { ms: number; intervalS: number }> = {
  '1h': { ms: 3_600_000, intervalS: 60 },
  '24h': { ms: 86_400_000, intervalS: 3_600 },
  '7d': { ms: 7 * 86_400_000, intervalS: 3_600 },
};

/** The range ending at the end of the current interval, so that every bucket is a whole interval. */
export function statsWindow(range: StatsRange, nowMs: number): StatsWindow {
  const { ms, intervalS } = RANGES[range];
  const step = intervalS * 1000;
  const to = Math.ceil((nowMs + 1) / step) * step;
  return { from: new Date(to - ms), to: new Date(to), intervalS };
}

const TEST_EVENT_TYPE = 'hookstream.test';
const PIPELINE_MEMO_MS = 1_000;

export function insightRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog } = deps;
    const nowMs = () => deps.now?.() ?? Date.now();
    const need = () => {
      if (!deps.insights) throw errors.unavailable('statistics and dead letters are not configured on this instance');
      return deps.insights;
    };
    const wrap = <T>(p: Promise<T>) =>
      p.catch((err: unknown) => {
        if (err instanceof InvalidQueryError) throw errors.badRequest(err.message);
        if (dataException(err)) throw errors.badRequest('a filter value is out of range');
        throw errors.unavailable(
          'the read models are unavailable right now (ingest and delivery are not affected); retry',
          err,
        );
      });
    const owned = (accountId: string, id: string) => {
      const d = catalog.view.destinations.get(id);
      if (!d || d.account_id !== accountId) throw errors.notFound('destination');
      return d;
    };
    const pendingOf = async (ids: string[]): Promise<Map<string, number | null>> => {
      if (!deps.pending || ids.length === 0) return new Map();
      return deps.pending(ids).catch(() => new Map());
    };
    // The pipeline's state is the instance's, not the account's: read at most once a second however
    // many consoles poll, so that their polling does not become load on NATS.
    let pipelineMemo: {
      at: number;
      value: Promise<[Record<string, { ok: boolean; required: boolean }>, number | null]>;
    } | null = null;
    const pipeline = () => {
      const now = nowMs();
      if (!pipelineMemo || now - pipelineMemo.at >= PIPELINE_MEMO_MS || now < pipelineMemo.at) {
        pipelineMemo = {
          at: now,
          value: Promise.all([
            deps.readiness ? deps.readiness().catch(() => ({})) : Promise.resolve({}),
            deps.projectionLagMs ? deps.projectionLagMs().catch(() => null) : Promise.resolve(null),
          ]),
        };
      }
      return pipelineMemo.value;
    };
    const circuitOf = (f: DestinationFigures) =>
      deriveCircuit({
        attempts: f.attempts,
        failuresSinceSuccess: f.failures_since_success,
        lastErrorAtMs: f.last_error_at ? Date.parse(f.last_error_at) : null,
        lastSuccessAtMs: f.last_success_at ? Date.parse(f.last_success_at) : null,
        nowMs: nowMs(),
      });

    app.get(
      '/dead-letters',
      {
        schema: {
          querystring: api.DeadLetterQuery,
          response: { 200: api.listEnvelope(api.DeadLetterView), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const r = await wrap(need().deadLetters(request.accountId, { ...q, limit: q.limit ?? 50 }));
        return page(reply, r.items, r.next_cursor);
      },
    );

    app.get(
      '/stats',
      { schema: { querystring: api.StatsQuery, response: { 200: api.envelope(api.Stats), '4xx': api.ErrorBody } } },
      async (request, reply) => {
        const range = request.query.range ?? '24h';
        const w = statsWindow(range, nowMs());
        const destinations = [...catalog.view.destinations.values()]
          .filter((d) => d.account_id === request.accountId)
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
        const ids = destinations.map((d) => d.id);
        const [s, pending, [checks, lag]] = await Promise.all([
          wrap(need().stats(request.accountId, w, ids)),
          pendingOf(ids),
          pipeline(),
        ]);
        const names = new Map(destinations.map((d) => [d.id, d.name]));
        const entries = Object.entries(checks);
        return ok(reply, {
          range,
          interval_s: w.intervalS,
          from: w.from.toISOString(),
          to: w.to.toISOString(),
          totals: s.totals,
          series: s.series,
          destinations: s.destinations.map((f) => ({
            destination_id: f.destination_id,
            name: names.get(f.destination_id) ?? '',
            attempts: f.attempts,
            succeeded: f.succeeded,
            success_rate: f.success_rate,
            p50_ms: f.p50_ms,
            p95_ms: f.p95_ms,
            pending: pending.get(f.destination_id) ?? null,
            circuit: circuitOf(f),
            last_error: f.last_error,
            last_error_at: f.last_error_at,
            last_status_code: f.last_status_code,
          })),
          pipeline: {
            ready: entries.every(([, c]) => c.ok || !c.required),
            checks: Object.fromEntries(entries.map(([k, c]) => [k, c.ok])),
            projection_lag_ms: lag,
          },
        });
      },
    );

    app.get(
      '/destinations/:id/stats',
      {
        schema: {
          params: api.IdParams,
          querystring: api.StatsQuery,
          response: { 200: api.envelope(api.DestinationStats), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        const range = request.query.range ?? '24h';
        const w = statsWindow(range, nowMs());
        const [s, pending] = await Promise.all([
          wrap(need().destinationStats(request.accountId, d.id, w)),
          pendingOf([d.id]),
        ]);
        return ok(reply, {
          destination_id: d.id,
          range,
          interval_s: w.intervalS,
          from: w.from.toISOString(),
          to: w.to.toISOString(),
          series: s.series,
          attempts: s.attempts,
          succeeded: s.succeeded,
          success_rate: s.success_rate,
          p50_ms: s.p50_ms,
          p95_ms: s.p95_ms,
          pending: pending.get(d.id) ?? null,
          circuit: circuitOf(s),
          last_error: s.last_error,
          last_error_at: s.last_error_at,
          last_status_code: s.last_status_code,
          recent_failures: s.recent_failures,
        });
      },
    );

    app.post(
      '/payload-filters/test',
      // A dry run: nothing is stored.
      {
        config: { audit: false },
        schema: {
          body: api.PayloadFilterTestBody,
          response: { 200: api.envelope(api.PayloadFilterTestResult), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const problem = validatePayloadFilter(request.body.payload_filter);
        if (problem) throw errors.badRequest(`payload_filter: ${problem}`);
        return ok(reply, { matches: matchPayloadFilter(request.body.payload_filter, request.body.payload) });
      },
    );

    app.post(
      '/destinations/:id/test',
      {
        config: { audit: 'destination.test' },
        schema: {
          params: api.IdParams,
          body: api.DestinationTestBody,
          response: { 202: api.envelope(api.DestinationTestAccepted), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const d = owned(request.accountId, request.params.id);
        if (!d.active) throw errors.conflict('the destination is paused: resume it to send a test event');
        const eventType = request.body?.event_type ?? TEST_EVENT_TYPE;
        const at = new Date(nowMs()).toISOString();
        const payload = request.body?.payload ?? {
          message: 'A test event from Hookstream',
          destination_id: d.id,
          sent_at: at,
        };
        const type = catalog.view.eventTypeOf(request.accountId, eventType);
        if (type?.schema) {
          const problems = payloadErrors(type.schema, payload);
          if (problems.length > 0)
            throw errors.badRequest(`payload does not match the schema of '${eventType}': ${problems.join('; ')}`);
        }
        const id = timeOrderedId();
        const meta: EventMeta = {
          v: 1,
          event_id: id,
          account_id: request.accountId,
          direction: 'outbound',
          source_id: null,
          event_type: eventType,
          received_at: at,
          content_type: 'application/json',
          headers: {},
          labels: null,
          idempotency_key: null,
          test_destination_id: d.id,
          // A customer's test event is that customer's: it shows in its event lists.
          ...(d.customer_id ? { customer_id: d.customer_id } : {}),
        };
        try {
          await deps.publisher.publishEvent(meta, Buffer.from(JSON.stringify(payload)), null);
        } catch (err) {
          throw errors.unavailable('the event store did not confirm the write; retry', err);
        }
        // The router derives the same id for the test event's one delivery.
        return ok(reply, { event_id: id, delivery_id: deliveryIdFor(id, d.id) }, 202);
      },
    );
  };
}
