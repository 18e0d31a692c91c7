// The scheduled pass over custom-domain claims: unverified claims past CUSTOM_DOMAIN_CLAIM_TTL_H go,
// verified ones stay, and an owner record whose claim is gone is released.
import t from 'tap';
import type { Pool } from '@hookstream/store';
import { startDns } from '@hookstream/testkit';
import { DOMAIN_CLAIMS_CRON, QUEUES } from '../src/build.ts';
import { created, directJobs, startSystem, tenant } from './harness.ts';

const H = 3_600_000;
const HOST = 'hooks.victim-corp.com';

t.test('expired unverified claims are removed by the job; the verified owner stays', async (t) => {
  const records = new Map<string, string[]>();
  const port = await startDns(t, records);
  const gw = await startSystem(t, { dnsServers: [`127.0.0.1:${port}`], customDomainClaimTtlH: 72 });
  const jobs = await directJobs(t, gw);
  const [a, b, c] = [await tenant(gw, 'squatter'), await tenant(gw, 'owner'), await tenant(gw, 'idle')];

  const { rows } = await (gw.pool as Pool).query('SELECT cron FROM pgboss.schedule WHERE name = $1', [
    QUEUES.domainClaims,
  ]);
  t.same(rows, [{ cron: DOMAIN_CLAIMS_CRON }], 'the jobs role schedules the pass');

  const aClaim = await created(a.api, '/v1/custom-domains', { hostname: HOST });
  const bClaim = await created(b.api, '/v1/custom-domains', { hostname: HOST });
  const cClaim = await created(c.api, '/v1/custom-domains', { hostname: 'hooks.idle-corp.com' });
  records.set(`_hookstream-challenge.${HOST}`, [bClaim.verification.value]);
  t.equal((await b.api.call('POST', `/v1/custom-domains/${bClaim.id}/verify`)).json.data.status, 'verified');
  t.equal((await a.api.call('GET', `/v1/custom-domains/${aClaim.id}`)).json.data.status, 'superseded');

  const start = Date.parse(cClaim.created_at);
  t.same(
    await jobs.expireDomainClaims(start + 71 * H),
    { expired: 0, owners_released: 0 },
    'nothing lapses within the period',
  );
  t.equal((await c.api.call('GET', `/v1/custom-domains/${cClaim.id}`)).status, 200);

  t.same(
    await jobs.expireDomainClaims(start + 73 * H),
    { expired: 2, owners_released: 0 },
    'the pending and the superseded claim lapse',
  );
  t.equal(
    (await c.api.call('GET', `/v1/custom-domains/${cClaim.id}`)).status,
    404,
    'the expired pending claim is gone',
  );
  t.equal((await c.api.call('POST', `/v1/custom-domains/${cClaim.id}/verify`)).status, 404, 'and cannot verify');
  t.equal((await a.api.call('GET', `/v1/custom-domains/${aClaim.id}`)).status, 404, 'the superseded claim is gone');
  const owner = await b.api.call('GET', `/v1/custom-domains/${bClaim.id}`);
  t.equal(owner.json.data.status, 'verified', 'the verified domain never expires');
  t.equal(gw.catalog.view.domainOwners.size, 1, 'its owner record stays');

  // An owner record left without its claim (a process died between the two deletes) is released.
  const lost = {
    id: 'f5a0c3f8-0000-5000-8000-000000000001',
    hostname: 'hooks.lost-corp.com',
    account_id: c.accountId,
    domain_id: 'gone',
    created_at: new Date().toISOString(),
  };
  await gw.catalog.put('domainowner', lost.id, lost);
  t.same(await jobs.expireDomainClaims(), { expired: 0, owners_released: 1 });
  t.notOk(gw.catalog.view.domainOwners.has(lost.id));
  t.equal(gw.catalog.view.domainOwners.size, 1);
});
