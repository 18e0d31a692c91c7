// Settling: with every fault off, wait until the read models show every accepted event finished
// (delivered or dead-lettered) on every destination its type routes to, then read each event.
import type { ApiClient } from './api.ts';
import type { KeyRecord } from './driver.ts';
import type { ReadEvent } from './ledger.ts';
import { sleep } from './services.ts';
import { expectedProfiles } from './topology.ts';

interface Summary {
  id: string;
  idempotency_key: string | null;
  status: string;
  delivery_count: number;
}

const TERMINAL = new Set(['delivered', 'dead_letter']);

export async function listAll(api: ApiClient): Promise<Summary[]> {
  const all: Summary[] = [];
  let cursor: string | null = null;
  do {
    const r = await api.call('GET', `/v1/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /v1/events: ${r.status} ${JSON.stringify(r.json)}`);
    all.push(...(r.json.data as Summary[]));
    cursor = r.json.next_cursor as string | null;
  } while (cursor);
  return all;
}

export interface Open {
  id: string;
  why: string;
}

/** What is not finished yet, per the read models; empty when the run has settled. */
export function unfinished(summaries: readonly Summary[], keys: ReadonlyMap<string, KeyRecord>): Open[] {
  const seen = new Set(summaries.map((s) => s.id));
  const open: Open[] = [];
  for (const k of keys.values())
    for (const id of k.ids) if (!seen.has(id)) open.push({ id, why: 'not in the read models' });
  for (const s of summaries) {
    const k = s.idempotency_key === null ? undefined : keys.get(s.idempotency_key);
    const want = k ? expectedProfiles(k.type).length : 1;
    if (!TERMINAL.has(s.status) || s.delivery_count < want)
      open.push({ id: s.id, why: `${s.status}, ${s.delivery_count}/${want} deliveries` });
  }
  return open;
}

const show = (open: readonly Open[], n: number) => open.slice(0, n).map((o) => `${o.id}: ${o.why}`);

export interface Settled {
  events: ReadEvent[];
  /** How long it took after the faults ended; null when the bound passed first. */
  settledAfterMs: number | null;
  unfinished: Open[];
}

export async function settle(
  api: ApiClient,
  keys: ReadonlyMap<string, KeyRecord>,
  boundMs: number,
  progress: (s: string) => void,
): Promise<Settled> {
  const start = Date.now();
  let open: Open[] = [];
  let lastReport = 0;
  let settledAfterMs: number | null = null;
  for (;;) {
    try {
      open = unfinished(await listAll(api), keys);
    } catch (err) {
      open = [{ id: '-', why: `read models unavailable: ${(err as Error).message}` }];
    }
    if (open.length === 0) {
      settledAfterMs = Date.now() - start;
      break;
    }
    if (Date.now() - start > boundMs) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      progress(`settling: ${open.length} unfinished, e.g. ${show(open, 3).join('; ')}`);
    }
    await sleep(1_000);
  }
  const ids = (await listAll(api)).map((s) => s.id);
  const events: ReadEvent[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        const r = await api.call('GET', `/v1/events/${id}`);
        if (r.status === 200) events.push(r.json.data as ReadEvent);
      }
    }),
  );
  return { events, settledAfterMs, unfinished: open };
}

/** Consumers with messages waiting or in hand, from nats-server's monitoring endpoint (a diagnosis for a run that did not settle). */
export async function busyConsumers(monitorUrl: string): Promise<string[]> {
  const res = await fetch(`${monitorUrl}/jsz?consumers=true`, { signal: AbortSignal.timeout(5_000) });
  const jsz = (await res.json()) as {
    account_details?: Array<{ stream_detail?: Array<{ name: string; consumer_detail?: Array<Record<string, any>> }> }>;
  };
  const out: string[] = [];
  for (const a of jsz.account_details ?? []) {
    for (const st of a.stream_detail ?? []) {
      for (const c of st.consumer_detail ?? []) {
        if (c.num_pending > 0 || c.num_ack_pending > 0) {
          out.push(
            `${st.name}/${c.name}: pending ${c.num_pending}, in hand ${c.num_ack_pending}, redelivered ${c.num_redelivered}, waiting pulls ${c.num_waiting}`,
          );
        }
      }
    }
  }
  return out;
}
