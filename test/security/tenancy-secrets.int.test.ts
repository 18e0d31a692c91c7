// Tenant isolation on every endpoint with an id, and secrets that never come back after creation,
// neither in responses nor in logs. The whole system runs (every role, real NATS and Postgres) with
// its logger writing, at level trace, into a buffer that is scanned at the end.
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import t from 'tap';
import { CONFIG_BUCKET } from '@hookstream/contracts';
import { testSettings } from '@hookstream/config';
import { createLogger } from '@hookstream/observability';
import { createTestDatabase, openRawBucket, startNats, startReceiver, waitFor } from '@hookstream/testkit';
import { startGateway } from '../../apps/hookstream/src/gateway.ts';
import { type Tenant, create, signup } from '../../apps/api/test/harness.ts';
import { migrated } from '../e2e/harness.ts';
import { snapshot } from './support.ts';

t.test('A never reaches B, and no secret comes back in a response or a log line', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const natsUrl = (await startNats(t)).url;
  const databaseUrl = await createTestDatabase(t);
  await migrated(databaseUrl);
  const settings = testSettings({
    natsUrl,
    databaseUrl,
    port: 0,
    host: '127.0.0.1',
    allowPrivateDestinations: true,
    logLevel: 'trace',
  });
  const gw = await startGateway(settings, { log: createLogger('trace', 'hookstream', sink), listen: false });
  t.teardown(() => gw.stop());
  if (!gw.api) throw new Error('the api role is not running');
  const app = gw.api;
  const ctx = { broker: gw.broker, catalog: gw.catalog };
  const receiver = await startReceiver(t);
  let firstA = true;
  // A's destination fails once, so that a retry (and its log lines) happen with the secrets in play.
  receiver.respond((req) => {
    if (req.url === '/a' && firstA) {
      firstA = false;
      return { status: 500, body: 'temporarily broken' };
    }
    return { status: 200, body: '{}' };
  });

  const call = async (
    who: Tenant | null,
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(who?.auth ?? {}), ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.body, json: res.body ? res.json() : null };
  };

  async function tenant(name: string) {
    const ten = await signup(app, name);
    const extra = await create(app, ten, '/v1/api-keys', { name: 'extra' });
    const verification = `${name}-verification-${randomBytes(12).toString('hex')}`;
    const authToken = `${name}-auth-token-${randomBytes(12).toString('hex')}`;
    const signing = `whsec_${randomBytes(24).toString('base64')}`;
    const src = await create(app, ten, '/v1/sources', {
      name: 'src',
      verification_config: { provider: 'hmac', secret: verification, header: 'x-sig' },
    });
    const dst = await create(app, ten, '/v1/destinations', {
      name: 'dst',
      url: `${receiver.url}/${name}`,
      auth_token: authToken,
      signing_secret: signing,
      retry_policy: { max_attempts: 3, delays_ms: [200, 200] },
    });
    const spare = await create(app, ten, '/v1/destinations', {
      name: 'spare',
      url: `${receiver.url}/${name}-spare`,
      active: false,
    });
    const route = await create(app, ten, '/v1/routes', { source_id: src.id, destination_id: dst.id });
    await create(app, ten, '/v1/routes', { source_id: null, destination_id: dst.id, event_type_pattern: 'out.*' });
    const type = await create(app, ten, '/v1/event-types', { name: 'out.thing' });
    const rotated = await call(ten, 'POST', `/v1/destinations/${dst.id}/rotate-secret`, {});
    const body = `{"tenant":"${name}"}`;
    const sig = createHmac('sha256', verification).update(body).digest('hex');
    const cookie = `session=${randomBytes(12).toString('hex')}`;
    const bad = await call(null, 'POST', `/ingest/${src.path_token}`, body, {
      'content-type': 'application/json',
      'x-sig': 'deadbeef',
    });
    t.equal(bad.status, 401, `${name}: a bad signature is refused`);
    const inbound = await call(null, 'POST', `/ingest/${src.path_token}`, body, {
      'content-type': 'application/json',
      'x-sig': sig,
      authorization: `Bearer ${ten.key}`,
      cookie,
    });
    t.equal(inbound.status, 202, `${name}: signed ingest accepted`);
    const outbound = await call(ten, 'POST', '/v1/outbound-events', {
      event_type: 'out.thing',
      payload: { tenant: name },
    });
    t.equal(outbound.status, 202, `${name}: outbound accepted`);
    const keys = (await call(ten, 'GET', '/v1/api-keys')).json.data as Array<{ id: string }>;
    return {
      ten,
      ids: {
        src: src.id,
        dst: dst.id,
        spare: spare.id,
        route: route.id,
        type: type.id,
        extraKey: extra.id,
        keys: keys.map((k) => k.id),
        inbound: inbound.json.data.id as string,
        outbound: outbound.json.data.id as string,
      },
      secrets: {
        key: ten.key,
        extraKey: extra.key as string,
        verification,
        authToken,
        signing,
        rotated: rotated.json.data.signing_secret as string,
        generated: spare.signing_secret as string,
        cookie,
      },
      token: src.path_token as string,
    };
  }
  const A = await tenant('a');
  const B = await tenant('b');
  for (const x of [A, B]) {
    for (const id of [x.ids.inbound, x.ids.outbound]) {
      await waitFor(async () => (await call(x.ten, 'GET', `/v1/events/${id}`)).json?.data?.status === 'delivered', {
        timeoutMs: 20_000,
        message: `event ${id} delivered`,
      });
    }
  }
  const toA = receiver.requests.filter((r) => r.url === '/a');
  t.ok(toA.length >= 3, 'A got a failed attempt, its retry and the outbound event');
  t.ok(
    toA.every((r) => r.headers.authorization === `Bearer ${A.secrets.authToken}`),
    'the auth token is sent to its destination',
  );
  t.ok(
    toA.every((r) => typeof r.headers['webhook-signature'] === 'string'),
    'deliveries are signed',
  );

  const bView = async () =>
    JSON.stringify(
      await Promise.all(
        ['/v1/api-keys', '/v1/sources', '/v1/destinations', '/v1/routes', '/v1/event-types'].map(
          async (u) => (await call(B.ten, 'GET', u)).json.data,
        ),
      ),
    );
  const bBefore = await bView();

  t.test("A's key against B's ids: 404, nothing changed", async (t) => {
    const b = B.ids;
    const probes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/sources/${b.src}`],
      ['PATCH', `/v1/sources/${b.src}`, { name: 'taken' }],
      ['DELETE', `/v1/sources/${b.src}`],
      ['GET', `/v1/destinations/${b.dst}`],
      ['PATCH', `/v1/destinations/${b.dst}`, { url: `${receiver.url}/stolen` }],
      ['DELETE', `/v1/destinations/${b.dst}`],
      ['POST', `/v1/destinations/${b.dst}/rotate-secret`, {}],
      ['GET', `/v1/routes/${b.route}`],
      ['PATCH', `/v1/routes/${b.route}`, { active: false }],
      ['DELETE', `/v1/routes/${b.route}`],
      ['GET', `/v1/event-types/${b.type}`],
      ['PATCH', `/v1/event-types/${b.type}`, { description: 'taken' }],
      ['DELETE', `/v1/event-types/${b.type}`],
      ...b.keys.map((id): [string, string] => ['DELETE', `/v1/api-keys/${id}`]),
      ['GET', `/v1/events/${b.inbound}`],
      ['GET', `/v1/events/${b.outbound}`],
      ['GET', `/v1/outbound-events/${b.outbound}`],
      ['POST', `/v1/events/${b.inbound}/replay`, {}],
      ['POST', `/v1/events/${b.inbound}/replay`, { destination_id: A.ids.dst }],
      ['POST', `/v1/outbound-events/${b.outbound}/replay`, {}],
      ['POST', `/v1/outbound-events/${b.outbound}/replay`, { destination_id: b.dst }],
    ];
    for (const [method, url, payload] of probes) {
      const before = await snapshot(ctx.broker, ctx.catalog);
      const r = await call(A.ten, method, url, payload);
      t.equal(r.status, 404, `${method} ${url}`);
      t.match(r.json, { error: String, duration_ms: Number });
      t.same(await snapshot(ctx.broker, ctx.catalog), before, `${method} ${url}: nothing stored`);
    }
  });

  t.test("A cannot wire B's resources into its own", async (t) => {
    const probes: Array<[string, string, unknown]> = [
      ['POST', '/v1/routes', { source_id: B.ids.src, destination_id: A.ids.dst }],
      ['POST', '/v1/routes', { destination_id: B.ids.dst }],
      ['PATCH', `/v1/routes/${A.ids.route}`, { destination_id: B.ids.dst }],
      ['PATCH', `/v1/routes/${A.ids.route}`, { source_id: B.ids.src }],
      ['POST', '/v1/outbound-events', { event_type: 'out.thing', payload: {}, destination_ids: [B.ids.dst] }],
      ['POST', `/v1/events/${A.ids.inbound}/replay`, { destination_id: B.ids.dst }],
      ['POST', `/v1/outbound-events/${A.ids.outbound}/replay`, { destination_id: B.ids.dst }],
    ];
    for (const [method, url, payload] of probes) {
      const before = await snapshot(ctx.broker, ctx.catalog);
      const r = await call(A.ten, method, url, payload);
      t.equal(r.status, 400, `${method} ${url} ${JSON.stringify(payload)}`);
      t.same(await snapshot(ctx.broker, ctx.catalog), before, 'nothing stored');
    }
  });

  t.test("A's lists hold A's data and never B's", async (t) => {
    const bIds = Object.values(B.ids).flat();
    const lists: Array<[string, string[]]> = [
      ['/v1/api-keys', [A.ids.extraKey]],
      ['/v1/sources', [A.ids.src]],
      ['/v1/destinations', [A.ids.dst, A.ids.spare]],
      ['/v1/routes', [A.ids.route]],
      ['/v1/event-types', [A.ids.type]],
      ['/v1/events', [A.ids.inbound, A.ids.outbound]],
      ['/v1/outbound-events', [A.ids.outbound]],
      ['/v1/events?status=delivered', [A.ids.inbound]],
    ];
    for (const [url, own] of lists) {
      const r = await call(A.ten, 'GET', url);
      t.equal(r.status, 200, url);
      t.ok(
        own.every((id) => r.body.includes(id)),
        `${url} lists A's own`,
      );
      t.notOk(
        bIds.some((id) => r.body.includes(id)),
        `${url} holds none of B's ids`,
      );
    }
    for (const url of [
      `/v1/events?source_id=${B.ids.src}`,
      `/v1/events?destination_id=${B.ids.dst}`,
      `/v1/outbound-events?destination_id=${B.ids.dst}`,
      `/v1/routes?source_id=${B.ids.src}`,
      `/v1/routes?destination_id=${B.ids.dst}`,
    ]) {
      const r = await call(A.ten, 'GET', url);
      t.same(r.json?.data, [], `${url}: filtering by B's id finds nothing`);
    }
    t.equal(await bView(), bBefore, "B's configuration is exactly as it was");
    t.equal((await call(B.ten, 'GET', '/v1/sources')).status, 200, "B's key still works");
  });

  t.test('secrets never come back after creation', async (t) => {
    const bodies: string[] = [];
    for (const x of [A, B]) {
      for (const url of [
        '/v1/api-keys',
        '/v1/sources',
        '/v1/destinations',
        '/v1/routes',
        '/v1/account',
        '/v1/events',
        '/v1/outbound-events',
      ])
        bodies.push((await call(x.ten, 'GET', url)).body);
      for (const url of [
        `/v1/sources/${x.ids.src}`,
        `/v1/destinations/${x.ids.dst}`,
        `/v1/destinations/${x.ids.spare}`,
        `/v1/events/${x.ids.inbound}`,
        `/v1/events/${x.ids.outbound}`,
        `/v1/outbound-events/${x.ids.outbound}`,
      ]) {
        bodies.push((await call(x.ten, 'GET', url)).body);
      }
      bodies.push((await call(x.ten, 'PATCH', `/v1/destinations/${x.ids.dst}`, { name: 'renamed' })).body);
      bodies.push((await call(x.ten, 'PATCH', `/v1/sources/${x.ids.src}`, { name: 'renamed' })).body);
    }
    t.ok(bodies.length >= 30 && bodies.every((b) => b.includes('"data"')), 'every read answered');
    const detail = JSON.parse(bodies.find((b) => b.includes(A.ids.inbound) && b.includes('"deliveries"')) ?? '{}');
    t.ok(detail.data?.headers?.['x-sig'], 'the stored event keeps its ordinary headers');
    for (const x of [A, B]) {
      for (const [what, secret] of Object.entries(x.secrets)) {
        t.notOk(
          bodies.some((b) => b.includes(secret)),
          `${what} of ${x.ten.accountId.slice(0, 8)} is in no response`,
        );
      }
    }
  });

  t.test('secrets are not in the config bucket in plain text, in any revision', async (t) => {
    const kv = await openRawBucket(gw.broker, CONFIG_BUCKET);
    const all = (await kv.history()).map((e) => e.value).join('\n');
    t.ok(all.includes(A.ids.dst) && all.includes('enc:v1:'), 'the bucket holds the records, their secrets sealed');
    for (const x of [A, B]) {
      for (const [what, secret] of Object.entries(x.secrets))
        t.notOk(all.includes(secret), `${what} of ${x.ten.accountId.slice(0, 8)} is not stored as it is`);
      t.notOk(all.includes(x.token), 'nor is the ingest path token');
    }
  });

  t.test('secrets never reach the logs', async (t) => {
    // Failing requests that carry secrets: a refused key, a refused body, an unsigned ingest.
    t.equal(
      (await call(null, 'GET', '/v1/sources', undefined, { authorization: `Bearer ${A.secrets.extraKey}x` })).status,
      401,
    );
    const refused = await call(A.ten, 'POST', '/v1/destinations', {
      name: 'x',
      url: 'not a url',
      auth_token: A.secrets.authToken,
      signing_secret: A.secrets.signing,
    });
    t.equal(refused.status, 400);
    t.notOk(refused.body.includes(A.secrets.authToken), 'the refusal does not echo the token');
    const deep = `{"event_type":"out.thing","event_id":"${A.secrets.verification}","payload":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const crash = await call(A.ten, 'POST', '/v1/outbound-events', deep, { 'content-type': 'application/json' });
    t.ok(crash.status >= 400, 'a request the server cannot serialise is refused (or fails)');
    t.equal((await call(null, 'POST', `/ingest/${A.token}`, '{}', { 'x-sig': A.secrets.signing })).status, 401);

    const log = lines.join('');
    t.ok(
      lines.length > 0 && log.includes('delivery attempt'),
      `the scan has material: ${lines.length} lines at level trace`,
    );
    for (const x of [A, B]) {
      for (const [what, secret] of Object.entries(x.secrets))
        t.notOk(log.includes(secret), `${what} is in no log line`);
      t.notOk(log.includes(x.token), 'the ingest path token is in no log line');
    }
  });
});
