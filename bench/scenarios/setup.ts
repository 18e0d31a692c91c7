// The configuration every Hookstream scenario runs on: one account; per scenario a source, its
// destinations on the receiver, and the routes between them. Created through the API, like a user.
import { Api, type Source, waitForConsumers } from '../lib/api.ts';
import type { Ctx } from '../lib/context.ts';
import { sleep } from '../lib/stats.ts';

export interface Setup {
  api: Api;
  sources: Record<'ingest' | 'latency' | 'sustained' | 'fanout' | 'healthy' | 'dead', Source>;
  fanoutDestinations: string[];
  dead: string;
  healthy: string;
}

export const FANOUT = 10;

export async function setUp(ctx: Ctx, apiUrl: string): Promise<Setup> {
  const api = new Api(apiUrl);
  await api.signup('bench');
  const sink = (channel: string) => `${ctx.receiver.info.url}/ok/${channel}`;
  const names = ['ingest', 'latency', 'sustained', 'fanout', 'healthy', 'dead'] as const;
  const sources = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await api.source(`bench-${n}`)] as const)),
  ) as Setup['sources'];
  const one = async (source: Source, name: string, url: string, extra: Record<string, unknown> = {}) => {
    const id = await api.destination({ name, url, ...extra });
    await api.route(source.id, id);
    return id;
  };
  const ids: string[] = [];
  ids.push(await one(sources.ingest, 'bench-ingest', sink('ingest')));
  ids.push(await one(sources.latency, 'bench-latency', sink('latency')));
  ids.push(await one(sources.sustained, 'bench-sustained', sink('sustained')));
  const fanoutDestinations: string[] = [];
  // Ten customers: each destination on an origin of its own (the receiver listens on one per destination).
  const origins = ctx.receiver.info.origins;
  for (let i = 0; i < FANOUT; i++)
    fanoutDestinations.push(
      await one(sources.fanout, `bench-fanout-${i}`, `${origins[i] ?? ctx.receiver.info.url}/ok/fanout`),
    );
  ids.push(...fanoutDestinations);
  const healthy = await one(sources.healthy, 'bench-healthy', sink('healthy'));
  // A receiver that accepts the connection and never answers: every attempt ends in a timeout.
  const dead = await one(sources.dead, 'bench-dead', `${ctx.receiver.info.url}/hang/dead`, { timeout_ms: 2000 });
  ids.push(healthy, dead);
  await waitForConsumers(ctx.system as NonNullable<Ctx['system']>, ids);
  // The router learns routes from the same config watch: give it a moment after the last one.
  await sleep(1000);
  return { api, sources, fanoutDestinations, dead, healthy };
}
