// Bad input everywhere: fast-check properties over every body, query string, path id and ingest of
// the API, on the whole system (real NATS, real Postgres, every role). Each request must answer a
// 4xx in the error envelope with nothing stored, or a 2xx whose result is sane; never a 5xx.
//
// Fixed seed; FC_SEED and FC_RUNS (see support.ts) run other or more cases:
//   FC_SEED=7 FC_RUNS=1000 tap test/security/bad-input.int.test.ts
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { CONSUMERS, STREAMS } from '@hookstream/contracts';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { create, signup } from '../../apps/api/test/harness.ts';
import { startSystem } from '../e2e/harness.ts';
import {
  type BodyCase,
  type J,
  assertThat,
  bodyCase,
  failureReport,
  fcParams,
  invalidUuid,
  junkValue,
  obj,
  objectBody,
  probe,
  weirdNumber,
  weirdString,
} from './support.ts';
import { type Fixtures, enc, ingestCase, listQueryCase, pathIdCase, timeValue } from './bad-input.cases.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('bad input on every endpoint: 4xx envelope and nothing stored, or a sane 2xx; never a 5xx', async (t) => {
  const gw = await startSystem(t, { signupRatePerMinute: 1_000_000 });
  const app = gw.api;
  if (!app) throw new Error('the api role is not running');
  const ctx = { app, broker: gw.broker, catalog: gw.catalog };
  const receiver = await startReceiver(t);

  // Two tenants; B's ids are what A must never reach.
  const a = await signup(app, 'alpha');
  const b = await signup(app, 'beta');
  const dest = await create(app, a, '/v1/destinations', { name: 'sink', url: `${receiver.url}/sink` });
  const destPatch = await create(app, a, '/v1/destinations', { name: 'patched', url: `${receiver.url}/patched` });
  const srcOpen = await create(app, a, '/v1/sources', { name: 'open' });
  const srcSigned = await create(app, a, '/v1/sources', {
    name: 'signed',
    verification_config: { provider: 'hmac', secret: 'hmac-secret-value', header: 'x-sig' },
  });
  const srcPatch = await create(app, a, '/v1/sources', { name: 'patched' });
  const srcReplay = await create(app, a, '/v1/sources', { name: 'replay' });
  const routePatch = await create(app, a, '/v1/routes', { source_id: srcPatch.id, destination_id: destPatch.id });
  await create(app, a, '/v1/routes', { source_id: srcReplay.id, destination_id: dest.id });
  await create(app, a, '/v1/event-types', {
    name: 'order.created',
    schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
  });
  const etPatch = await create(app, a, '/v1/event-types', { name: 'thing.patched' });
  const bDest = await create(app, b, '/v1/destinations', { name: 'b', url: `${receiver.url}/b` });
  const bSrc = await create(app, b, '/v1/sources', { name: 'b' });
  const bRoute = await create(app, b, '/v1/routes', { source_id: bSrc.id, destination_id: bDest.id });
  const bType = await create(app, b, '/v1/event-types', { name: 'b.thing' });
  const bKey = await create(app, b, '/v1/api-keys', { name: 'b' });

  const ingest = async (token: unknown) =>
    (
      await app.inject({
        method: 'POST',
        url: `/ingest/${token}`,
        payload: '{"n":1}',
        headers: { 'content-type': 'application/json' },
      })
    ).json().data.id;
  const aEvent = await ingest(srcReplay.path_token);
  const bEvent = await ingest(bSrc.path_token);
  for (const id of [aEvent, bEvent]) {
    await waitFor(
      async () =>
        (await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: id === aEvent ? a.auth : b.auth })).json()
          .data?.status === 'delivered',
      {
        timeoutMs: 20_000,
        message: `fixture event ${id} delivered`,
      },
    );
  }

  const fx: Fixtures = {
    aIds: [
      dest.id,
      destPatch.id,
      srcOpen.id,
      srcSigned.id,
      srcPatch.id,
      srcReplay.id,
      routePatch.id,
      etPatch.id,
      aEvent,
    ],
    bIds: [bDest.id, bSrc.id, bRoute.id, bType.id, bKey.id, bEvent, b.accountId],
    openToken: srcOpen.path_token as string,
    signedToken: srcSigned.path_token as string,
    unknownToken: `src_${'A'.repeat(32)}`,
  };
  const anyId = fc.oneof(fc.constantFrom(...fx.aIds, ...fx.bIds), invalidUuid);
  const json = (s: BodyCase) => (typeof s.payload === 'string' ? s.payload : s.payload.toString('utf8'));
  const parsed = (s: BodyCase): Record<string, unknown> => {
    try {
      return JSON.parse(json(s)) ?? {};
    } catch {
      return {};
    }
  };
  const send = (
    method: string,
    url: string,
    auth: Record<string, string> | null,
    s: BodyCase,
    opts?: { deliveries?: boolean },
  ) =>
    probe(
      ctx,
      {
        method,
        url,
        headers: { ...(auth ?? {}), ...(s.contentType ? { 'content-type': s.contentType } : {}) },
        payload: s.payload,
      },
      opts,
    );
  // `examples` always run first: inputs that once found a bug stay in the suite whatever the seed.
  const run = async <T>(t: Test, arb: fc.Arbitrary<T>, body: (s: T) => Promise<void>, examples: T[] = []) => {
    const out = await fc.check(fc.asyncProperty(arb, body), {
      ...fcParams<[T]>(),
      examples: examples.map((e): [T] => [e]),
    });
    t.notOk(out.failed, out.failed ? failureReport(out) : `${out.numRuns} cases`);
  };
  const created = (
    r: { status: number; body: any; before: { revision: number }; after: { revision: number } },
    input: Record<string, unknown>,
  ) => {
    assertThat(
      r.after.revision > r.before.revision,
      `a 2xx that stored nothing: ${JSON.stringify(r.body).slice(0, 200)}`,
    );
    const data = r.body.data;
    assertThat(typeof data?.id === 'string' && UUID.test(data.id), `no id in ${JSON.stringify(data).slice(0, 200)}`);
    for (const k of ['name', 'active', 'url', 'timeout_ms', 'description']) {
      if (k in input && k in data)
        assertThat(
          JSON.stringify(data[k]) === JSON.stringify(input[k]),
          `${k} stored as ${JSON.stringify(data[k])}, sent ${JSON.stringify(input[k])}`,
        );
    }
  };

  // ---------- plausible field values, mixed with junk by bodyCase ----------
  const name: fc.Arbitrary<J> = fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.constantFrom('a'.repeat(200), 'a'.repeat(201)),
  );
  const plan = fc.constantFrom<J>('free', 'pro', 'enterprise', 'gold', 'FREE');
  const days: fc.Arbitrary<J> = fc.oneof(fc.integer({ min: -5, max: 4000 }), weirdNumber);
  const bool = fc.constantFrom<J>(true, false, 'true', 0, 1);
  const idOf = anyId as fc.Arbitrary<J>;
  const safeUrl = fc.constantFrom<J>(
    `${receiver.url}/x`,
    'http://127.0.0.1:9/x',
    'ftp://127.0.0.1/x',
    'http://',
    'http://u:p@127.0.0.1/',
    'javascript:alert(1)',
    '//127.0.0.1',
    'http://[::1',
    'http://127.0.0.1:99999/',
    'file:///etc/passwd',
  );
  const headerMap: fc.Arbitrary<J> = fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('x-team', 'Host', 'authorization', 'Content-Length', 'bad name', 'x:y', ''),
          weirdString,
        ),
        fc.oneof(fc.constantFrom<J>('v', 'a\r\nb', 'a\u0000b'), junkValue),
      ),
      { maxLength: 4 },
    )
    .map(obj);
  const secret = fc.constantFrom<J>(
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    'whsec_!!',
    'short',
    'x'.repeat(513),
    'a-long-enough-secret',
  );
  const retryPolicy: fc.Arbitrary<J> = fc
    .record(
      {
        max_attempts: fc.oneof(fc.integer({ min: -1, max: 60 }), weirdNumber),
        delays_ms: fc.oneof(fc.array(fc.integer({ min: -10, max: 1e9 }), { maxLength: 60 }), junkValue),
        backoff: fc.constantFrom<J>('exponential', 'two_phase', 'linear'),
        jitter: weirdNumber,
      },
      { requiredKeys: [] },
    )
    .map((r) => obj(Object.entries<J>(r)));
  const filterish: fc.Arbitrary<J> = fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'data.amount',
          '$or',
          '$and',
          '__proto__.polluted',
          'a..b',
          '$where',
          'items.0',
          'x'.repeat(300),
        ),
        fc.oneof(
          fc.constantFrom<J>({ obj: [['$gt', 1]] }, { obj: [['$in', 'x']] }, [], [{ obj: [['a', 1]] }], {
            obj: [['$exists', 'yes']],
          }),
          junkValue,
        ),
      ),
      { maxLength: 3 },
    )
    .map(obj);
  const schemaish: fc.Arbitrary<J> = fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'type',
          '$ref',
          'pattern',
          'properties',
          'items',
          '$id',
          'format',
          '$schema',
          'required',
          '$async',
          '$data',
          'const',
          'allOf',
          'minimum',
        ),
        fc.oneof(
          fc.constantFrom<J>(
            'object',
            '(',
            '#/nope',
            'http://json-schema.org/draft-2020-12/schema',
            true,
            { obj: [['a', { obj: [['type', 'nope']] }]] },
            ['a', 'a'],
          ),
          junkValue,
        ),
      ),
      { maxLength: 3 },
    )
    .map(obj);
  const eventTypeName = fc.oneof(
    fc.constantFrom<J>('order.created', 'misc.thing', 'a..b', '.a', 'a'.repeat(201)),
    fc.stringMatching(/^[a-z]{1,8}(\.[a-z]{1,8}){0,2}$/),
  );
  const verification: fc.Arbitrary<J> = fc
    .record(
      {
        provider: fc.constantFrom<J>('stripe', 'github', 'shopify', 'standard_webhooks', 'hmac', 'aws'),
        secret,
        header: fc.constantFrom<J>('x-sig', 'bad header', ''),
        algorithm: fc.constantFrom<J>('sha256', 'md5'),
        encoding: fc.constantFrom<J>('hex', 'base64', 'utf8'),
        tolerance_s: days,
      },
      { requiredKeys: [] },
    )
    .map((r) => obj(Object.entries<J>(r)));
  const destinationFields = {
    name,
    url: safeUrl,
    auth_token: fc.oneof(fc.constant<J>('tok'), fc.constant<J>(null)),
    headers: headerMap,
    signing_secret: secret,
    signature_scheme: fc.constantFrom<J>('standard_webhooks', 'stripe', 'github', 'hmac', 'none'),
    timeout_ms: days,
    retry_policy: retryPolicy,
    rate_limit_per_s: weirdNumber,
    max_in_flight: days,
    active: bool,
  };
  const sourceFields = {
    name,
    auth_mode: fc.constantFrom<J>('none', 'shared_secret', 'basic'),
    verification_config: fc.oneof(verification, fc.constant<J>(null)),
    active: bool,
  };
  const routeFields = {
    source_id: fc.oneof(idOf, fc.constant<J>(null)),
    destination_id: idOf,
    event_type_pattern: fc.oneof(fc.constantFrom<J>('order.*', '**', '*.*.', 'a.**.b', '', null), weirdString),
    labels: headerMap,
    payload_filter: fc.oneof(filterish, fc.constant<J>(null)),
    active: bool,
  };
  const createdRoutes: string[] = [];

  t.test('POST /v1/accounts', async (t) =>
    run(t, bodyCase({ name, plan, retention_days: days }), async (s) => {
      const r = await send('POST', '/v1/accounts', null, s);
      if (r.status === 201) {
        assertThat(
          /^hk_/.test(r.body.data.api_key) && r.body.data.account.name === parsed(s).name,
          'account created with its key and name',
        );
        assertThat(r.after.revision > r.before.revision, 'account stored');
      }
    }),
  );
  t.test('PATCH /v1/account', async (t) =>
    run(t, bodyCase({ name, plan, retention_days: days }), async (s) => {
      const r = await send('PATCH', '/v1/account', a.auth, s);
      if (r.status === 200)
        assertThat(r.body.data.id === a.accountId && r.after.revision > r.before.revision, 'own account updated');
    }),
  );
  t.test('POST /v1/api-keys', async (t) =>
    run(t, bodyCase({ name }), async (s) => {
      const r = await send('POST', '/v1/api-keys', a.auth, s);
      if (r.status === 201) {
        created(r, parsed(s));
        assertThat(/^hk_[A-Za-z0-9_-]{43}$/.test(r.body.data.key), 'a full-strength key');
      }
    }),
  );
  t.test('POST /v1/sources', async (t) =>
    run(t, bodyCase(sourceFields), async (s) => {
      const r = await send('POST', '/v1/sources', a.auth, s);
      if (r.status === 201) {
        created(r, parsed(s));
        assertThat(!r.raw.includes('"secret"'), 'the verification secret is not echoed');
      }
    }),
  );
  t.test('PATCH /v1/sources/:id', async (t) =>
    run(t, bodyCase(sourceFields), async (s) => {
      const r = await send('PATCH', `/v1/sources/${srcPatch.id}`, a.auth, s);
      if (r.status === 200) created(r, parsed(s));
    }),
  );
  t.test('POST /v1/destinations', async (t) =>
    run(t, bodyCase(destinationFields), async (s) => {
      const r = await send('POST', '/v1/destinations', a.auth, s);
      if (r.status === 201) {
        created(r, parsed(s));
        assertThat(!('auth_token' in r.body.data), 'auth_token is write-only');
      }
    }),
  );
  t.test('PATCH /v1/destinations/:id', async (t) =>
    run(t, bodyCase(destinationFields), async (s) => {
      const r = await send('PATCH', `/v1/destinations/${destPatch.id}`, a.auth, s);
      if (r.status === 200) created(r, parsed(s));
    }),
  );
  t.test('POST /v1/destinations/:id/rotate-secret', async (t) =>
    run(t, bodyCase({ overlap_s: days, secret }), async (s) => {
      const r = await send('POST', `/v1/destinations/${destPatch.id}/rotate-secret`, a.auth, s);
      if (r.status === 200)
        assertThat(
          typeof r.body.data.signing_secret === 'string' && r.after.revision > r.before.revision,
          'rotated and stored',
        );
    }),
  );
  t.test('POST /v1/routes', async (t) =>
    run(t, bodyCase(routeFields), async (s) => {
      const r = await send('POST', '/v1/routes', a.auth, s);
      if (r.status === 201) {
        created(r, parsed(s));
        assertThat(
          fx.aIds.includes(r.body.data.destination_id) &&
            (r.body.data.source_id === null || fx.aIds.includes(r.body.data.source_id)),
          "a route only joins the account's own resources",
        );
        createdRoutes.push(r.body.data.id);
      }
    }),
  );
  t.test('PATCH /v1/routes/:id', async (t) =>
    run(t, bodyCase(routeFields), async (s) => {
      const r = await send('PATCH', `/v1/routes/${routePatch.id}`, a.auth, s);
      if (r.status === 200) {
        created(r, parsed(s));
        assertThat(
          !fx.bIds.includes(r.body.data.destination_id) && !fx.bIds.includes(r.body.data.source_id),
          "never joined to B's resources",
        );
      }
    }),
  );
  t.test('POST /v1/event-types', async (t) =>
    run(
      t,
      bodyCase({
        name: eventTypeName,
        description: fc.oneof(weirdString, fc.constant(null)),
        schema: fc.oneof(schemaish, fc.constant<J>(null)),
      }),
      async (s) => {
        const r = await send('POST', '/v1/event-types', a.auth, s);
        if (r.status === 201) created(r, parsed(s));
      },
      [
        {
          contentType: 'application/json',
          payload: `{"name":"deep.schema","schema":{"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`,
        },
      ],
    ),
  );
  t.test('PATCH /v1/event-types/:id', async (t) =>
    run(
      t,
      bodyCase({
        description: fc.oneof(weirdString, fc.constant(null)),
        schema: fc.oneof(schemaish, fc.constant<J>(null)),
      }),
      async (s) => {
        const r = await send('PATCH', `/v1/event-types/${etPatch.id}`, a.auth, s);
        if (r.status === 200) created(r, parsed(s));
      },
    ),
  );

  // Routes made by the properties above would fan later events out: drop them before anything is
  // published, then let the router settle so that only replays can add deliveries.
  t.test('settle', async (t) => {
    for (const id of createdRoutes) await app.inject({ method: 'DELETE', url: `/v1/routes/${id}`, headers: a.auth });
    await waitFor(async () => {
      const c = await gw.broker.consumers.info(STREAMS.events, CONSUMERS.router);
      return c.num_pending === 0 && c.num_ack_pending === 0;
    });
    t.pass('router idle');
  });

  t.test('POST replay (inbound and outbound twin)', async (t) =>
    run(
      t,
      fc
        .tuple(
          bodyCase({ destination_id: idOf }),
          fc.constantFrom('/v1/events', '/v1/outbound-events'),
          fc.oneof(fc.constantFrom(aEvent, bEvent), invalidUuid),
        )
        .map(([s, prefix, id]) => ({ ...s, url: `${prefix}/${enc(id)}/replay` })),
      async ({ url, ...s }) => {
        const r = await send('POST', url, a.auth, s, { deliveries: true });
        if (r.status === 202) {
          assertThat(url === `/v1/events/${aEvent}/replay`, `only A's inbound event replays: ${url}`);
          assertThat(
            r.after.deliveries === r.before.deliveries + r.body.data.deliveries.length &&
              r.body.data.deliveries.length >= 1,
            'one delivery per target',
          );
          assertThat(
            r.body.data.deliveries.every((d: { destination_id: string }) => fx.aIds.includes(d.destination_id)),
            "replays only reach A's destinations",
          );
        }
      },
    ),
  );

  // Bulk replays and exports are jobs in Postgres: "nothing stored" is the account's list, unchanged.
  const jobCount = async (path: string) =>
    ((await app.inject({ method: 'GET', url: `${path}?limit=500`, headers: a.auth })).json().data as unknown[]).length;
  const filterFields = {
    source_id: idOf,
    destination_id: idOf,
    status: fc.constantFrom<J>('delivered', 'dead_letter', 'nope'),
    event_type: eventTypeName,
    direction: fc.constantFrom<J>('inbound', 'outbound', 'both'),
    since: timeValue,
    until: timeValue,
  };
  for (const [path, fields] of [
    ['/v1/replays', filterFields],
    [
      '/v1/exports',
      {
        kind: fc.constantFrom<J>('events', 'attempts', 'deliveries'),
        format: fc.constantFrom<J>('ndjson', 'csv', 'xlsx'),
        filter: objectBody(filterFields),
      },
    ],
  ] as Array<[string, Record<string, fc.Arbitrary<J>>]>) {
    t.test(`POST ${path}`, async (t) =>
      run(t, bodyCase(fields), async (s) => {
        const before = await jobCount(path);
        const r = await send('POST', path, a.auth, s);
        const after = await jobCount(path);
        if (r.status >= 400) assertThat(after === before, `a ${r.status} that stored a job: ${json(s).slice(0, 200)}`);
        if (r.status === 202)
          assertThat(typeof r.body.data.id === 'string' && after === before + 1, 'a 202 stores exactly one job');
      }),
    );
  }

  t.test('POST /v1/payload-filters/test', async (t) =>
    run(t, bodyCase({ payload_filter: filterish, payload: junkValue }), async (s) => {
      const r = await send('POST', '/v1/payload-filters/test', a.auth, s);
      if (r.status === 200) assertThat(typeof r.body.data.matches === 'boolean', 'an answer, true or false');
      assertThat(r.after.events === r.before.events, 'trying a filter stores nothing');
    }),
  );
  t.test('POST /v1/destinations/:id/test', async (t) =>
    run(
      t,
      bodyCase({ event_type: eventTypeName, payload: fc.oneof(junkValue, objectBody({ n: weirdNumber })) }),
      async (s) => {
        const r = await send('POST', `/v1/destinations/${dest.id}/test`, a.auth, s);
        if (r.status === 202)
          assertThat(
            UUID.test(r.body.data.event_id) && r.after.events === r.before.events + 1,
            'one test event stored',
          );
      },
    ),
  );
  t.test('GET /v1/stats', async (t) =>
    run(
      t,
      fc
        .oneof(fc.constantFrom('1h', '24h', '7d', '2d', '', '1H', '[]'), weirdString)
        .map((v) => `/v1/stats?range=${enc(v)}`),
      async (url) => {
        const r = await probe(ctx, { method: 'GET', url, headers: a.auth });
        if (r.status === 200) assertThat(!fx.bIds.some((id) => r.raw.includes(id)), `B's data in A's stats: ${url}`);
      },
    ),
  );

  t.test('list query strings', async (t) =>
    run(
      t,
      listQueryCase(fx),
      async (q) => {
        const r = await probe(ctx, { method: 'GET', url: q.url, headers: a.auth });
        if (r.status === 200) {
          assertThat(
            Array.isArray(r.body.data) && (r.body.next_cursor === null || typeof r.body.next_cursor === 'string'),
            'a list envelope',
          );
          assertThat(!fx.bIds.some((id) => r.raw.includes(id)), `B's data in A's list: ${q.url}`);
          if (q.limit !== null) assertThat(r.body.data.length <= q.limit, 'no more than limit items');
        }
      },
      [
        { url: '/v1/events?since=0000-01-01T00%3A00%3A00Z', limit: 50 },
        { url: '/v1/outbound-events?until=0000-01-01T00%3A00%3A00Z', limit: 50 },
        {
          url: `/v1/events?cursor=${Buffer.from('-210866803200000017|00000000-0000-1000-8000-000000000000').toString('base64url')}`,
          limit: 50,
        },
      ],
    ),
  );

  t.test('path ids', async (t) =>
    run(t, pathIdCase(fx), async (p) => {
      const r = await probe(ctx, {
        method: p.method,
        url: p.url,
        headers: { ...a.auth, ...(p.payload !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(p.payload !== undefined ? { payload: p.payload } : {}),
      });
      assertThat(r.status >= 400, `a made-up or foreign id answered ${r.status}: ${p.method} ${p.url}`);
      if (fx.bIds.includes(p.id))
        assertThat(r.status === 404, `B's id answered ${r.status}, not 404: ${p.method} ${p.url}`);
    }),
  );

  t.test('POST /ingest/:token', async (t) =>
    run(t, ingestCase(fx), async (i) => {
      const r = await probe(ctx, { method: 'POST', url: i.url, headers: i.headers, payload: i.payload });
      if (r.status === 202) {
        assertThat(i.token === fx.openToken, `a 202 for token ${i.token.slice(0, 40)}`);
        const dup = r.body.data.note === 'duplicate';
        assertThat(r.after.events === r.before.events + (dup ? 0 : 1), 'one stored event per 202');
      }
      if (i.token === fx.signedToken)
        assertThat(r.status >= 400, `an unsigned body on a signed source answered ${r.status}`);
    }),
  );

  t.test('POST /v1/outbound-events', async (t) =>
    run(
      t,
      bodyCase({
        event_type: eventTypeName,
        payload: fc.oneof(fc.constant<J>(obj([['id', 'o_1']])), junkValue),
        payload_text: weirdString,
        payload_base64: fc.oneof(fc.base64String({ maxLength: 40 }), weirdString),
        content_type: fc.constantFrom<J>('application/json', 'text/plain; charset=utf-8', 'a/b/c', '\u00e9'),
        event_id: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), weirdString),
        labels: headerMap,
        destination_ids: fc.oneof(fc.array(idOf, { maxLength: 3 }), junkValue),
      }),
      async (s) => {
        const r = await send('POST', '/v1/outbound-events', a.auth, s);
        if (r.status === 202) {
          const dup = r.body.data.note === 'duplicate';
          assertThat(r.after.events === r.before.events + (dup ? 0 : 1), 'one stored event per 202');
          assertThat(
            !(parsed(s).destination_ids as string[] | undefined)?.some((id) => fx.bIds.includes(id)),
            "published to B's destination",
          );
        }
      },
      [
        {
          contentType: 'application/json',
          payload: `{"event_type":"misc.thing","payload":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        },
      ],
    ),
  );

  // The API ran in this process: thousands of `__proto__` and `constructor.prototype` keys later,
  // no object may have grown a property.
  t.test('no prototype was polluted', async (t) => {
    const probeObj: Record<string, unknown> = {};
    t.notOk(
      'polluted' in probeObj || 'polluted' in Object.prototype || 'polluted' in Function.prototype,
      'Object.prototype is clean',
    );
  });
});
