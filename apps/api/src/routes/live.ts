// GET /v1/events/live: Server-Sent Events of the event log. Every second the newest events matching
// the filters are read again, together with the events whose facts this instance saw pass
// (watchAccount: routings, attempts, dead letters of the account); an event is sent
// when it is new to the stream or its status or number of deliveries changed. Polling the read
// models makes every api copy serve it alike, and what is sent is what GET /v1/events would list.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { InvalidQueryError, api } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import type { EventListFilter } from '../ports.ts';
import { errors } from '../errors.ts';
import { stillAuthenticated } from '../auth.ts';

export const LIVE_POLL_MS = 1_000;
export const LIVE_HEARTBEAT_MS = 15_000;
/** How long an event named by a passing message is read again: the projection may lag behind it. */
const WATCH_MS = 30_000;
const RECENT = 100;
const REMEMBERED = 5_000;

interface Summary {
  id: string;
  status: string;
  delivery_count: number;
}

export function liveRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const nowMs = () => deps.now?.() ?? Date.now();
    // Open streams, ended when the server closes (a hijacked response would hold its close up);
    // the client's EventSource reconnects to another copy.
    const streams = new Set<() => void>();
    app.addHook('preClose', (done) => {
      for (const end of [...streams]) end();
      done();
    });

    app.get(
      '/events/live',
      {
        schema: {
          querystring: api.EventListQuery,
          description:
            'Server-Sent Events: `event: event` with one item of GET /v1/events as `data` when a matching event appears or its status or deliveries change; a comment every 15 s.',
          response: { 200: { description: 'text/event-stream', type: 'string' }, '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const events = deps.events;
        if (!events) throw errors.unavailable('the event log is not configured on this instance');
        const { limit: _limit, cursor: _cursor, ...filter } = request.query;
        for (const name of ['since', 'until'] as const) {
          const v = filter[name];
          if (v !== undefined && Number.isNaN(Date.parse(v))) throw errors.badRequest(`${name}: not an ISO 8601 time`);
        }
        const accountId = request.accountId;
        const listFilter: EventListFilter = { ...filter, limit: RECENT };
        // The baseline: what a client that just listed the events already has. Its errors are the
        // caller's (a bad filter) or a 503, answered before the stream starts.
        const sent = new Map<string, string>();
        const remember = (e: Summary) => {
          sent.delete(e.id);
          sent.set(e.id, `${e.status}|${e.delivery_count}`);
          if (sent.size > REMEMBERED) sent.delete(sent.keys().next().value as string);
        };
        try {
          for (const e of (await events.list(accountId, listFilter)).items as Summary[]) remember(e);
        } catch (err) {
          if (err instanceof InvalidQueryError) throw errors.badRequest(err.message);
          throw errors.unavailable(
            'the event log is unavailable right now (ingest and delivery are not affected); retry',
            err,
          );
        }

        const watched = new Map<string, number>();
        const unwatch = deps.watchAccount?.(accountId, (ids) => {
          const until = nowMs() + WATCH_MS;
          for (const id of ids) watched.set(id, until);
        });
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies that buffer responses would hold the events back.
          'x-accel-buffering': 'no',
        });
        res.write(': live\n\n');
        let closed = false;
        let busy = false;
        const poll = async () => {
          if (closed || busy) return;
          busy = true;
          // The request was authenticated when the stream opened; a key revoked, an account
          // deleted or a console session ended since ends it, as it would refuse the next request.
          if (!(await stillAuthenticated(deps, request))) {
            busy = false;
            close();
            res.end();
            return;
          }
          try {
            const now = nowMs();
            for (const [id, until] of watched) if (until < now) watched.delete(id);
            const [recent, named] = await Promise.all([
              events.list(accountId, listFilter),
              watched.size > 0 && events.byIds
                ? events.byIds(accountId, [...watched.keys()], filter)
                : Promise.resolve([]),
            ]);
            const seen = new Set<string>();
            // Oldest first, so that a client that prepends shows the newest on top.
            for (const e of [...(recent.items as Summary[]), ...(named as Summary[])].reverse()) {
              if (seen.has(e.id)) continue;
              seen.add(e.id);
              if (sent.get(e.id) === `${e.status}|${e.delivery_count}`) continue;
              remember(e);
              if (!closed) res.write(`event: event\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
            }
          } catch (err) {
            // The read models are away for a moment: the stream stays open and the next poll retries.
            request.log.debug({ err }, 'live events poll failed');
          } finally {
            busy = false;
          }
        };
        const pollTimer = setInterval(() => void poll(), LIVE_POLL_MS);
        const beatTimer = setInterval(() => {
          if (!closed) res.write(': heartbeat\n\n');
        }, LIVE_HEARTBEAT_MS);
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(pollTimer);
          clearInterval(beatTimer);
          unwatch?.();
        };
        const end = () => {
          close();
          res.end();
        };
        streams.add(end);
        res.on('close', () => {
          streams.delete(end);
          close();
        });
        res.on('error', close);
      },
    );
  };
}
