// Every SDK method against the whole running system (every role, real NATS and Postgres, real HTTP).
// A tracker records each method called; the last test fails if any public method went unexercised.
import t from 'tap';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { TEST_OPERATOR_TOKEN, startSystem } from '../../../test/e2e/harness.ts';
import type { HookstreamError } from './index.ts';
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  Hookstream,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ValidationError,
  verifyWebhook,
} from './index.ts';

const called = new Set<string>();

/** Every public method of the client and of its resource groups, as "group.method". */
function publicMethods(client: Hookstream): string[] {
  const names: string[] = [];
  const methodsOf = (obj: object, prefix: string) => {
    for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
        if (k !== 'constructor' && typeof d.value === 'function' && !names.includes(`${prefix}${k}`))
          names.push(`${prefix}${k}`);
      }
    }
  };
  methodsOf(client, '');
  for (const [group, value] of Object.entries(client))
    if (value && typeof value === 'object') methodsOf(value, `${group}.`);
  return names.sort();
}

/** The client, with every method call recorded. */
function tracked(client: Hookstream): Hookstream {
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const v = Reflect.get(obj, prop, receiver);
        if (typeof prop !== 'string') return v;
        if (typeof v === 'function') {
          return (...args: unknown[]) => {
            called.add(`${prefix}${prop}`);
            const out = (v as (...a: unknown[]) => unknown).apply(obj, args);
            return out instanceof Hookstream ? tracked(out) : out;
          };
        }
        return v && typeof v === 'object' && !prefix ? wrap(v, `${prop}.`) : v;
      },
    });
  return wrap(client, '');
}

const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

t.test('the SDK against a running Hookstream', async (t) => {
  const gw = await startSystem(t, { signupRatePerMinute: 8 });
  const receiver = await startReceiver(t);
  const anon = tracked(new Hookstream({ baseUrl: gw.url as string }));

  t.same(await anon.health(), { status: 'ok' });
  t.equal((await anon.ready()).status, 'ready');

  // ---- accounts, the current account, keys
  const selfService = await anon.accounts.create({ name: 'acme', plan: 'pro' }).catch((e: unknown) => e);
  t.type(selfService, PermissionError, 'a plan is not self-service');
  t.equal((selfService as PermissionError).code, 'operator_required');
  const signup = await anon.accounts.create({ name: 'acme', plan: 'pro' }, { operatorToken: TEST_OPERATOR_TOKEN });
  t.match(signup.api_key, /^hk_/);
  t.equal(signup.account.retention_days, 30);
  await t.rejects(anon.accounts.create({ name: '' }), ValidationError, 'bad bodies are ValidationErrors');
  const hs = anon.withApiKey(signup.api_key);
  t.equal((await hs.account.get()).id, signup.account.id);
  t.equal((await hs.account.update({ name: 'acme inc' })).name, 'acme inc');
  await t.rejects(hs.account.update({ plan: 'enterprise' }), PermissionError, 'nor is a change of plan');
  t.match(
    await hs.account.update({ plan: 'enterprise', retention_days: 400 }, { operatorToken: TEST_OPERATOR_TOKEN }),
    { plan: 'enterprise', retention_days: 400 },
  );

  const key = await hs.apiKeys.create({ name: 'ci' });
  t.match(key.key, /^hk_/);
  const keys = await hs.apiKeys.list({ limit: 1 });
  t.equal(keys.data.length, 1);
  t.type(keys.next_cursor, 'string', 'a second page exists');
  t.same(
    (await all(hs.apiKeys.iterate({ limit: 1 }))).map((k) => k.name).sort(),
    ['bootstrap', 'ci'],
    'iterate follows the cursor',
  );
  const ci = hs.withApiKey(key.key);
  t.equal((await ci.account.get()).id, signup.account.id, 'the new key works');
  await hs.apiKeys.revoke(key.id);
  const revoked = await ci.account.get().catch((e: unknown) => e);
  t.type(revoked, AuthenticationError);
  t.equal((revoked as HookstreamError).status, 401);

  // ---- sources
  const shop = await hs.sources.create({ name: 'shop' });
  t.match(shop.path_token, /^src_/);
  const spare = await hs.sources.create({
    name: 'spare',
    verification_config: { provider: 'github', secret: 'gh-secret' },
  });
  t.equal(spare.auth_mode, 'shared_secret');
  t.equal((await hs.sources.get(shop.id)).name, 'shop');
  t.equal((await hs.sources.update(spare.id, { active: false })).active, false);
  t.equal((await hs.sources.list()).data.length, 2);
  t.equal((await all(hs.sources.iterate({ limit: 1 }))).length, 2);
  await hs.sources.delete(spare.id);
  const gone = await hs.sources.get(spare.id).catch((e: unknown) => e);
  t.type(gone, NotFoundError);
  t.match(gone, { status: 404, code: 'not_found', message: /not found/ });

  // ---- destinations
  const dest = await hs.destinations.create({
    name: 'orders',
    url: `${receiver.url}/orders`,
    retry_policy: { max_attempts: 3 },
  });
  t.match(dest.signing_secret, /^whsec_/, 'a generated secret, shown once');
  const other = await hs.destinations.create({ name: 'other', url: `${receiver.url}/other` });
  t.equal((await hs.destinations.get(dest.id)).url, `${receiver.url}/orders`);
  t.equal((await hs.destinations.update(other.id, { timeout_ms: 5000 })).timeout_ms, 5000);
  t.equal((await hs.destinations.list()).data.length, 2);
  t.equal((await all(hs.destinations.iterate({ limit: 1 }))).length, 2);
  const rotated = await hs.destinations.rotateSecret(dest.id, { overlap_s: 3600 });
  t.match(rotated.signing_secret, /^whsec_/);
  t.not(rotated.signing_secret, dest.signing_secret);
  t.type(rotated.previous_expires_at, 'string');
  await t.rejects(hs.destinations.create({ name: 'bad', url: 'ftp://x' }), ValidationError);

  // ---- routes and event types
  const route = await hs.routes.create({ source_id: shop.id, destination_id: dest.id, event_type_pattern: 'order.*' });
  const outboundRoute = await hs.routes.create({
    source_id: null,
    destination_id: dest.id,
    event_type_pattern: 'invoice.*',
  });
  const toOther = await hs.routes.create({
    source_id: shop.id,
    destination_id: other.id,
    event_type_pattern: 'nothing.*',
  });
  t.equal((await hs.routes.get(route.id)).destination_id, dest.id);
  t.equal((await hs.routes.update(toOther.id, { active: false })).active, false);
  t.same(
    (await hs.routes.list({ destination_id: other.id })).data.map((r) => r.id),
    [toOther.id],
    'list filters',
  );
  t.equal((await all(hs.routes.iterate({ limit: 2 }))).length, 3);
  await hs.routes.delete(toOther.id);
  await hs.destinations.delete(other.id);
  t.equal((await hs.destinations.list()).data.length, 1);

  const invoiceType = await hs.eventTypes.create({
    name: 'invoice.paid',
    schema: { type: 'object', required: ['amount'] },
  });
  await t.rejects(hs.eventTypes.create({ name: 'invoice.paid' }), ConflictError, 'a duplicate name is a ConflictError');
  const draft = await hs.eventTypes.create({ name: 'invoice.draft' });
  t.equal((await hs.eventTypes.get(invoiceType.id)).name, 'invoice.paid');
  t.equal((await hs.eventTypes.update(draft.id, { description: 'a draft' })).description, 'a draft');
  t.equal((await hs.eventTypes.list()).data.length, 2);
  t.equal((await all(hs.eventTypes.iterate({ limit: 1 }))).length, 2);
  await hs.eventTypes.delete(draft.id);

  t.equal((await hs.brandSettings.get()).name, null, 'no brand until one is set');
  t.equal((await hs.brandSettings.upsert({ name: 'Acme', primary_color: '#123456' })).primary_color, '#123456');
  await t.rejects(hs.brandSettings.upsert({ primary_color: 'blue' }), ValidationError, 'colours are validated');
  const domain = await hs.customDomains.create({ hostname: 'hooks.acme-sdk.com' });
  t.equal(domain.status, 'pending');
  t.match(domain.verification.value, /^hookstream-verify=/);
  t.equal((await hs.customDomains.get(domain.id)).hostname, 'hooks.acme-sdk.com');
  t.equal((await hs.customDomains.list()).data.length, 1);
  t.equal((await all(hs.customDomains.iterate({ limit: 1 }))).length, 1);
  t.equal((await hs.customDomains.verify(domain.id)).status, 'failed', 'no TXT record published: not verified');
  await hs.customDomains.delete(domain.id);
  await t.rejects(hs.customDomains.get(domain.id), NotFoundError);

  // ---- ingest → delivered → event log → replay
  const accepted = await anon.ingest(
    shop.path_token,
    { id: 'o_1', total: 42 },
    { 'x-event-type': 'order.created', 'x-webhook-id': 'o_1' },
  );
  t.equal(accepted.status, 'queued');
  t.same(await anon.ingest(shop.path_token, '{"id":"o_1","total":42}', { 'x-webhook-id': 'o_1' }), {
    status: 'accepted',
    note: 'duplicate',
  });
  await t.rejects(anon.ingest('src_nope', 'x'), NotFoundError);
  const [req] = await receiver.waitForCount(1, 15_000);
  const verified = verifyWebhook({ secret: rotated.signing_secret, headers: req!.headers, body: req!.body });
  t.equal(verified.eventId, accepted.id, 'the delivery verifies with the new secret');
  t.ok(
    verifyWebhook({ secret: dest.signing_secret as string, headers: req!.headers, body: req!.body }),
    'and with the old one during the overlap',
  );
  t.equal(req!.body.toString(), '{"id":"o_1","total":42}');

  const event = await waitFor(
    async () => {
      const e = await hs.events.get(accepted.id as string);
      return e.status === 'delivered' && e.deliveries[0]?.attempts.length === 1 ? e : null;
    },
    { timeoutMs: 15_000, message: 'event delivered and projected' },
  );
  t.equal(event.deliveries[0]!.attempts[0]!.status_code, 200);
  t.same(
    (await hs.events.list({ status: 'delivered' })).data.map((e) => e.id),
    [accepted.id],
  );
  t.equal((await all(hs.events.iterate({ limit: 1, direction: 'inbound' }))).length, 1);
  const replay = await hs.events.replay(accepted.id as string);
  t.equal(replay.deliveries.length, 1);
  t.not(replay.deliveries[0]!.id, event.deliveries[0]!.id, 'a replay is a new delivery');
  await receiver.waitForCount(2, 15_000);

  // ---- outbound
  await t.rejects(
    hs.outboundEvents.publish({ event_type: 'invoice.paid', payload: {} }),
    ValidationError,
    'the schema is enforced',
  );
  const published = await hs.outboundEvents.publish({
    event_type: 'invoice.paid',
    payload: { amount: 100 },
    event_id: 'inv_1',
  });
  t.equal(published.status, 'queued');
  t.equal(
    (await hs.outboundEvents.publish({ event_type: 'invoice.paid', payload: { amount: 100 }, event_id: 'inv_1' })).note,
    'duplicate',
  );
  const out = await waitFor(
    async () => {
      const e = await hs.outboundEvents.get(published.id);
      return e.status === 'delivered' ? e : null;
    },
    { timeoutMs: 15_000, message: 'outbound event delivered' },
  );
  t.equal(out.deliveries.length, 1);
  t.same(
    (await hs.outboundEvents.list()).data.map((e) => e.id),
    [published.id],
  );
  t.equal((await all(hs.outboundEvents.iterate({ limit: 1 }))).length, 1);
  t.equal(
    (await hs.outboundEvents.replay(published.id, { destination_id: dest.id })).deliveries[0]!.destination_id,
    dest.id,
  );
  await t.rejects(
    hs.outboundEvents.get(accepted.id as string),
    NotFoundError,
    'an inbound event is not an outbound one',
  );
  t.ok(outboundRoute.id);

  // ---- bulk replay of a window, with progress
  const window = {
    since: new Date(Date.now() - 10 * 60_000).toISOString(),
    until: new Date(Date.now() + 60_000).toISOString(),
  };
  const bulk = await hs.replays.create({ ...window, source_id: shop.id });
  t.match(bulk, { status: /^(queued|running|completed)$/, filter: { source_id: shop.id } });
  t.equal((await hs.replays.get(bulk.id)).id, bulk.id);
  const seen: string[] = [];
  const finished = await hs.replays.wait(bulk.id, { intervalMs: 100, onProgress: (r) => seen.push(r.status) });
  t.equal(finished.status, 'completed');
  t.ok(seen.length >= 1 && seen.at(-1) === 'completed', 'progress reported on every poll');
  t.equal(finished.replayed, 1, 'the one inbound event of the source was replayed');
  t.equal(finished.deliveries, 1);
  await receiver.waitForCount(5, 15_000);
  await t.rejects(hs.replays.create({ since: window.until, until: window.since }), ValidationError);
  const second = await hs.replays.create({ ...window, event_type: 'nothing.matches' });
  // Cancelling races the job: a cancelled replay, or a ConflictError when it had already finished.
  const cancelled = await hs.replays.cancel(second.id).catch((e: unknown) => e);
  if (cancelled instanceof ConflictError) t.equal((await hs.replays.get(second.id)).status, 'completed');
  else t.equal((cancelled as { status: string }).status, 'cancelled');
  t.same((await hs.replays.list()).data.map((r) => r.id).sort(), [bulk.id, second.id].sort());
  t.equal((await all(hs.replays.iterate({ limit: 1 }))).length, 2);
  await t.rejects(hs.replays.get('00000000-0000-4000-8000-000000000000'), NotFoundError);

  // ---- exports: create, follow, download as a stream
  const exp = await hs.exports.create({ kind: 'events', format: 'ndjson' });
  t.equal(exp.kind, 'events');
  const ready = await hs.exports.wait(exp.id, { intervalMs: 100 });
  t.equal(ready.status, 'completed');
  t.equal(ready.rows, 2, 'the inbound and the outbound event');
  t.equal((await hs.exports.get(exp.id)).rows, 2);
  const file = await hs.exports.download(exp.id);
  t.match(file.contentType, /ndjson/);
  t.equal(typeof file.body.getReader, 'function', 'a web ReadableStream');
  let text = '';
  for await (const chunk of file.body as unknown as AsyncIterable<Uint8Array>)
    text += Buffer.from(chunk).toString('utf8');
  const rows = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.same(rows.map((r) => r.id).sort(), [accepted.id, published.id].sort(), 'the file holds the events');
  const csv = await hs.exports.create({ kind: 'attempts', format: 'csv', filter: { direction: 'inbound' } });
  t.equal((await hs.exports.wait(csv.id, { intervalMs: 100 })).status, 'completed');
  const csvFile = await hs.exports.download(csv.id);
  t.match(csvFile.contentType, /csv/);
  t.match(await new Response(csvFile.body).text(), /^event_id,delivery_id,[a-z_,]+\r\n/, 'a CSV header line');
  t.same((await hs.exports.list()).data.map((e) => e.id).sort(), [exp.id, csv.id].sort());
  t.equal((await all(hs.exports.iterate({ limit: 1 }))).length, 2);

  // ---- the audit log: the changes above, read back, filtered, paged and downloaded
  const exportsMade = await waitFor(
    async () => {
      const page = await hs.auditLog.list({ action: 'export.create' });
      return page.data.length === 2 ? page.data : null;
    },
    { timeoutMs: 15_000, message: 'export.create entries projected' },
  );
  t.same(exportsMade.map((e) => e.ids.export_id).sort(), [exp.id, csv.id].sort());
  t.equal(exportsMade[0]?.actor.type, 'api_key');
  t.equal(
    (await all(hs.auditLog.iterate({ action: 'export.*', limit: 1 }))).filter((e) => e.action === 'export.create')
      .length,
    2,
  );
  const auditCsv = await hs.auditLog.download('csv', { action: 'export.create' });
  t.match(auditCsv.filename, /^audit-log-.*\.csv$/);
  const auditText = await new Response(auditCsv.body).text();
  t.match(auditText, /^id,at,actor_type,actor_id,/);
  t.equal(auditText.trim().split('\r\n').length, 3, 'a header and the two entries');
  await t.rejects(hs.auditLog.list({ since: 'yesterday' }), ValidationError);

  // ---- the console's cookie mode, as the browser uses it: same origin, no key, the console header
  const jar = new Map<string, string>();
  const sent: RequestInit[] = [];
  const browserFetch = async (input: string, init: RequestInit) => {
    sent.push(init);
    const headers = new Headers(init.headers);
    if (init.credentials === 'same-origin' && jar.size > 0)
      headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(`${gw.url}${input}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Expires=Thu, 01 Jan 1970/.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  const browser = tracked(new Hookstream({ baseUrl: '', session: true, fetch: browserFetch }));
  const wrong = await browser.console.signIn('hk_not_a_key_0000000000').catch((e: unknown) => e);
  t.type(wrong, AuthenticationError);
  t.match(wrong, { code: 'invalid_credentials', message: 'That API key is not valid.' });
  const signedIn = await browser.console.signIn(signup.api_key);
  t.equal(signedIn.account.id, signup.account.id);
  t.ok(jar.has('hs_console'), 'the server set the session cookie');
  const session = await browser.console.session();
  t.equal(session.brand?.name, 'Acme', 'the session carries the brand settings');
  t.same(
    (await browser.events.list({ status: 'delivered', direction: 'inbound' })).data.map((e) => e.id),
    [accepted.id],
    'GET /v1/events with the cookie',
  );
  t.equal(
    (await browser.brandSettings.upsert({ name: 'Acme' })).name,
    'Acme',
    'a mutation with the cookie and the header',
  );
  t.ok(
    sent.every((i) => i.credentials === 'same-origin' && !new Headers(i.headers).has('authorization')),
    'no key leaves the browser',
  );
  t.ok(
    sent.every((i) => new Headers(i.headers).get('x-hookstream-console') === '1'),
    'every request carries the console header',
  );
  await browser.console.signOut();
  t.notOk(jar.has('hs_console'), 'sign-out clears the cookie');
  await t.rejects(browser.console.session(), { code: 'unauthenticated' });
  jar.set('hs_console', 'x'.repeat(43));
  await t.rejects(browser.sources.list(), AuthenticationError, 'a stale cookie is an AuthenticationError');

  // ---- people: invitations, members, roles, password sign-in, single sign-on settings
  const inv = await hs.invites.create({ email: 'Vic@example.com', role: 'viewer' });
  t.match(inv, { email: 'vic@example.com', role: 'viewer', expired: false });
  t.same(
    (await hs.invites.list()).data.map((i) => i.id),
    [inv.id],
  );
  t.equal((await all(hs.invites.iterate({ limit: 1 }))).length, 1);
  const inviteToken = new URL(inv.url).hash.slice(1);
  t.match(await browser.console.invite(inviteToken), { email: 'vic@example.com', role: 'viewer', sso: false });
  const joined = await browser.console.acceptInvite({
    token: inviteToken,
    name: 'Vic',
    password: 'a long enough password',
  });
  t.match(joined, { role: 'viewer', member: { email: 'vic@example.com' }, permissions: ['read'] });
  const refusedReplay = await browser.events.replay(accepted.id as string).catch((e: unknown) => e);
  t.type(refusedReplay, PermissionError, 'a viewer may not replay');
  t.match(refusedReplay, { code: 'forbidden_role' });
  await browser.console.signOut();
  const wrongPassword = await browser.console
    .signInWithPassword({ email: 'vic@example.com', password: 'not it at all' })
    .catch((e: unknown) => e);
  t.match(wrongPassword, { code: 'invalid_credentials' });
  t.equal(
    (await browser.console.signInWithPassword({ email: 'VIC@example.com', password: 'a long enough password' })).role,
    'viewer',
  );
  const vic = (await all(hs.members.iterate())).find((m) => m.email === 'vic@example.com');
  t.equal((await hs.members.setRole(vic!.id, 'developer')).role, 'developer');
  t.same(
    (await hs.members.list()).data.map((m) => m.id),
    [vic!.id],
  );
  await hs.members.remove(vic!.id);
  await t.rejects(browser.console.session(), { code: 'unauthenticated' }, 'removal ends the session');
  const dropped = await hs.invites.create({ email: 'dan@example.com', role: 'developer' });
  await hs.invites.cancel(dropped.id);
  await t.rejects(browser.console.invite(new URL(dropped.url).hash.slice(1)), { code: 'invite_invalid' });
  await t.rejects(hs.sso.get(), NotFoundError);
  const sso = await hs.sso.set({
    issuer: 'https://id.example.com',
    client_id: 'hookstream',
    client_secret: 'client-secret',
  });
  t.match(sso, { issuer: 'https://id.example.com', client_secret_set: true, enabled: true });
  t.match(browser.console.ssoStartUrl(signup.account.id), `/console/sso/start?account=${signup.account.id}`);
  await hs.sso.remove();
  await t.rejects(hs.sso.get(), NotFoundError);
  const viewerKey = await hs.apiKeys.create({ name: 'read-only', role: 'viewer' });
  t.equal(viewerKey.role, 'viewer');

  // ---- the console's data: live events, test events, dead letters, statistics, the filter tester
  receiver.respond((r) => (r.url === '/fail' ? { status: 500, body: 'down' } : { status: 200 }));
  const failing = await hs.destinations.create({
    name: 'failing',
    url: `${receiver.url}/fail`,
    retry_policy: { max_attempts: 1 },
  });
  const ctl = new AbortController();
  const liveSeen: string[] = [];
  const live = (async () => {
    for await (const e of hs.events.live({ direction: 'outbound' }, { signal: ctl.signal }))
      liveSeen.push(`${e.id}:${e.status}`);
  })();
  const probe = await hs.destinations.sendTestEvent(dest.id, { event_type: 'invoice.test', payload: { ok: true } });
  t.type(probe.delivery_id, 'string');
  const doomed = await hs.destinations.sendTestEvent(failing.id);
  await waitFor(
    () => liveSeen.includes(`${probe.event_id}:delivered`) && liveSeen.includes(`${doomed.event_id}:dead_letter`),
    {
      timeoutMs: 15_000,
      message: 'the test events reach their final status live',
    },
  );
  ctl.abort();
  await live;
  await t.rejects(
    hs.destinations.sendTestEvent(dest.id, { payload: [] as unknown as Record<string, unknown> }),
    ValidationError,
  );
  const dead = await waitFor(async () => (await hs.deadLetters.list()).data[0], {
    timeoutMs: 15_000,
    message: 'a dead letter',
  });
  t.match(dead, {
    id: doomed.delivery_id,
    event_id: doomed.event_id,
    destination_id: failing.id,
    reason: 'exhausted',
    last_status_code: 500,
  });
  t.equal((await all(hs.deadLetters.iterate({ limit: 1, destination_id: failing.id }))).length, 1);
  await t.rejects(hs.deadLetters.list({ since: 'yesterday' }), ValidationError);
  const stats = await waitFor(async () => {
    const s = await hs.stats.get({ range: '1h' });
    return s.totals.dead_lettered === 1 ? s : null;
  });
  t.same(
    stats.destinations.map((d) => d.name),
    ['failing', 'orders'],
  );
  t.ok(stats.totals.received >= 4 && stats.totals.delivered >= 3);
  const health = await hs.destinations.stats(failing.id, { range: '1h' });
  t.match(health, {
    success_rate: 0,
    recent_failures: [{ event_id: doomed.event_id, status_code: 500, response_excerpt: 'down' }],
  });
  await t.rejects(hs.stats.get({ range: '2d' as '1h' }), ValidationError);
  t.same(await hs.payloadFilters.test({ payload_filter: { amount: { $gt: 10 } }, payload: { amount: 11 } }), {
    matches: true,
  });
  await t.rejects(hs.payloadFilters.test({ payload_filter: { $nope: 1 }, payload: {} }), ValidationError);

  // ---- customers and portal sessions
  const theirs = await hs.destinations.create({ name: 'theirs', url: `${receiver.url}/theirs`, customer_id: 'cus_7' });
  t.equal(theirs.customer_id, 'cus_7');
  t.same(
    (await hs.destinations.list({ customer_id: 'cus_7' })).data.map((d) => d.id),
    [theirs.id],
  );
  await t.rejects(
    hs.destinations.create({ name: 'x', url: `${receiver.url}/x`, customer_id: 'a\nb' }),
    ValidationError,
  );
  const link = await hs.portalSessions.create({ customer_id: 'cus_7', scope: 'manage', expires_in_s: 600 });
  t.match(link, { customer_id: 'cus_7', scope: 'manage', used_at: null, url: /\/portal\/[0-9a-f-]{36}\/#token=hspt_/ });
  const forCus8 = await hs.portalSessions.create({ customer_id: 'cus_8' });
  t.equal(forCus8.scope, 'read');
  t.same(
    (await hs.portalSessions.list({ customer_id: 'cus_7' })).data.map((s) => s.id),
    [link.id],
  );
  t.equal((await all(hs.portalSessions.iterate({ limit: 1 }))).length, 2);
  const secret = await hs.destinations.revealSecret(theirs.id);
  t.match(secret, { signing_secret: /^whsec_/, previous: [] });

  // The link opens the portal once, in the customer's browser (a cookie jar of its own).
  const portalJar = new Map<string, string>();
  const portalFetch = async (input: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    if (portalJar.size > 0) headers.set('cookie', [...portalJar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(`${gw.url}${input}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Expires=Thu, 01 Jan 1970/.test(line)) portalJar.delete(name);
      else portalJar.set(name, value);
    }
    return res;
  };
  const customer = tracked(
    new Hookstream({ baseUrl: '', session: true, headers: { 'x-hookstream-portal': '1' }, fetch: portalFetch }),
  );
  const linkToken = link.url.split('#token=')[1] ?? '';
  t.match(await customer.portal.open(linkToken, signup.account.id), {
    customer_id: 'cus_7',
    scope: 'manage',
    account: { id: signup.account.id },
  });
  t.ok(portalJar.has('hs_portal'), 'the server set the portal cookie');
  t.equal((await customer.portal.session()).customer_id, 'cus_7');
  t.same(
    (await customer.destinations.list()).data.map((d) => d.id),
    [theirs.id],
    "the portal lists its customer's destinations only",
  );
  await t.rejects(customer.portal.open(linkToken, signup.account.id), AuthenticationError, 'a link opens once');
  await customer.portal.signOut();
  t.notOk(portalJar.has('hs_portal'), 'sign-out clears the portal cookie');
  await t.rejects(customer.portal.session(), AuthenticationError);
  t.same(
    (await hs.portalSessions.list()).data.map((s) => s.id),
    [forCus8.id],
    'signing out of the portal ended its session',
  );
  await hs.portalSessions.revoke(forCus8.id);
  await t.rejects(hs.portalSessions.revoke(forCus8.id), NotFoundError);
  await t.rejects(hs.portalSessions.create({ customer_id: 'c', expires_in_s: 8 * 86_400 }), ValidationError);

  // ---- typed errors for the remaining statuses
  let limited: unknown;
  for (let i = 0; i < 10 && !limited; i++)
    limited = await anon.accounts.create({ name: `flood ${i}` }).then(
      () => null,
      (e: unknown) => e,
    );
  t.type(limited, RateLimitError, 'sign-up is rate limited');
  t.equal((limited as RateLimitError).code, 'rate_limited');
  t.ok(((limited as RateLimitError).retryAfter ?? 0) > 0, 'with a Retry-After');
});

t.test('no answer is a ConnectionError', async (t) => {
  const hs = new Hookstream({ baseUrl: 'http://127.0.0.1:9', apiKey: 'hk_x' });
  const err = await hs.account.get().catch((e: unknown) => e);
  t.type(err, ConnectionError);
  t.equal((err as ConnectionError).status, 0);
  await t.rejects(
    new Hookstream({ baseUrl: 'http://127.0.0.1:9' }).sources.list(),
    { code: 'no_api_key' },
    'a call that needs a key says so',
  );
});

t.test('every public SDK method was exercised against the server', async (t) => {
  const missing = publicMethods(new Hookstream({ baseUrl: 'http://x' })).filter((m) => !called.has(m));
  t.same(missing, [], 'untested methods');
});
