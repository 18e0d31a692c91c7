// The chaos run's recording receiver, in a process of its own (so the runner's own load cannot
// slow its answers). One path per destination profile, answering per profile unless a fault mode
// is on; every request is logged with the status actually written to the socket — or null when
// none was (hung, or the client went away first).
//   POST /d/<profile>          a webhook delivery
//   PUT  /_mode/<profile>      {"mode": "fail"|"hang"|"r429", "ms": n}
//   DELETE /_mode              every destination back to normal
//   GET  /_log?from=n          receipts from index n
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRng } from './prng.ts';
import type { Receipt } from './receiver.ts';
import { type Mode, type Profile, PROFILES, pickyRefuses } from './topology.ts';

const rng = createRng(Number(process.env.CHAOS_SEED ?? 1) ^ 0x5eed);
const receipts: Receipt[] = [];
const modes = new Map<Profile, { mode: Mode; until: number }>();
/** A hung request is cut after this long even if the client never gives up. */
const HANG_MAX_MS = 60_000;

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function modeOf(p: Profile): Mode | null {
  const m = modes.get(p);
  return m && m.until > Date.now() ? m.mode : null;
}

type Answer =
  { status: number; headers?: Record<string, string> } | { hang: true } | { delayMs: number; status: number };

function answerFor(p: Profile, eventId: string): Answer {
  const mode = modeOf(p);
  if (mode === 'fail') return { status: 500 };
  if (mode === 'r429') return { status: 429, headers: { 'retry-after': '1' } };
  if (mode === 'hang') return { hang: true };
  switch (p) {
    case 'healthy':
      return { status: 200 };
    case 'flaky':
      return { status: rng.next() < 0.3 ? 500 : 200 };
    case 'slow':
      return { delayMs: rng.int(100, 1_000), status: 200 };
    case 'limited':
      return rng.next() < 0.2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    case 'picky':
      return { status: pickyRefuses(eventId) ? 400 : 200 };
  }
}

function delivery(p: Profile, req: IncomingMessage, res: ServerResponse): void {
  const t = Date.now();
  const base = {
    p,
    e: header(req, 'x-hookstream-event-id'),
    d: header(req, 'x-hookstream-delivery-id'),
    a: Number(header(req, 'x-hookstream-attempt')),
    t,
  };
  let logged = false;
  let finished = false;
  const log = (s: number | null) => {
    if (logged) return;
    logged = true;
    receipts.push({ ...base, s, end: Date.now() });
  };
  let status = 0;
  // 'finish': the whole answer was handed to the OS; 'close' before it: nothing (complete) was sent.
  res.on('finish', () => {
    finished = true;
    log(status);
  });
  res.on('close', () => {
    if (!finished) log(null);
  });
  const a = answerFor(p, base.e);
  const send = (code: number, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return;
    status = code;
    res.writeHead(code, { 'content-type': 'text/plain', ...headers });
    res.end(code < 300 ? 'ok' : 'no');
  };
  if ('hang' in a) {
    const timer = setTimeout(() => req.socket.destroy(), HANG_MAX_MS);
    res.on('close', () => clearTimeout(timer));
  } else if ('delayMs' in a) {
    setTimeout(() => send(a.status), a.delayMs);
  } else {
    send(a.status, a.headers);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'POST' && parts[0] === 'd' && PROFILES.includes(parts[1] as Profile))
      return delivery(parts[1] as Profile, req, res);
    if (req.method === 'PUT' && parts[0] === '_mode' && PROFILES.includes(parts[1] as Profile)) {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { mode: Mode; ms: number };
      modes.set(parts[1] as Profile, { mode: body.mode, until: Date.now() + body.ms });
      return json(res, 200, { ok: true });
    }
    if (req.method === 'DELETE' && parts[0] === '_mode') {
      modes.clear();
      return json(res, 200, { ok: true });
    }
    if (req.method === 'GET' && parts[0] === '_log') {
      const from = Number(url.searchParams.get('from') ?? 0);
      return json(res, 200, { receipts: receipts.slice(from), next: receipts.length });
    }
    json(res, 404, { error: 'not found' });
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
