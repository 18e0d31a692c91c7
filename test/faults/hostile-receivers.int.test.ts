// Slow and hostile receivers: one trickles its response headers, one trickles its body (1 byte/s),
// one sends an endless body, one holds the connection without a word. With timeout_ms 1000 every
// attempt ends within its deadline, the deliverer reads no more than the excerpt of a body, memory
// stays flat, and a healthy destination is served meanwhile. A 200 whose body trickles counts as
// delivered (the status is the receiver's answer; docs/delivery.md) with the timeout on record.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import type { Test } from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { client, startSystem } from '../e2e/harness.ts';

const TIMEOUT_MS = 1_000;
/** Slack over the deadline for the attempt to be recorded as over: generous, a loaded machine is slow. */
const SLACK_MS = 2_500;
const EXCERPT_BYTES = 4_096;
const MAX_ATTEMPTS = 3;
/** Memory the whole system may gain while the hostile attempts run; reading an endless body at loopback speed for a second would take hundreds of MB. */
const MEMORY_BOUND = 64 * 1024 * 1024;

type Behaviour = 'trickle_headers' | 'trickle_body' | 'endless_body' | 'hold';

interface Conn {
  openedAt: number;
  closedAt: number | null;
  bytesWritten: number;
}

/** A raw TCP server acting as a destination: HTTP only as far as the behaviour needs. */
async function hostile(t: Test, behaviour: Behaviour): Promise<{ url: string; conns: Conn[] }> {
  const conns: Conn[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const conn: Conn = { openedAt: Date.now(), closedAt: null, bytesWritten: 0 };
    conns.push(conn);
    sockets.add(socket);
    const timers: NodeJS.Timeout[] = [];
    const write = (s: string | Buffer) => {
      if (socket.destroyed) return true;
      conn.bytesWritten += s.length;
      return socket.write(s);
    };
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closedAt = Date.now();
      sockets.delete(socket);
      for (const timer of timers) clearInterval(timer);
    });
    socket.once('data', () => {
      if (behaviour === 'hold') return; // read the request, answer nothing
      if (behaviour === 'trickle_headers') {
        write('HTTP/1.1 200 OK\r\n');
        const header = 'x-slow: ' + 'a'.repeat(10_000);
        let i = 0;
        timers.push(setInterval(() => write(header.charAt(i++)), 1_000));
        return;
      }
      write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
      if (behaviour === 'trickle_body') {
        timers.push(setInterval(() => write('1\r\na\r\n'), 1_000));
        return;
      }
      // endless_body: as fast as the client reads, never a last chunk.
      const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'x'), Buffer.from('\r\n')]);
      const pump = () => {
        while (!socket.destroyed && write(chunk));
      };
      socket.on('drain', pump);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, conns };
}

/** heapUsed plus Buffers, sampled until stopped; the peak is what an unbounded read would show. */
function sampleMemory(): { stop(): number } {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const base = (() => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  })();
  let peak = base;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
  }, 10);
  timer.unref(); // a failed test must not be kept alive by the sampler
  return {
    stop() {
      clearInterval(timer);
      return peak - base;
    },
  };
}

t.test(
  'hostile receivers are cut off at their deadline; memory stays flat; a healthy destination is served meanwhile',
  async (t) => {
    const gw = await startSystem(t);
    const healthy = await startReceiver(t);
    const anon = client(gw.url as string);
    const acct = await anon.call('POST', '/v1/accounts', { name: 'hostile' });
    const api = client(gw.url as string, acct.json.data.api_key);
    const src = (await api.call('POST', '/v1/sources', { name: 's' })).json.data;

    const behaviours: Behaviour[] = ['trickle_headers', 'trickle_body', 'endless_body', 'hold'];
    const servers = new Map<Behaviour, Awaited<ReturnType<typeof hostile>>>();
    const destinations = new Map<Behaviour, string>();
    for (const b of behaviours) {
      const server = await hostile(t, b);
      servers.set(b, server);
      const dst = await api.call('POST', '/v1/destinations', {
        name: b,
        url: server.url,
        timeout_ms: TIMEOUT_MS,
        retry_policy: { max_attempts: MAX_ATTEMPTS, delays_ms: [200] },
        max_in_flight: 2,
      });
      t.equal(dst.status, 201, `destination ${b}`);
      destinations.set(b, dst.json.data.id);
      await api.call('POST', '/v1/routes', {
        source_id: src.id,
        destination_id: dst.json.data.id,
        event_type_pattern: `hostile.${b}`,
      });
    }
    const ok = await api.call('POST', '/v1/destinations', {
      name: 'healthy',
      url: healthy.url,
      timeout_ms: TIMEOUT_MS,
    });
    await api.call('POST', '/v1/routes', {
      source_id: src.id,
      destination_id: ok.json.data.id,
      event_type_pattern: 'ok',
    });

    const memory = sampleMemory();
    const hostileEvents = new Map<Behaviour, string>();
    for (const b of behaviours) {
      const r = await anon.ingest(src.path_token, `{"b":"${b}"}`, {
        'x-event-type': `hostile.${b}`,
        'content-type': 'application/json',
      });
      t.equal(r.status, 202);
      hostileEvents.set(b, r.json.data.id);
    }
    // Healthy traffic goes in while the hostile receivers hold their connections.
    const hold = servers.get('hold') as { conns: Conn[] };
    await waitFor(() => hold.conns.some((c) => c.closedAt === null), {
      timeoutMs: 15_000,
      message: 'the hold receiver has a connection',
    });
    const okIds = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) =>
          (await anon.ingest(src.path_token, `{"n":${i}}`, { 'x-event-type': 'ok' })).json.data.id as string,
      ),
    );
    const got = await healthy.waitForCount(20, 30_000);

    const details = new Map<Behaviour, any>();
    for (const b of behaviours) {
      const want = b === 'endless_body' || b === 'trickle_body' ? 'delivered' : 'dead_letter';
      details.set(
        b,
        await waitFor(
          async () => {
            const r = await api.call('GET', `/v1/events/${hostileEvents.get(b)}`);
            return r.status === 200 && r.json.data.status === want ? r.json.data : null;
          },
          { timeoutMs: 60_000, intervalMs: 200, message: `${b}: event ${want}` },
        ),
      );
    }
    const grown = memory.stop();

    const busy = [...servers.values()].flatMap((s) => s.conns);
    const during = got.filter((r) =>
      busy.some((c) => c.openedAt <= r.receivedAt && (c.closedAt ?? Infinity) >= r.receivedAt),
    );
    t.ok(during.length > 0, 'healthy deliveries arrived while hostile connections were held open');
    t.same(
      new Set(got.map((r) => r.headers['x-hookstream-event-id'])),
      new Set(okIds),
      'every healthy event delivered',
    );
    t.ok(
      got.every((r) => r.headers['x-hookstream-attempt'] === '1'),
      'each at the first attempt',
    );

    for (const b of ['trickle_headers', 'trickle_body', 'hold'] as const) {
      const attempts = details.get(b).deliveries[0].attempts as Array<{
        error_class: string | null;
        duration_ms: number;
        status_code: number | null;
      }>;
      // No status (headers never completed): retried, then dead-lettered. A 200 before the trickle: delivered at once.
      const expected = b === 'trickle_body' ? 1 : MAX_ATTEMPTS;
      t.equal(attempts.length, expected, `${b}: ${expected} attempts recorded`);
      for (const a of attempts) {
        t.equal(a.error_class, 'timeout', `${b}: the attempt ended as a timeout`);
        t.ok(a.duration_ms < TIMEOUT_MS + SLACK_MS, `${b}: within the deadline (${a.duration_ms} ms)`);
      }
      t.equal(attempts[0]?.status_code, b === 'trickle_body' ? 200 : null, `${b}: status as far as it arrived`);
      const conns = (servers.get(b) as { conns: Conn[] }).conns;
      t.equal(conns.length, expected, `${b}: one connection per attempt`);
      for (const c of conns) {
        t.ok(
          c.closedAt !== null && c.closedAt - c.openedAt < TIMEOUT_MS + SLACK_MS,
          `${b}: the deliverer hung up in time`,
        );
      }
    }

    const endless = details.get('endless_body').deliveries[0].attempts[0] as {
      status_code: number;
      error_class: string | null;
      response_excerpt: string;
      duration_ms: number;
    };
    t.equal(endless.status_code, 200, 'endless body: the 200 counts');
    t.equal(endless.error_class, null);
    t.ok(Buffer.byteLength(endless.response_excerpt) <= EXCERPT_BYTES, 'only the excerpt is kept');
    t.match(endless.response_excerpt, /^x{100}/, 'and it is the start of the body');
    t.ok(endless.duration_ms < TIMEOUT_MS + SLACK_MS, 'within the deadline');
    const endlessConns = (servers.get('endless_body') as { conns: Conn[] }).conns;
    t.ok(
      endlessConns.every((c) => c.closedAt !== null),
      'the deliverer closed the endless connection',
    );
    const written = endlessConns.reduce((n, c) => n + c.bytesWritten, 0);
    t.ok(written < MEMORY_BOUND, `the endless receiver could only push ${written} bytes before the deliverer hung up`);

    t.ok(grown < MEMORY_BOUND, `heap + buffers grew by ${Math.round(grown / 1024 / 1024)} MB at most`);
  },
);
