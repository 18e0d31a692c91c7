// The webhook receiver of every scenario, in its own process: /ok/<channel> answers 200 at once,
// /hang/<channel> never answers (a dead destination). It records, per channel, the arrival count
// and, when asked, each arrival time indexed by the "seq" the load generator put in the body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { childArgs, serve } from './ipc.ts';

interface Channel {
  count: number;
  duplicates: number;
  first: number;
  last: number;
  /** Arrival time by seq - base, when tracked. */
  arrivals: Float64Array | null;
  base: number;
  /** Every arrival time, when asked (fan-out: its rate over time). */
  times: number[] | null;
}

const channels = new Map<string, Channel>();
const fresh = (): Channel => ({ count: 0, duplicates: 0, first: 0, last: 0, arrivals: null, base: 0, times: null });
const channel = (name: string): Channel => {
  let c = channels.get(name);
  if (!c) channels.set(name, (c = fresh()));
  return c;
};
const now = () => performance.timeOrigin + performance.now();

/** The body starts with {"seq":N, — read N without parsing the whole kilobyte. */
function seqOf(body: Buffer): number {
  const start = body.indexOf('"seq":');
  if (start < 0 || start > 16) return -1;
  let n = 0;
  let i = start + 6;
  let digits = 0;
  for (; i < body.length; i++) {
    const c = body[i] as number;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    digits++;
  }
  return digits > 0 ? n : -1;
}

const held: ServerResponse[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const at = now();
  const url = req.url ?? '/';
  const slash = url.indexOf('/', 1);
  const mode = slash > 0 ? url.slice(1, slash) : url.slice(1);
  const name = slash > 0 ? url.slice(slash + 1) : 'default';
  const c = channel(name);
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (mode === 'hang') {
      c.count++;
      held.push(res);
      res.on('close', () => {
        const i = held.indexOf(res);
        if (i >= 0) held.splice(i, 1);
      });
      return;
    }
    c.count++;
    if (c.first === 0) c.first = at;
    c.last = at;
    c.times?.push(at);
    if (c.arrivals) {
      const seq = seqOf(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      const i = seq - c.base;
      if (i >= 0 && i < c.arrivals.length) {
        if (c.arrivals[i] === 0) c.arrivals[i] = at;
        else c.duplicates++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  });
}

// One origin (host:port) per destination that asks for its own, as distinct customers have: a
// delivery client keeps a connection pool per origin, and a fan-out to many customers uses many.
const { origins = 0 } = childArgs<{ origins?: number }>();
const servers: Server[] = [];
const listen = async (): Promise<string> => {
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 60_000 }, handle);
  server.maxHeadersCount = 200;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const url = await listen();
const extra: string[] = [];
for (let i = 0; i < origins; i++) extra.push(await listen());

await serve(
  { url, origins: extra, pid: process.pid },
  {
    reset: (a) => {
      channels.set(String(a.channel), fresh());
      return null;
    },
    /** Record arrival times by seq for seqs in [base, base + capacity). */
    track: (a) => {
      const c = fresh();
      c.base = Number(a.base ?? 0);
      c.arrivals = new Float64Array(Number(a.capacity));
      if (a.times) c.times = [];
      channels.set(String(a.channel), c);
      return null;
    },
    stats: (a) => {
      const c = channel(String(a.channel));
      return {
        count: c.count,
        duplicates: c.duplicates,
        first: c.first,
        last: c.last,
        ...(a.arrivals && c.arrivals ? { arrivals: c.arrivals } : {}),
        ...(a.times && c.times ? { times: Float64Array.from(c.times) } : {}),
      };
    },
    counts: () => Object.fromEntries([...channels].map(([k, c]) => [k, c.count])),
  },
  () => {
    for (const r of held) r.destroy();
    for (const s of servers) s.closeAllConnections();
    return Promise.resolve();
  },
);
