import { createHmac, randomBytes } from 'node:crypto';
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { create, metaOf, signup, startApi, storedEvents } from './harness.ts';

const MB5 = 5 * 1024 * 1024;

t.test('ingest stores the raw body before answering, and dedupes on idempotency keys', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app);
  const src = await create(app, acme, '/v1/sources', { name: 'stripe' });
  t.match(src.path_token, /^src_[A-Za-z0-9_-]{32}$/);
  t.equal(src.ingest_url, `http://localhost:8080/ingest/${src.path_token}`);

  const body = '{"type":"payment.succeeded","amount":2000}';
  const res = await app.inject({
    method: 'POST',
    url: `/ingest/${src.path_token}`,
    headers: {
      'content-type': 'application/json',
      'x-event-type': 'payment.succeeded',
      'x-webhook-id': 'evt_1',
      authorization: 'Bearer secret-of-the-sender',
      cookie: 'session=abc',
      'x-custom': 'kept',
    },
    payload: body,
  });
  t.equal(res.statusCode, 202);
  const data = res.json().data;
  t.equal(data.status, 'queued');
  t.match(data.id, /^[0-9a-f-]{36}$/);
  t.type(res.json().duration_ms, 'number');

  const dup = await app.inject({
    method: 'POST',
    url: `/ingest/${src.path_token}`,
    headers: { 'content-type': 'application/json', 'x-webhook-id': 'evt_1' },
    payload: body,
  });
  t.equal(dup.statusCode, 202);
  t.same(dup.json().data, { status: 'accepted', note: 'duplicate' });

  // The other idempotency headers count too.
  for (const h of ['x-event-id', 'idempotency-key', 'x-request-id']) {
    const a = await app.inject({
      method: 'POST',
      url: `/ingest/${src.path_token}`,
      headers: { [h]: `k-${h}` },
      payload: 'x',
    });
    const b = await app.inject({
      method: 'POST',
      url: `/ingest/${src.path_token}`,
      headers: { [h]: `k-${h}` },
      payload: 'x',
    });
    t.equal(a.json().data.status, 'queued', h);
    t.equal(b.json().data.note, 'duplicate', h);
  }

  // Another source with the same key does not collide.
  const other = await create(app, acme, '/v1/sources', { name: 'github' });
  const o = await app.inject({
    method: 'POST',
    url: `/ingest/${other.path_token}`,
    headers: { 'x-webhook-id': 'evt_1' },
    payload: body,
  });
  t.equal(o.json().data.status, 'queued');

  const stored = await storedEvents(broker);
  t.equal(stored.length, 5, 'one message per non-duplicate request');
  const ids = stored.map((m) => metaOf(m).event_id as string);
  t.ok(
    ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
    'event ids are UUIDv7',
  );
  t.same([...ids].sort(), ids, 'in the order the events were received, so that read models index them in order');
  const first = stored[0] as (typeof stored)[number];
  t.equal(first.data.toString(), body, 'body byte-exact');
  const meta = metaOf(first);
  t.equal(meta.event_id, data.id);
  t.equal(meta.event_type, 'payment.succeeded');
  t.equal(meta.source_id, src.id);
  t.equal(meta.account_id, acme.accountId);
  t.equal(meta.idempotency_key, 'evt_1');
  const hdrs = meta.headers as Record<string, string>;
  t.equal(hdrs['x-custom'], 'kept');
  t.notOk('authorization' in hdrs, 'Authorization never stored');
  t.notOk('cookie' in hdrs, 'Cookie never stored');
});

t.test('bodies of any content type and size up to 5 MB are stored byte-exact; 5 MB + 1 is refused', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app);
  const src = await create(app, acme, '/v1/sources', { name: 'any' });
  const bodies: Array<[string, Buffer]> = [
    ['application/json', Buffer.alloc(0)],
    ['application/json; charset=utf-8', Buffer.from('{"a":"é"}')],
    ['application/json', Buffer.from('{not json')],
    ['application/octet-stream', randomBytes(4096)],
    ['application/x-www-form-urlencoded', Buffer.from('a=1&b=%C3%A9&c=x+y')],
    ['application/xml', Buffer.from('<?xml version="1.0"?><event type="x">é</event>')],
    ['text/plain', Buffer.alloc(MB5, 0x61)],
  ];
  for (const [ct, b] of bodies) {
    const res = await app.inject({
      method: 'POST',
      url: `/ingest/${src.path_token}`,
      headers: { 'content-type': ct },
      payload: b,
    });
    t.equal(res.statusCode, 202, `${ct} ${b.length} bytes accepted`);
  }
  const noType = await app.inject({ method: 'POST', url: `/ingest/${src.path_token}` });
  t.equal(noType.statusCode, 202, 'no content type and no body accepted');

  const tooBig = await app.inject({
    method: 'POST',
    url: `/ingest/${src.path_token}`,
    headers: { 'content-type': 'text/plain' },
    payload: Buffer.alloc(MB5 + 1, 0x62),
  });
  t.equal(tooBig.statusCode, 413);
  t.type(tooBig.json().error, 'string');

  const stored = await storedEvents(broker);
  t.equal(stored.length, bodies.length + 1, 'the oversized body was not stored');
  bodies.forEach(([ct, b], i) => {
    t.ok((stored[i] as { data: Buffer }).data.equals(b), `${ct} byte-exact`);
    t.equal(metaOf(stored[i] as { headers: Record<string, string> }).content_type, ct);
  });
});

t.test('unknown and inactive tokens get 404', async (t) => {
  const { app, broker } = await startApi(t);
  const acme = await signup(app);
  const src = await create(app, acme, '/v1/sources', { name: 'x', active: false });
  const a = await app.inject({ method: 'POST', url: '/ingest/src_nope', payload: 'x' });
  t.equal(a.statusCode, 404);
  t.type(a.json().error, 'string');
  const b = await app.inject({ method: 'POST', url: `/ingest/${src.path_token}`, payload: 'x' });
  t.equal(b.statusCode, 404);
  t.equal((await storedEvents(broker)).length, 0);
});

t.test(
  'provider verification: valid accepted; changed body, wrong secret, stale timestamp, missing header refused and not stored',
  async (t) => {
    const { app, broker } = await startApi(t);
    const acme = await signup(app);
    const now = Math.floor(Date.now() / 1000);
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    const hmac = (alg: string, key: string | Buffer, data: string, enc: 'hex' | 'base64') =>
      createHmac(alg, key).update(data).digest(enc);

    const whsec = `whsec_${randomBytes(24).toString('base64')}`;
    const stripeSecret = `whsec_${randomBytes(16).toString('hex')}`;
    const cases: Array<{
      provider: string;
      config: Record<string, unknown>;
      sign: (body: string, secret: string, ts: number) => Record<string, string>;
      secret: string;
      stale?: boolean;
    }> = [
      {
        provider: 'stripe',
        secret: stripeSecret,
        config: {},
        sign: (b, s, ts) => ({
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: b, secret: s, timestamp: ts }),
        }),
        stale: true,
      },
      {
        provider: 'github',
        secret: 'gh-secret',
        config: {},
        sign: (b, s) => ({ 'x-hub-signature-256': `sha256=${hmac('sha256', s, b, 'hex')}` }),
      },
      {
        provider: 'shopify',
        secret: 'shp-secret',
        config: {},
        sign: (b, s) => ({ 'x-shopify-hmac-sha256': hmac('sha256', s, b, 'base64') }),
      },
      {
        provider: 'standard_webhooks',
        secret: whsec,
        config: {},
        sign: (b, s, ts) => {
          const id = `msg_${randomBytes(6).toString('hex')}`;
          const sig = new Webhook(s).sign(id, new Date(ts * 1000), b);
          return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
        },
        stale: true,
      },
      {
        provider: 'hmac',
        secret: 'generic-secret',
        config: { header: 'x-acme-signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=' },
        sign: (b, s) => ({ 'x-acme-signature': `sha512=${hmac('sha512', s, b, 'base64')}` }),
      },
    ];
    // GitHub's own signer agrees with ours.
    t.equal(await githubSign('gh-secret', body), `sha256=${hmac('sha256', 'gh-secret', body, 'hex')}`);

    let accepted = 0;
    for (const c of cases) {
      const src = await create(app, acme, '/v1/sources', {
        name: c.provider,
        auth_mode: 'shared_secret',
        verification_config: { provider: c.provider, secret: c.secret, ...c.config },
      });
      t.equal((src.verification_config as { secret_set: boolean }).secret_set, true);
      t.notOk(JSON.stringify(src).includes(c.secret), 'secret never returned');
      const post = (payload: string, headers: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: `/ingest/${src.path_token}`,
          headers: { 'content-type': 'application/json', ...headers },
          payload,
        });

      const good = await post(body, c.sign(body, c.secret, now));
      t.equal(good.statusCode, 202, `${c.provider}: valid signature accepted`);
      accepted++;
      const changed = await post(`${body} `, c.sign(body, c.secret, now));
      t.equal(changed.statusCode, 401, `${c.provider}: changed body refused`);
      t.match(changed.json().error, /signature/);
      const wrong = await post(
        body,
        c.sign(
          body,
          c.provider === 'standard_webhooks' ? `whsec_${randomBytes(24).toString('base64')}` : `${c.secret}x`,
          now,
        ),
      );
      t.equal(wrong.statusCode, 401, `${c.provider}: wrong secret refused`);
      const missing = await post(body, {});
      t.equal(missing.statusCode, 401, `${c.provider}: missing header refused`);
      t.match(missing.json().error, /missing|header/i);
      if (c.stale) {
        const stale = await post(body, c.sign(body, c.secret, now - 3600));
        t.equal(stale.statusCode, 401, `${c.provider}: stale timestamp refused`);
        t.match(stale.json().error, /tolerance|timestamp/i);
      }
    }
    t.equal((await storedEvents(broker)).length, accepted, 'only verified webhooks were stored');
  },
);

t.test(
  'provider delivery ids: the same signed request sent again is stored once; another delivery id is another event',
  async (t) => {
    const { app, broker } = await startApi(t);
    const acme = await signup(app);
    const now = Math.floor(Date.now() / 1000);
    const hmac = (alg: string, key: string, data: string, enc: 'hex' | 'base64') =>
      createHmac(alg, key).update(data).digest(enc);
    const whsec = `whsec_${randomBytes(24).toString('base64')}`;
    const stripeSecret = `whsec_${randomBytes(16).toString('hex')}`;
    // Each provider's signed request for a delivery id; `ts` moves as it does on a provider's own retry.
    type Signed = { body: string; headers: Record<string, string> };
    const cases: Array<{
      provider: string;
      secret: string;
      request: (id: string, ts: number) => Signed | Promise<Signed>;
    }> = [
      {
        provider: 'github',
        secret: 'gh-secret',
        request: async (id) => {
          const body = '{"action":"opened","number":7}';
          return {
            body,
            headers: {
              'x-github-delivery': id,
              'x-github-event': 'pull_request',
              'x-hub-signature-256': await githubSign('gh-secret', body),
            },
          };
        },
      },
      {
        provider: 'shopify',
        secret: 'shp-secret',
        request: (id) => {
          const body = '{"id":820982911946154500,"email":"jon@example.com"}';
          return {
            body,
            headers: {
              'x-shopify-webhook-id': id,
              'x-shopify-topic': 'orders/create',
              'x-shopify-hmac-sha256': hmac('sha256', 'shp-secret', body, 'base64'),
            },
          };
        },
      },
      {
        provider: 'standard_webhooks',
        secret: whsec,
        request: (id, ts) => {
          const body = '{"type":"invoice.paid","data":{}}';
          return {
            body,
            headers: {
              'webhook-id': id,
              'webhook-timestamp': String(ts),
              'webhook-signature': new Webhook(whsec).sign(id, new Date(ts * 1000), body),
            },
          };
        },
      },
      {
        provider: 'stripe',
        secret: stripeSecret,
        request: (id, ts) => {
          const body = JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } });
          return {
            body,
            headers: {
              'stripe-signature': Stripe.webhooks.generateTestHeaderString({
                payload: body,
                secret: stripeSecret,
                timestamp: ts,
              }),
            },
          };
        },
      },
    ];
    let expected = 0;
    for (const c of cases) {
      const src = await create(app, acme, '/v1/sources', {
        name: c.provider,
        auth_mode: 'shared_secret',
        verification_config: { provider: c.provider, secret: c.secret },
      });
      const send = (r: Signed) =>
        app.inject({
          method: 'POST',
          url: `/ingest/${src.path_token}`,
          headers: { 'content-type': 'application/json', ...r.headers },
          payload: r.body,
        });
      const captured = await c.request(`${c.provider}-d1`, now);
      const first = await send(captured);
      t.equal(first.json().data.status, 'queued', `${c.provider}: first delivery stored`);
      const replayed = await send(captured);
      t.equal(replayed.statusCode, 202, `${c.provider}: the replay answers 202`);
      t.same(
        replayed.json().data,
        { status: 'accepted', note: 'duplicate' },
        `${c.provider}: the same signed request again is a duplicate`,
      );
      const retried = await send(await c.request(`${c.provider}-d1`, now + 30));
      t.same(
        retried.json().data,
        { status: 'accepted', note: 'duplicate' },
        `${c.provider}: the provider's retry of the delivery, signed anew, is a duplicate`,
      );
      const next = await send(await c.request(`${c.provider}-d2`, now));
      t.equal(next.json().data.status, 'queued', `${c.provider}: another delivery id is another event`);
      expected += 2;
      // An explicit key wins over the provider's id.
      const explicit = await send({
        ...captured,
        headers: { ...captured.headers, 'idempotency-key': `${c.provider}-explicit` },
      });
      t.equal(explicit.json().data.status, 'queued', `${c.provider}: an explicit idempotency key is the key`);
      expected += 1;
    }
    const stored = await storedEvents(broker);
    t.equal(stored.length, expected, 'one message per delivery');
    const keys = stored.map((m) => metaOf(m).idempotency_key);
    t.same(
      keys,
      cases.flatMap((c) => [`${c.provider}-d1`, `${c.provider}-d2`, `${c.provider}-explicit`]),
      "the provider's delivery id is the event's idempotency key",
    );

    // A Stripe body without an id has no key; neither has an unverified source, whatever its headers say.
    const stripe = await create(app, acme, '/v1/sources', {
      name: 'stripe-noid',
      auth_mode: 'shared_secret',
      verification_config: { provider: 'stripe', secret: stripeSecret },
    });
    const noId = '{"object":"event","type":"invoice.paid"}';
    const open = await create(app, acme, '/v1/sources', { name: 'open' });
    for (let i = 0; i < 2; i++) {
      const s = await app.inject({
        method: 'POST',
        url: `/ingest/${stripe.path_token}`,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({
            payload: noId,
            secret: stripeSecret,
            timestamp: now,
          }),
        },
        payload: noId,
      });
      t.equal(s.json().data.status, 'queued', `stripe body without an id, sent ${i + 1}×: stored`);
      const o = await app.inject({
        method: 'POST',
        url: `/ingest/${open.path_token}`,
        headers: { 'x-github-delivery': 'same', 'webhook-id': 'same' },
        payload: 'x',
      });
      t.equal(o.json().data.status, 'queued', `unverified source, sent ${i + 1}×: stored`);
    }
    t.equal((await storedEvents(broker)).length, expected + 4);
  },
);
