// Composition root of the router role: the `router` durable consumer on HS_EVENTS, shared by every
// copy of the role, fans each event out into delivery subjects.
import { type Broker, type Consumer, type Publisher, startConsumer } from '@hookstream/broker';
import type { ConfigView } from '@hookstream/catalog';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import type { Logger, Metrics } from '@hookstream/observability';
import { type RouteDeps, createRoutings, routeEvent } from './route.ts';

export interface RouterDeps {
  broker: Broker;
  view: ConfigView;
  publisher: Publisher;
  log: Logger;
  /** Events routed at once (default 64). */
  maxInFlight?: number;
  now?: () => number;
  metrics?: Metrics;
}

export interface Router {
  start(): Promise<void>;
  /** Stops pulling and waits for the events in hand. */
  stop(): Promise<void>;
}

export function buildRouter(deps: RouterDeps): Router {
  let loop: Consumer | null = null;
  const now = deps.now ?? Date.now;
  const routeDeps: RouteDeps = {
    view: deps.view,
    publisher: deps.publisher,
    routings: createRoutings(deps.publisher),
    log: deps.log,
    now,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };
  return {
    start() {
      if (loop) return Promise.resolve();
      loop = startConsumer({
        broker: deps.broker,
        stream: STREAMS.events,
        consumer: CONSUMERS.router,
        maxMessages: deps.maxInFlight ?? 64,
        handle: (msg) => routeEvent(msg, routeDeps),
        // A throw is a publish failure: the consumer naks with a delay and the event comes back.
        onError: (err) =>
          deps.log.warn({ err: (err as Error).message }, 'routing failed; the event will be offered again'),
        onStatus: (s) => {
          if (s.kind === 'heartbeats_missed') deps.metrics?.heartbeatMissed('router');
          deps.log.warn(s, 'router consumer status');
        },
      });
      return Promise.resolve();
    },
    async stop() {
      const l = loop;
      loop = null;
      await l?.stop();
    },
  };
}

/** The role's entry point for the gateway: built and started; stop() ends it. */
export async function start(deps: RouterDeps): Promise<Router> {
  const router = buildRouter(deps);
  await router.start();
  return router;
}
