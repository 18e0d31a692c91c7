// Input that reaches the read models: event-type patterns in the event log's filters, text that
// Postgres cannot hold, and replay actions without a body; on the whole system (real NATS and Postgres).
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { createPool } from '@hookstream/store';
import { createTestDatabase, startReceiver, waitFor } from '@hookstream/testkit';
import { createLogger } from '@hookstream/observability';
import { createPublisher } from '@hookstream/broker';
import { client, startSystem } from '../../../test/e2e/harness.ts';
import { errors } from '../src/errors.ts';
import { buildApi } from '../src/build.ts';
import { create, signup, startApi } from './harness.ts';

const TYPES = [
  'order.created',
  'order.paid',
  'order.item.added',
  'orders.created',
  'order_item.shipped',
  'orderXitem.shipped',
  'payment.succeeded',
  'order',
];

t.test(
  'event-type patterns in the event log, exports and bulk replays match what routes match; bad text is a 400',
  async (t) => {
    const gw = await startSystem(t);
    const app = gw.api as NonNullable<typeof gw.api>;
    const receiver = await startReceiver(t);
    const a = await signup(app, 'acme');
    const api = client(gw.url as string, a.key);
    const src = await create(app, a, '/v1/sources', { name: 'shop' });
    const dst = await create(app, a, '/v1/destinations', { name: 'sink', url: `${receiver.url}/sink` });
    await create(app, a, '/v1/routes', { destination_id: dst.id });

    const ids = new Map<string, string>();
    for (const type of TYPES) {
      const r = await api.ingest(src.path_token as string, '{"n":1}', {
        'content-type': 'application/json',
        'x-event-type': type,
      });
      t.equal(r.status, 202);
      ids.set(r.json.data.id, type);
    }
    const untyped = await api.ingest(src.path_token as string, '{"n":2}', { 'content-type': 'application/json' });
    ids.set(untyped.json.data.id, '');
    await waitFor(
      async () =>
        (await api.call('GET', '/v1/events?limit=500')).json.data.filter((e: any) => e.status === 'delivered')
          .length === ids.size,
      {
        timeoutMs: 30_000,
        message: 'every event delivered and projected',
      },
    );
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();

    const listed = async (filter: string) => {
      const r = await api.call('GET', `/v1/events?limit=500&event_type=${encodeURIComponent(filter)}`);
      t.equal(r.status, 200, `${filter}: ${JSON.stringify(r.json).slice(0, 200)}`);
      return r.json.data.map((e: any) => e.event_type).sort();
    };
    const expect: Array<[string, string[]]> = [
      ['order.*', ['order.created', 'order.paid']],
      ['order.**', ['order.created', 'order.item.added', 'order.paid']],
      ['order.>', ['order.created', 'order.item.added', 'order.paid']],
      ['*.created', ['order.created', 'orders.created']],
      ['*', ['order']],
      ['**', [...TYPES].sort()],
      ['order_item.*', ['order_item.shipped']], // `_` is a LIKE wildcard: escaped, it matches itself only
      ['order.created', ['order.created']],
      ['order', ['order']],
    ];
    for (const [filter, types] of expect) t.same(await listed(filter), types, filter);
    const outbound = await api.call('GET', '/v1/outbound-events?event_type=order.*');
    t.same(outbound.json.data, [], 'the outbound list takes the same patterns');

    const bad = await api.call('GET', `/v1/events?event_type=${encodeURIComponent('order.*x')}`);
    t.equal(bad.status, 400);
    t.match(bad.json, {
      code: 'bad_request',
      error: /^querystring\.event_type: the pattern segment "\*x" mixes wildcards/,
    });
    const midTail = await api.call('POST', '/v1/replays', { since, until, event_type: 'order.**.paid' });
    t.equal(midTail.status, 400);
    t.match(midTail.json.error, /^body\.event_type: "\*\*" is only allowed as the last segment of the pattern/);

    // Text that Postgres cannot hold answers 400, never 503 "retry".
    for (const text of ['\u0000', 'order.\u0000', '\ud800', 'x\udc00y']) {
      const replay = await api.call('POST', '/v1/replays', { since, until, event_type: text });
      t.equal(replay.status, 400, `replay ${JSON.stringify(text)}: ${JSON.stringify(replay.json)}`);
      t.match(replay.json, {
        code: 'validation_failed',
        error: 'body.event_type: must not contain NUL characters or unpaired UTF-16 surrogates',
      });
      const exp = await api.call('POST', '/v1/exports', {
        kind: 'events',
        format: 'csv',
        filter: { event_type: text },
      });
      t.equal(exp.status, 400, `export ${JSON.stringify(text)}`);
      t.match(exp.json.error, /^body\.filter\.event_type: must not contain NUL/);
    }
    const nul = await api.call('GET', '/v1/events?event_type=%00');
    t.equal(nul.status, 400);
    t.match(nul.json.error, /^querystring\.event_type: must not contain NUL/);
    t.equal((await api.call('GET', '/v1/replays')).json.data.length, 0, 'no replay was created');
    t.equal((await api.call('GET', '/v1/exports')).json.data.length, 0, 'no export was created');
    const emoji = await api.call('GET', `/v1/events?event_type=${encodeURIComponent('order.😀')}`);
    t.equal(emoji.status, 200, 'a surrogate pair is text');

    // Exports and bulk replays filter by the same patterns.
    const exp = await api.call('POST', '/v1/exports', {
      kind: 'events',
      format: 'ndjson',
      filter: { event_type: 'order.*' },
    });
    t.equal(exp.status, 202, JSON.stringify(exp.json));
    const done = await waitFor(
      async () => {
        const r = await api.call('GET', `/v1/exports/${exp.json.data.id}`);
        return r.json.data.status === 'completed' ? r.json.data : null;
      },
      { timeoutMs: 30_000, message: 'export completed' },
    );
    t.equal(done.rows, 2, 'the export holds order.created and order.paid');
    const replay = await api.call('POST', '/v1/replays', { since, until, event_type: 'order.**' });
    t.equal(replay.status, 202, JSON.stringify(replay.json));
    const finished = await waitFor(
      async () => {
        const r = await api.call('GET', `/v1/replays/${replay.json.data.id}`);
        return ['completed', 'failed', 'cancelled'].includes(r.json.data.status) ? r.json.data : null;
      },
      { timeoutMs: 30_000, message: 'replay finished' },
    );
    t.match(finished, { status: 'completed', matched: 3, replayed: 3 });

    // Replay actions take a missing or empty body.
    const [first] = [...ids.keys()];
    for (const [name, body, headers] of [
      ['no body', undefined, {}],
      ['JSON content type, empty body', '', { 'content-type': 'application/json' }],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: `/v1/events/${first}/replay`,
        headers: { ...a.auth, ...headers },
        ...(body !== undefined ? { payload: body } : {}),
      });
      t.equal(r.statusCode, 202, `event replay, ${name}: ${r.body}`);
      t.equal(r.json().data.deliveries.length, 1);
    }
    const out = await app.inject({
      method: 'POST',
      url: '/v1/outbound-events',
      headers: a.auth,
      payload: { event_type: 'order.created', payload: { n: 3 } },
    });
    t.equal(out.statusCode, 202);
    const outId = out.json().data.id;
    await waitFor(
      async () => (await api.call('GET', `/v1/outbound-events/${outId}`)).json.data?.status === 'delivered',
      { timeoutMs: 30_000, message: 'outbound delivered' },
    );
    for (const [name, body, headers] of [
      ['no body', undefined, {}],
      ['JSON content type, empty body', '', { 'content-type': 'application/json' }],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: `/v1/outbound-events/${outId}/replay`,
        headers: { ...a.auth, ...headers },
        ...(body !== undefined ? { payload: body } : {}),
      });
      t.equal(r.statusCode, 202, `outbound replay, ${name}: ${r.body}`);
    }
  },
);

t.test('a Postgres data exception on any route answers 400 from the one error handler, never 503', async (t) => {
  const pool = createPool(await createTestDatabase(t));
  t.teardown(() => pool.end());
  // A route of the test's own, registered like every extra route plugin: it sends the caller's text
  // to Postgres as it is, raw or wrapped as the ports' callers wrap their failures.
  const probe = async (app: FastifyInstance) => {
    app.post('/probe', async (request) => {
      const { text, wrapped, cast } = request.body as { text: string; wrapped?: boolean; cast: string };
      try {
        await pool.query(`SELECT $1::${cast === 'jsonb' ? 'jsonb' : cast === 'int' ? 'int4' : 'text'}`, [text]);
      } catch (err) {
        if (wrapped) throw errors.unavailable('the event log is unavailable right now; retry', err);
        throw err;
      }
      return { data: 'stored' };
    });
  };
  const base = await startApi(t);
  const app = await buildApi({
    settings: base.settings,
    catalog: base.catalog,
    publisher: createPublisher(base.broker),
    log: createLogger('silent'),
    plugins: [probe],
  });
  t.teardown(() => app.close());
  const a = await signup(app, 'a');
  for (const [text, cast, sqlstate] of [
    [
      'a\u0000b',
      'text',
      /invalid byte sequence.*0x00.*: text may not contain NUL characters or unpaired UTF-16 surrogates/,
    ],
    ['"\\u0000"', 'jsonb', /unsupported Unicode escape sequence.*: text may not contain NUL/],
    ['"\\ud800"', 'jsonb', /Unicode/],
    ['99999999999', 'int', /out of range/],
  ] as const) {
    for (const wrapped of [false, true]) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/probe',
        headers: a.auth,
        payload: { text, cast, wrapped },
      });
      t.equal(r.statusCode, 400, `${JSON.stringify(text)} as ${cast}${wrapped ? ', wrapped' : ''}: ${r.body}`);
      t.match(r.json(), { code: 'invalid_data', error: sqlstate, duration_ms: Number });
    }
  }
  const fine = await app.inject({
    method: 'POST',
    url: '/v1/probe',
    headers: a.auth,
    payload: { text: 'plain', cast: 'text' },
  });
  t.equal(fine.statusCode, 200);
});
