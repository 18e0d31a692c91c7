// Plans are set by the operator: an account cannot give itself a plan or a retention window, at
// sign-up or later, unless the request carries the operator token (X-Operator-Token).
import t from 'tap';
import { type Harness, apiOn, signup, startApi } from './harness.ts';

const OPERATOR = 'operator-token-0123456789';

async function post(h: Harness, payload: object, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'POST', url: '/v1/accounts', headers, payload });
}

async function accountOf(h: Harness, auth: { authorization: string }) {
  return (await h.app.inject({ method: 'GET', url: '/v1/account', headers: auth })).json().data;
}

t.test(
  'sign-up with a plan or a retention window is refused without the operator token, and stores nothing',
  async (t) => {
    const h = await startApi(t, { operatorToken: OPERATOR });
    const before = h.catalog.view.lastRevision;
    const accounts = h.catalog.view.accounts.size;
    for (const payload of [
      { name: 'x', plan: 'enterprise', retention_days: 3650 },
      { name: 'x', plan: 'pro' },
      { name: 'x', plan: 'free' },
      { name: 'x', retention_days: 1 },
    ]) {
      const r = await post(h, payload);
      t.equal(r.statusCode, 403, JSON.stringify(payload));
      const body = r.json();
      t.equal(body.code, 'operator_required');
      t.match(body.error, /set by the operator/);
      t.type(body.duration_ms, 'number');
    }
    t.equal(h.catalog.view.lastRevision, before, 'no configuration changed');
    t.equal(h.catalog.view.accounts.size, accounts, 'no account created');

    const plain = await post(h, { name: 'acme' });
    t.equal(plain.statusCode, 201, 'sign-up without them works as before');
    t.match(plain.json().data.account, { name: 'acme', plan: 'free', retention_days: 1 });
  },
);

t.test('an account cannot change its own plan or window; other fields and unchanged terms are fine', async (t) => {
  const h = await startApi(t, { operatorToken: OPERATOR });
  const acme = await signup(h.app);
  const before = await accountOf(h, acme.auth);
  const revision = h.catalog.view.lastRevision;
  for (const payload of [
    { plan: 'enterprise', retention_days: 3650 },
    { plan: 'pro' },
    { retention_days: 30 },
    { name: 'renamed', plan: 'pro' },
  ]) {
    const r = await h.app.inject({ method: 'PATCH', url: '/v1/account', headers: acme.auth, payload });
    t.equal(r.statusCode, 403, JSON.stringify(payload));
    t.equal(r.json().code, 'operator_required');
  }
  t.equal(h.catalog.view.lastRevision, revision, 'no configuration changed');
  t.same(await accountOf(h, acme.auth), before, 'the account is as it was');

  const rename = await h.app.inject({
    method: 'PATCH',
    url: '/v1/account',
    headers: acme.auth,
    payload: { ...before, id: undefined, created_at: undefined, name: 'acme2' },
  });
  t.equal(rename.statusCode, 200, 'the whole account sent back with a new name: the terms did not change');
  t.match(rename.json().data, { name: 'acme2', plan: 'free', retention_days: 1 });
});

t.test('with the operator token: any plan at sign-up, closed sign-up included, and changes later', async (t) => {
  const h = await startApi(t, { operatorToken: OPERATOR, accountSignup: 'closed' });
  const op = { 'x-operator-token': OPERATOR };
  t.equal((await post(h, { name: 'x' })).statusCode, 403, 'sign-up is closed to everyone else');

  const created = await post(h, { name: 'big', plan: 'enterprise', retention_days: 3650 }, op);
  t.equal(created.statusCode, 201);
  const data = created.json().data;
  t.match(data.account, { name: 'big', plan: 'enterprise', retention_days: 3650 });
  const auth = { authorization: `Bearer ${data.api_key}` };

  const down = await h.app.inject({
    method: 'PATCH',
    url: '/v1/account',
    headers: { ...auth, ...op },
    payload: { plan: 'pro' },
  });
  t.equal(down.statusCode, 200);
  t.match(down.json().data, { plan: 'pro', retention_days: 30 });
  t.match(await accountOf(h, auth), { plan: 'pro', retention_days: 30 }, 'stored');

  const bad = await h.app.inject({
    method: 'PATCH',
    url: '/v1/account',
    headers: { ...auth, ...op },
    payload: { retention_days: 7 },
  });
  t.equal(bad.statusCode, 400, 'the operator too keeps to the plan rules');
  t.match(bad.json().error, /fixed at 30 on the pro plan/);
});

t.test(
  'a wrong operator token, or one sent to a server without OPERATOR_TOKEN, is refused and changes nothing',
  async (t) => {
    const h = await startApi(t, { operatorToken: OPERATOR });
    const acme = await signup(h.app);
    const revision = h.catalog.view.lastRevision;
    const accounts = h.catalog.view.accounts.size;
    for (const token of ['wrong', `${OPERATOR}x`, '']) {
      const r = await post(h, { name: 'x', plan: 'pro' }, { 'x-operator-token': token });
      t.equal(r.statusCode, 403, `sign-up with '${token}'`);
      t.match(r.json().error, /invalid X-Operator-Token/);
      const p = await h.app.inject({
        method: 'PATCH',
        url: '/v1/account',
        headers: { ...acme.auth, 'x-operator-token': token },
        payload: { plan: 'pro' },
      });
      t.equal(p.statusCode, 403, `update with '${token}'`);
    }
    t.equal(h.catalog.view.lastRevision, revision, 'no configuration changed');
    t.equal(h.catalog.view.accounts.size, accounts, 'no account created');

    const none = await apiOn(t, h.natsUrl, {});
    const r = await post(none, { name: 'x', plan: 'pro' }, { 'x-operator-token': OPERATOR });
    t.equal(r.statusCode, 403);
    t.match(r.json().error, /no operator token/);
    t.equal(h.catalog.view.accounts.size, accounts, 'still no account created');
  },
);
