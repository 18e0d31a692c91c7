import t from 'tap';
import type { Test } from 'tap';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createDeliveryClient, resolveAndCheck, TRUNCATED_MARKER } from './index.ts';
import type { DeliveryClient, DeliveryClientOptions, LookupFn, SendResult } from './index.ts';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface TestServer {
  port: number;
  origin: string;
  received: Received[];
  connections: () => number;
}

const liveServers = new Set<http.Server>();

/** A real HTTP server on 127.0.0.1; `handler` answers once the request body is in. */
async function serve(
  t: Test,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  const received: Received[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      handler(req, res);
    });
  });
  server.on('connection', () => connections++);
  liveServers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    liveServers.delete(server);
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  return { port, origin: `http://127.0.0.1:${port}`, received, connections: () => connections };
}

function client(t: Test, opts: Partial<DeliveryClientOptions> = {}): DeliveryClient {
  const c = createDeliveryClient({ allowPrivate: true, ...opts });
  t.teardown(() => c.close());
  return c;
}

const NOT_SETTLED = 'did not settle';
/** Resolves to the send's result, or NOT_SETTLED if it is still pending after `ms` (a generous bound). */
async function within(p: Promise<SendResult>, ms: number): Promise<SendResult | typeof NOT_SETTLED> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<typeof NOT_SETTLED>((resolve) => {
    timer = setTimeout(() => resolve(NOT_SETTLED), ms);
  });
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

function settled(t: Test, r: SendResult | typeof NOT_SETTLED): SendResult {
  if (r === NOT_SETTLED) {
    t.fail('send did not settle within the bound');
    // Cut the server side so the stuck send ends and teardown (client.close) does not hang.
    for (const s of liveServers) s.closeAllConnections();
    throw new Error(NOT_SETTLED);
  }
  return r;
}

const post = (
  url: string,
  extra: { timeoutMs?: number; body?: Buffer; headers?: Record<string, string>; signal?: AbortSignal } = {},
) => ({
  url,
  headers: extra.headers ?? { 'content-type': 'application/json' },
  body: extra.body ?? Buffer.from('{"hello":"world"}'),
  timeoutMs: extra.timeoutMs ?? 5000,
  ...(extra.signal ? { signal: extra.signal } : {}),
});

t.test('2xx: request arrives byte-exact, response comes back', async (t) => {
  const srv = await serve(t, (_req, res) => {
    res.setHeader('x-reply', 'yes');
    res.setHeader('X-Mixed-Case', 'kept');
    res.end('thanks');
  });
  const body = randomBytes(100_000); // not valid UTF-8: must not be re-encoded on the way
  const r = await client(t).send(
    post(`${srv.origin}/hooks/a?x=1&y=%20`, {
      body,
      headers: {
        'content-type': 'application/octet-stream',
        'webhook-id': 'msg_1',
        'X-Custom': 'v 1',
        host: 'evil.example',
        'transfer-encoding': 'chunked',
      },
    }),
  );
  t.equal(r.ok, true);
  t.equal(r.statusCode, 200);
  t.equal(r.errorClass, null);
  t.equal(r.error, null);
  t.equal(r.responseExcerpt, 'thanks');
  t.equal(r.responseHeaders['x-reply'], 'yes');
  t.equal(r.responseHeaders['x-mixed-case'], 'kept', 'header names lower-cased');
  t.equal(r.retryAfter, null);
  t.type(r.durationMs, 'number');

  t.equal(srv.received.length, 1);
  const got = srv.received[0] as Received;
  t.equal(got.method, 'POST');
  t.equal(got.url, '/hooks/a?x=1&y=%20');
  t.ok(got.body.equals(body), 'body byte-exact');
  t.equal(got.headers['content-length'], String(body.length));
  t.equal(got.headers['content-type'], 'application/octet-stream');
  t.equal(got.headers['webhook-id'], 'msg_1');
  t.equal(got.headers['x-custom'], 'v 1');
  t.equal(got.headers.host, `127.0.0.1:${srv.port}`, 'a custom Host header cannot override the destination');
  t.equal(got.headers['transfer-encoding'], undefined, 'framing headers are not taken from the caller');
});

t.test('connections are reused', async (t) => {
  const srv = await serve(t, (_req, res) => res.end('ok'));
  const c = client(t);
  for (let i = 0; i < 10; i++) t.equal((await c.send(post(srv.origin))).statusCode, 200);
  t.equal(srv.received.length, 10);
  // undici frees a socket a tick after the response ends, so back-to-back sends may open a second one.
  t.ok(srv.connections() <= 2, `10 sequential sends used ${srv.connections()} connections`);
});

t.test('5xx is a response, not an error', async (t) => {
  const srv = await serve(t, (_req, res) => {
    res.statusCode = 500;
    res.end('boom');
  });
  const r = await client(t).send(post(srv.origin));
  t.equal(r.ok, false);
  t.equal(r.statusCode, 500);
  t.equal(r.errorClass, null);
  t.equal(r.responseExcerpt, 'boom');
});

t.test('redirects are never followed', async (t) => {
  const srv = await serve(t, (req, res) => {
    if (req.url === '/start') {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    } else res.end('followed');
  });
  const r = await client(t).send(post(`${srv.origin}/start`));
  t.equal(r.ok, false);
  t.equal(r.statusCode, 302);
  t.equal(r.responseHeaders.location, '/elsewhere');
  t.same(
    srv.received.map((x) => x.url),
    ['/start'],
    'the Location was not requested',
  );
});

t.test('Retry-After is passed through raw', async (t) => {
  const srv = await serve(t, (_req, res) => {
    res.writeHead(429, { 'retry-after': '120' });
    res.end();
  });
  const r = await client(t).send(post(srv.origin));
  t.equal(r.statusCode, 429);
  t.equal(r.ok, false);
  t.equal(r.retryAfter, '120');
});

t.test('response headers are capped in count and length', async (t) => {
  const srv = await serve(t, (_req, res) => {
    for (let i = 0; i < 80; i++) res.setHeader(`x-h${i}`, String(i));
    res.setHeader('x-long', 'a'.repeat(5000));
    res.end();
  });
  const r = await client(t).send(post(srv.origin));
  t.equal(r.statusCode, 200);
  t.ok(Object.keys(r.responseHeaders).length <= 50, 'at most 50 headers kept');
  for (const v of Object.values(r.responseHeaders)) t.ok(v.length <= 1024, 'values cut to 1 KiB');
});

t.test('connection refused is a connect error', async (t) => {
  const srv = await serve(t, (_req, res) => res.end());
  const port = srv.port;
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const freePort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  t.not(freePort, port);
  const r = await client(t).send(post(`http://127.0.0.1:${freePort}/`));
  t.equal(r.ok, false);
  t.equal(r.statusCode, null);
  t.equal(r.errorClass, 'connect');
  t.match(r.error, /ECONNREFUSED/);
});

t.test('an unknown host is a dns error', async (t) => {
  const nx: LookupFn = async (hostname) => {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  };
  const r = await client(t, { lookup: nx }).send(post('http://no-such-host.example/'));
  t.equal(r.errorClass, 'dns');
  t.equal(r.statusCode, null);
  t.equal(r.ok, false);
});

t.test('https to a server that does not speak TLS is a tls error', async (t) => {
  const srv = await serve(t, (_req, res) => res.end());
  const r = await client(t).send(post(`https://127.0.0.1:${srv.port}/`));
  t.equal(r.errorClass, 'tls');
  t.equal(r.statusCode, null);
});

t.test('a response that is not HTTP is a protocol error', async (t) => {
  const srv = await serve(t, (req) => req.socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
  const r = await client(t).send(post(srv.origin));
  t.equal(r.errorClass, 'protocol');
  t.equal(r.statusCode, null);
});

t.test('an invalid URL resolves to a result instead of throwing, every time', async (t) => {
  const c = client(t);
  for (let i = 0; i < 2; i++) {
    const r = await c.send(post('not a url'));
    t.equal(r.ok, false);
    t.equal(r.errorClass, 'protocol');
  }
});

t.test('a server that never answers times out', async (t) => {
  const srv = await serve(t, () => {}); // holds the request open
  const timeoutMs = 300;
  const r = settled(t, await within(client(t).send(post(srv.origin, { timeoutMs })), timeoutMs * 5));
  t.equal(r.errorClass, 'timeout');
  t.equal(r.statusCode, null);
  t.equal(r.ok, false);
  t.equal(srv.received.length, 1, 'the request did reach the server');
});

t.test('waiting for a free connection counts toward the timeout, and so does a cancellation', async (t) => {
  const srv = await serve(t, () => {}); // holds every request open
  const c = client(t, { connectionsPerOrigin: 1 });
  let firstDone = false;
  const first = c.send(post(srv.origin, { timeoutMs: 3_000 })).then((r) => {
    firstDone = true;
    return r;
  });
  while (srv.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  // The one connection is taken: these two wait behind the first.
  const queued = settled(t, await within(c.send(post(srv.origin, { timeoutMs: 200 })), 2_000));
  t.equal(queued.errorClass, 'timeout');
  t.equal(firstDone, false, 'it ended while the connection was still taken');
  const ac = new AbortController();
  const cancelled = c.send(post(srv.origin, { timeoutMs: 3_000, signal: ac.signal }));
  ac.abort();
  const r = settled(t, await within(cancelled, 2_000));
  t.equal(r.errorClass, 'aborted');
  t.equal(firstDone, false);
  t.equal(settled(t, await within(first, 5_000)).errorClass, 'timeout');
  t.equal(srv.received.length, 1, 'neither ended request was sent later');
});

t.test('a server that trickles its status line and headers times out', async (t) => {
  const srv = await serve(t, (req) => {
    req.socket.write('HTTP/1.1 200 OK\r\n');
    const tick = setInterval(() => req.socket.write('x-slow: 1\r\n'), 20);
    req.socket.on('close', () => clearInterval(tick));
  });
  const timeoutMs = 300;
  const r = settled(t, await within(client(t).send(post(srv.origin, { timeoutMs })), timeoutMs * 5));
  t.equal(r.errorClass, 'timeout');
  t.equal(r.ok, false);
});

t.test('a server that trickles its body times out; the whole attempt is bounded', async (t) => {
  const srv = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const tick = setInterval(() => res.write('.'), 20); // each byte resets an idle timer: only a deadline stops this
    res.on('close', () => clearInterval(tick));
  });
  const timeoutMs = 400;
  const r = settled(t, await within(client(t).send(post(srv.origin, { timeoutMs })), timeoutMs * 5));
  t.equal(r.errorClass, 'timeout');
  t.equal(r.ok, false, 'a 2xx whose body never finished is not a success');
  t.equal(r.statusCode, 200, 'the status that did arrive is kept for the log');
  t.match(r.responseExcerpt, /^\.*$/);
});

t.test('an endless body is cut at maxResponseBytes and memory stays bounded', async (t) => {
  let serverSawClose = false;
  const chunk = Buffer.alloc(256 * 1024, 'z');
  const srv = await serve(t, (_req, res) => {
    res.writeHead(200);
    let open = true;
    res.on('close', () => {
      open = false;
      serverSawClose = true;
    });
    const pump = (): void => {
      while (open && res.write(chunk));
      if (open) res.once('drain', pump);
    };
    pump();
  });
  const maxResponseBytes = 64 * 1024;
  const before = process.memoryUsage();
  // A long deadline: were the cap missing, the client would read gigabytes before it struck.
  const timeoutMs = 4000;
  const r = settled(
    t,
    await within(client(t, { maxResponseBytes }).send(post(srv.origin, { timeoutMs })), timeoutMs * 5),
  );
  const after = process.memoryUsage();
  t.equal(r.errorClass, null);
  t.equal(r.statusCode, 200);
  t.equal(r.ok, true);
  t.ok(r.responseExcerpt.endsWith(TRUNCATED_MARKER), 'marked as truncated');
  t.equal(
    Buffer.byteLength(r.responseExcerpt.slice(0, -TRUNCATED_MARKER.length)),
    maxResponseBytes,
    'exactly the cap kept',
  );
  const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  t.ok(grown < 64 * 1024 * 1024, `memory grew by ${Math.round(grown / 1024)} KiB`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(serverSawClose, 'the client stopped reading and dropped the connection');
});

t.test('excerpt: a multi-byte character cut at the cap is dropped, a body of exactly the cap is whole', async (t) => {
  const srv = await serve(t, (req, res) => res.end(req.url === '/cut' ? 'aé€😀 more text' : 'abcdefgh'));
  const c = client(t, { maxResponseBytes: 8 });
  const cut = await c.send(post(`${srv.origin}/cut`)); // 'a'(1) 'é'(2) '€'(3) then 2 of the 4 bytes of '😀'
  t.equal(cut.responseExcerpt, `aé€${TRUNCATED_MARKER}`);
  t.notMatch(cut.responseExcerpt, /\uFFFD/);
  const whole = await c.send(post(`${srv.origin}/exact`));
  t.equal(whole.responseExcerpt, 'abcdefgh', 'no marker when nothing was cut');
});

t.test('the caller can abort', async (t) => {
  const srv = await serve(t, () => {});
  const ac = new AbortController();
  const pending = client(t).send(post(srv.origin, { signal: ac.signal, timeoutMs: 10_000 }));
  while (srv.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  ac.abort();
  const r = settled(t, await within(pending, 5000));
  t.equal(r.errorClass, 'aborted');
  t.equal(r.statusCode, null);
});

t.test('address guard at connect time', async (t) => {
  const loopback: LookupFn = async () => [{ address: '127.0.0.1', family: 4 }];

  t.test('a name resolving to loopback is refused and nothing reaches the server', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    const r = await client(t, { allowPrivate: false, lookup: loopback }).send(
      post(`http://hooks.example:${srv.port}/`),
    );
    t.equal(r.errorClass, 'blocked_address');
    t.match(r.error, /127\.0\.0\.1/);
    t.match(r.error, /ALLOW_PRIVATE_DESTINATIONS=true/, 'the attempt names the setting that would allow it');
    t.equal(r.statusCode, null);
    t.equal(srv.connections(), 0, 'no connection was opened');
    t.equal(srv.received.length, 0);
  });

  t.test('the guard covers https connections too', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    const r = await client(t, { allowPrivate: false, lookup: loopback }).send(
      post(`https://hooks.example:${srv.port}/`),
    );
    t.equal(r.errorClass, 'blocked_address');
    t.equal(srv.connections(), 0);
  });

  t.test('rebinding: DNS that changes after the creation check is still refused', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    let calls = 0;
    const rebinding: LookupFn = async () =>
      calls++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    t.same(
      await resolveAndCheck('rebind.example', { allowPrivate: false, lookup: rebinding }),
      { ok: true },
      'passes the creation check',
    );
    const r = await client(t, { allowPrivate: false, lookup: rebinding }).send(
      post(`http://rebind.example:${srv.port}/`),
    );
    t.equal(r.errorClass, 'blocked_address');
    t.equal(srv.connections(), 0);
    t.equal(srv.received.length, 0);
  });

  t.test('one private address among public ones is refused', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    const mixed: LookupFn = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const r = await client(t, { allowPrivate: false, lookup: mixed }).send(post(`http://mixed.example:${srv.port}/`));
    t.equal(r.errorClass, 'blocked_address');
    t.equal(srv.connections(), 0);
  });

  t.test('IP literals, in any notation, are refused before connecting', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    const c = client(t, { allowPrivate: false, lookup: async () => [{ address: '93.184.216.34', family: 4 }] });
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0x7f.1',
      '0177.0.0.1',
      '[::ffff:127.0.0.1]',
      '[::1]',
      '127.0.0.1',
    ]) {
      const r = await c.send(post(`http://${host}:${srv.port}/`));
      t.equal(r.errorClass, 'blocked_address', host);
    }
    t.equal(srv.connections(), 0);
  });

  t.test('with allowPrivate the same lookup reaches the server', async (t) => {
    const srv = await serve(t, (_req, res) => res.end('reached'));
    const r = await client(t, { allowPrivate: true, lookup: loopback }).send(post(`http://hooks.example:${srv.port}/`));
    t.equal(r.statusCode, 200);
    t.equal(r.responseExcerpt, 'reached');
    t.equal(srv.received[0]?.headers.host, `hooks.example:${srv.port}`, 'connected through the injected lookup');
  });
});

t.test('after close, send resolves instead of throwing', async (t) => {
  const srv = await serve(t, (_req, res) => res.end());
  const c = createDeliveryClient({ allowPrivate: true });
  await c.close();
  const r = await c.send(post(srv.origin));
  t.equal(r.ok, false);
  t.not(r.errorClass, null);
});
