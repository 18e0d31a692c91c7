import t from 'tap';
import { domainOwnerId } from '@hookstream/domain';
import { startDns } from '@hookstream/testkit';
import { apiOn, create, signup, startApi } from './harness.ts';

t.test('brand settings: upsert, get, validation, isolation', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const empty = await app.inject({ method: 'GET', url: '/v1/brand-settings', headers: a.auth });
  t.equal(empty.statusCode, 200);
  t.equal(empty.json().data.name, null);
  const up = await app.inject({
    method: 'POST',
    url: '/v1/brand-settings',
    headers: a.auth,
    payload: { name: 'Acme', logo_url: 'https://acme.example.com/logo.png', primary_color: '#112233' },
  });
  t.equal(up.statusCode, 200);
  const up2 = await app.inject({
    method: 'POST',
    url: '/v1/brand-settings',
    headers: a.auth,
    payload: { accent_color: '#abc' },
  });
  t.same(
    { name: up2.json().data.name, primary: up2.json().data.primary_color, accent: up2.json().data.accent_color },
    { name: 'Acme', primary: '#112233', accent: '#abc' },
    'an upsert keeps the fields it does not name',
  );
  for (const bad of [
    { primary_color: 'red' },
    { logo_url: 'http://insecure.example.com/x.png' },
    { logo_url: 'javascript:alert(1)' },
    { support_email: 'nope' },
    {},
    { nope: 1 },
  ]) {
    const r = await app.inject({ method: 'POST', url: '/v1/brand-settings', headers: a.auth, payload: bad });
    t.equal(r.statusCode, 400, JSON.stringify(bad));
  }
  const other = await app.inject({ method: 'GET', url: '/v1/brand-settings', headers: b.auth });
  t.equal(other.json().data.name, null, "B does not see A's brand");
});

t.test('custom domains: register, verify by DNS TXT through the configured resolver, refuse bad names', async (t) => {
  const records = new Map<string, string[]>();
  const port = await startDns(t, records);
  const first = await startApi(t);
  const { app } = await apiOn(t, first.natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const d = await create(app, a, '/v1/custom-domains', { hostname: 'Hooks.Acme-Corp.com.' });
  t.equal(d.hostname, 'hooks.acme-corp.com');
  t.equal(d.status, 'pending');
  const v = d.verification as { type: string; name: string; value: string };
  t.equal(v.name, '_hookstream-challenge.hooks.acme-corp.com');

  const fail = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: a.auth });
  t.equal(fail.json().data.status, 'failed');
  t.match(fail.json().data.last_error, /TXT/);

  records.set(v.name, ['unrelated', v.value]);
  const ok = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: a.auth });
  t.equal(ok.json().data.status, 'verified');
  t.type(ok.json().data.verified_at, 'string');

  const again = await app.inject({
    method: 'POST',
    url: '/v1/custom-domains',
    headers: a.auth,
    payload: { hostname: 'hooks.acme-corp.com' },
  });
  t.equal(again.statusCode, 409, 'the same account cannot register a hostname twice');
  const notB = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: b.auth });
  t.equal(notB.statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/v1/custom-domains', headers: b.auth })).json().data.length, 0);
  t.equal((await app.inject({ method: 'GET', url: '/v1/custom-domains', headers: a.auth })).json().data.length, 1);

  for (const hostname of [
    'localhost',
    '127.0.0.1',
    'a..b.com',
    '-bad.example.com',
    'x'.repeat(64) + '.com',
    'under_score.com',
    'intranet',
    'svc.internal',
    'with space.com',
  ]) {
    const r = await app.inject({ method: 'POST', url: '/v1/custom-domains', headers: a.auth, payload: { hostname } });
    t.equal(r.statusCode, 400, hostname);
  }
  const idn = await create(app, a, '/v1/custom-domains', { hostname: 'bücher.de' });
  t.equal(idn.hostname, 'xn--bcher-kva.de', 'internationalised names are stored in ASCII form');
  const del = await app.inject({ method: 'DELETE', url: `/v1/custom-domains/${d.id}`, headers: a.auth });
  t.equal(del.statusCode, 204);
});

const HOST = 'hooks.victim-corp.com';
const CHALLENGE = `_hookstream-challenge.${HOST}`;

t.test(
  'custom domains: a pending claim stops no one and reveals nothing; the first to verify owns the name',
  async (t) => {
    const records = new Map<string, string[]>();
    const port = await startDns(t, records);
    const { natsUrl } = await startApi(t);
    const { app } = await apiOn(t, natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
    const [a, b, c] = [await signup(app, 'squatter'), await signup(app, 'owner'), await signup(app, 'late')];
    const register = (who: typeof a) =>
      app.inject({ method: 'POST', url: '/v1/custom-domains', headers: who.auth, payload: { hostname: HOST } });
    const verify = (who: typeof a, id: string) =>
      app.inject({ method: 'POST', url: `/v1/custom-domains/${id}/verify`, headers: who.auth });
    const get = (who: typeof a, id: string) =>
      app.inject({ method: 'GET', url: `/v1/custom-domains/${id}`, headers: who.auth });

    const aRes = await register(a);
    t.equal(aRes.statusCode, 201);
    const aClaim = aRes.json().data;
    t.equal(aClaim.status, 'pending');

    // B, the real owner, is not stopped by A's claim, and its answer carries nothing of A's.
    const bRes = await register(b);
    t.equal(bRes.statusCode, 201, "A's pending claim does not stop B");
    const bClaim = bRes.json().data;
    t.equal(bClaim.status, 'pending');
    t.not(bClaim.id, aClaim.id, 'each account has its own claim');
    t.not(bClaim.verification.value, aClaim.verification.value, 'and its own token');
    t.same(Object.keys(bClaim).sort(), Object.keys(aClaim).sort(), "B's answer has the shape of a first claim");
    for (const secret of [aClaim.id, aClaim.verification.value, a.accountId])
      t.notOk(bRes.body.includes(secret), "B's answer never mentions A's claim");
    t.notMatch(bRes.body, /already|registered|taken|another/i);
    t.equal((await register(a)).statusCode, 409, 'the same account twice is still a conflict');
    t.same(
      (await app.inject({ method: 'GET', url: '/v1/custom-domains', headers: b.auth }))
        .json()
        .data.map((d: { id: string }) => d.id),
      [bClaim.id],
      'B lists its own claim only',
    );

    // B proves control of the name first: B owns it and A's claim ends.
    records.set(CHALLENGE, [bClaim.verification.value]);
    const bOk = await verify(b, bClaim.id);
    t.equal(bOk.statusCode, 200);
    t.equal(bOk.json().data.status, 'verified');
    t.equal(bOk.json().data.expires_at, null, 'a verified domain does not expire');
    const aNow = (await get(a, aClaim.id)).json().data;
    t.equal(aNow.status, 'superseded', "A's claim ended when B verified");

    // A cannot verify afterwards, even with its own token published.
    records.set(CHALLENGE, [bClaim.verification.value, aClaim.verification.value]);
    const aLate = await verify(a, aClaim.id);
    t.equal(aLate.statusCode, 409);
    t.equal(aLate.json().code, 'domain_taken');
    t.match(aLate.json().error, /verified by another account/);
    t.type(aLate.json().duration_ms, 'number');
    t.equal((await get(b, bClaim.id)).json().data.status, 'verified', "A's attempt changes nothing of B's");

    // A later claim is accepted as any other (still nothing told); its verify fails as long as it
    // cannot prove control, and with a 409 once it can.
    const cRes = await register(c);
    t.equal(cRes.statusCode, 201);
    t.notMatch(cRes.body, /already|taken|another/i);
    const cClaim = cRes.json().data;
    const cNoDns = await verify(c, cClaim.id);
    t.equal(cNoDns.statusCode, 200);
    t.equal(cNoDns.json().data.status, 'failed', 'no proof of control: an ordinary failure, no word of the owner');
    records.set(CHALLENGE, [bClaim.verification.value, cClaim.verification.value]);
    const cTaken = await verify(c, cClaim.id);
    t.equal(cTaken.statusCode, 409);
    t.equal(cTaken.json().code, 'domain_taken');
    t.equal((await get(c, cClaim.id)).json().data.status, 'superseded');

    // Once the owner lets the name go, a new claim can verify it.
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/v1/custom-domains/${bClaim.id}`, headers: b.auth })).statusCode,
      204,
    );
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/v1/custom-domains/${cClaim.id}`, headers: c.auth })).statusCode,
      204,
    );
    const c2 = (await register(c)).json().data;
    records.set(CHALLENGE, [c2.verification.value]);
    t.equal(
      (await verify(c, c2.id)).json().data.status,
      'verified',
      'the name is free again after its owner deleted it',
    );
  },
);

t.test('custom domains: two accounts verifying at once, one owner', async (t) => {
  const records = new Map<string, string[]>();
  const port = await startDns(t, records);
  const { natsUrl } = await startApi(t);
  // Two API instances on one config bucket, as two copies of the api role.
  const one = await apiOn(t, natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
  const two = await apiOn(t, natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
  const a = await signup(one.app, 'a');
  const b = await signup(one.app, 'b');
  const ca = await create(one.app, a, '/v1/custom-domains', { hostname: HOST });
  const cb = await create(one.app, b, '/v1/custom-domains', { hostname: HOST });
  records.set(CHALLENGE, [(ca.verification as { value: string }).value, (cb.verification as { value: string }).value]);
  await two.catalog.view.waitForRevision(one.catalog.view.lastRevision);
  const [ra, rb] = await Promise.all([
    one.app.inject({ method: 'POST', url: `/v1/custom-domains/${ca.id}/verify`, headers: a.auth }),
    two.app.inject({ method: 'POST', url: `/v1/custom-domains/${cb.id}/verify`, headers: b.auth }),
  ]);
  t.same([ra.statusCode, rb.statusCode].sort(), [200, 409], 'one verifies, the other is refused');
  const verified = [...one.catalog.view.domains.values()].filter((d) => d.hostname === HOST && d.status === 'verified');
  t.equal(verified.length, 1, 'one verified claim of the name');
  t.equal(one.catalog.view.domainOwners.size, 1);
  t.equal([...one.catalog.view.domainOwners.values()][0]?.domain_id, verified[0]?.id, 'the owner record names it');
});

t.test('custom domains: an owner record left without its claim does not lock the name', async (t) => {
  const records = new Map<string, string[]>();
  const port = await startDns(t, records);
  const { natsUrl } = await startApi(t);
  const { app, catalog } = await apiOn(t, natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
  const a = await signup(app, 'a');
  const claim = await create(app, a, '/v1/custom-domains', { hostname: HOST });
  t.equal(catalog.view.domainOwners.size, 0, 'a pending claim owns nothing');
  // As a process that died between deleting an owner's claim and its owner record would leave it.
  const orphanId = domainOwnerId(HOST);
  await catalog.put('domainowner', orphanId, {
    id: orphanId,
    hostname: HOST,
    account_id: 'gone',
    domain_id: 'gone',
    created_at: new Date().toISOString(),
  });
  records.set(CHALLENGE, [(claim.verification as { value: string }).value]);
  const ok = await app.inject({ method: 'POST', url: `/v1/custom-domains/${claim.id}/verify`, headers: a.auth });
  t.equal(ok.statusCode, 200, JSON.stringify(ok.json()));
  t.equal(ok.json().data.status, 'verified');
  t.equal(
    catalog.view.domainOwners.get(orphanId)?.domain_id,
    claim.id,
    'the owner record now names the verified claim',
  );
});

t.test(
  'custom domains: an unverified claim expires after CUSTOM_DOMAIN_CLAIM_TTL_H and can no longer verify',
  async (t) => {
    const records = new Map<string, string[]>();
    const port = await startDns(t, records);
    const { natsUrl } = await startApi(t);
    let clock = Date.parse('2026-03-01T12:00:00.000Z');
    const { app } = await apiOn(
      t,
      natsUrl,
      { dnsServers: [`127.0.0.1:${port}`], customDomainClaimTtlH: 72 },
      { now: () => clock },
    );
    const a = await signup(app, 'a');
    const claim = await create(app, a, '/v1/custom-domains', { hostname: HOST });
    t.equal(claim.expires_at, '2026-03-04T12:00:00.000Z', 'the claim says when it lapses');
    records.set(CHALLENGE, [(claim.verification as { value: string }).value]);

    clock = Date.parse('2026-03-04T12:00:00.000Z');
    const late = await app.inject({ method: 'POST', url: `/v1/custom-domains/${claim.id}/verify`, headers: a.auth });
    t.equal(late.statusCode, 409, 'an expired claim cannot verify, even with the record in place');
    t.equal(late.json().code, 'claim_expired');
    t.match(late.json().error, /expired/);
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/custom-domains/${claim.id}`, headers: a.auth })).json().data.status,
      'pending',
      'and it is not verified',
    );

    // Registering the name again starts a fresh claim with a new token and a new period.
    const fresh = await app.inject({
      method: 'POST',
      url: '/v1/custom-domains',
      headers: a.auth,
      payload: { hostname: HOST },
    });
    t.equal(fresh.statusCode, 201, 'an expired claim does not block its own account');
    t.not(fresh.json().data.verification.value, (claim.verification as { value: string }).value);
    t.equal(fresh.json().data.expires_at, '2026-03-07T12:00:00.000Z');
    records.set(CHALLENGE, [fresh.json().data.verification.value]);
    const ok = await app.inject({
      method: 'POST',
      url: `/v1/custom-domains/${fresh.json().data.id}/verify`,
      headers: a.auth,
    });
    t.equal(ok.json().data.status, 'verified');
  },
);
