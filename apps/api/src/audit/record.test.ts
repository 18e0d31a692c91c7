// What an audit entry takes from a request and its answer: ids and field names, never values.
import t from 'tap';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../actor.ts';
import { auditActionOf, buildEntry } from './record.ts';

const ACCOUNT = '0193a1b2-0000-7000-8000-000000000001';
const KEY = '0193a1b2-0000-7000-8000-0000000000aa';
const DEST = '0193a1b2-0000-7000-8000-0000000000d1';

function request(over: Record<string, unknown> = {}): FastifyRequest {
  return {
    id: 'req-7',
    ip: '203.0.113.9',
    method: 'PATCH',
    headers: { 'user-agent': 'curl/8' },
    params: { id: DEST },
    body: { auth_token: 'tok_secret_value', headers: { 'x-api-key': 'also-secret' }, timeout_ms: 5000 },
    routeOptions: { url: '/v1/destinations/:id' },
    accountId: ACCOUNT,
    apiKeyId: KEY,
    server: { auditKeyNames: new Map([[KEY, { name: 'deploys' }]]) },
    ...over,
  } as unknown as FastifyRequest;
}

t.test('a change: the resource id from the path, the field names, the key as actor', async (t) => {
  const answer = JSON.stringify({
    data: { id: DEST, name: 'orders', url: 'https://x.example', signing_secret: 'whsec_zzz' },
    duration_ms: 1,
  });
  const e = buildEntry(request(), 200, answer, 'destination.update', Date.UTC(2026, 11, 7));
  t.match(e, {
    v: 1,
    kind: 'audit',
    account_id: ACCOUNT,
    at: '2026-12-07T00:00:00.000Z',
    actor: { type: 'api_key', id: KEY, name: 'deploys' },
    action: 'destination.update',
    resource_type: 'destination',
    resource_id: DEST,
    ids: { destination_id: DEST },
    fields: ['auth_token', 'headers', 'timeout_ms'],
    ip: '203.0.113.9',
    user_agent: 'curl/8',
    route: '/v1/destinations/:id',
    status: 200,
    outcome: 'succeeded',
    request_id: 'req-7',
  });
  const text = JSON.stringify(e);
  for (const secret of ['tok_secret_value', 'also-secret', 'whsec_zzz', 'x-api-key', 'https://x.example'])
    t.notOk(text.includes(secret), `no ${secret}`);
});

t.test('ids from the answer: its id, its *_id fields, the ids of its lists; body references', async (t) => {
  const answer = JSON.stringify({
    data: {
      replay_id: 'r1',
      event_id: 'e1',
      deliveries: [
        { id: 'd1', destination_id: 'x' },
        { id: 'd2', destination_id: 'y' },
      ],
    },
  });
  const e = buildEntry(
    request({
      method: 'POST',
      params: { id: 'e1' },
      body: { destination_id: 'x' },
      routeOptions: { url: '/v1/events/:id/replay' },
    }),
    202,
    answer,
    'event.replay',
    0,
  );
  t.same(e?.ids, { event_id: 'e1', replay_id: 'r1', delivery_ids: ['d1', 'd2'], destination_id: 'x' });
  t.equal(e?.resource_id, 'e1');
  const created = buildEntry(
    request({ method: 'POST', params: {}, body: { name: 'ci' } }),
    201,
    JSON.stringify({ data: { id: 'k2', key: 'hk_secret', prefix: 'hk_abc' } }),
    'api_key.create',
    0,
  );
  t.same(created?.ids, { api_key_id: 'k2' });
  t.notOk(JSON.stringify(created).includes('hk_secret'));
});

t.test('a refusal is recorded as denied, without what the answer said', async (t) => {
  const e = buildEntry(
    request(),
    403,
    JSON.stringify({ error: 'forbidden', code: 'forbidden' }),
    'destination.update',
    0,
  );
  t.equal(e?.outcome, 'denied');
  t.equal(e?.status, 403);
  t.same(e?.ids, { destination_id: DEST });
});

t.test('no account, no entry; a note supplies one (sign-up)', async (t) => {
  t.equal(buildEntry(request({ accountId: '' }), 201, '', 'account.create', 0), null);
  const r = request({ accountId: '', params: {}, body: { name: 'acme' } });
  r.auditNote = {
    accountId: ACCOUNT,
    actor: { type: 'signup', id: 'signup', name: null },
    ids: { account_id: ACCOUNT },
  };
  t.match(buildEntry(r, 201, '', 'account.create', 0), {
    account_id: ACCOUNT,
    actor: { type: 'signup' },
    resource_id: ACCOUNT,
  });
});

t.test('actorOf: a portal session, then a member, then the key', async (t) => {
  t.same(actorOf(request({ memberId: 'm1', memberName: 'Ada' })), { type: 'member', id: 'm1', name: 'Ada' });
  t.same(actorOf(request({ memberId: null })), { type: 'api_key', id: KEY, name: 'deploys' });
  t.same(actorOf(request({ memberId: 'm1', portalSession: { id: 'ps1', customer_id: 'cus_9' } })), {
    type: 'portal',
    id: 'ps1',
    name: 'cus_9',
  });
  t.same(actorOf(request({ apiKeyId: '', portal: { id: 'ps2', customer_id: 'cus_1', scope: 'manage' } })), {
    type: 'portal',
    id: 'ps2',
    name: 'cus_1',
  });
  t.same(
    actorOf(request({ apiKeyId: 'gone' })),
    { type: 'api_key', id: 'gone', name: null },
    'a key no longer in the view keeps its id',
  );
});

t.test('the action of a route: its own, else derived from a change, never from a read', async (t) => {
  t.equal(auditActionOf('PATCH', '/v1/destinations/:id', 'destination.update'), 'destination.update');
  t.equal(auditActionOf('POST', '/v1/outbound-events', false), null);
  t.equal(auditActionOf('PATCH', '/v1/members/:id', undefined), 'member.update');
  t.equal(auditActionOf('DELETE', '/v1/invites/:id', undefined), 'invite.delete');
  t.equal(auditActionOf('POST', '/v1/portal-sessions', undefined), 'portal_session.create');
  t.equal(auditActionOf('PUT', '/v1/sso', undefined), 'sso.update');
  t.equal(auditActionOf('POST', '/v1/destinations/:id/reveal-secret', undefined), 'destination.reveal_secret');
  t.equal(auditActionOf('POST', '/v1/categories', undefined), 'category.create');
  t.equal(auditActionOf('GET', '/v1/members', undefined), null);
  t.equal(
    auditActionOf('GET', '/v1/destinations/:id/secret', undefined),
    'destination.reveal_secret',
    'a secret read is recorded',
  );
  t.equal(auditActionOf('GET', '/v1/exports/:id/download', 'export.download'), 'export.download');
});
