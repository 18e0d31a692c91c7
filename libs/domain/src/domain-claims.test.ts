import t from 'tap';
import { claimExpired, claimExpiresAt, domainClaimId, domainOwnerId } from './domain-claims.ts';

const H = 3_600_000;
const created_at = '2026-01-01T00:00:00.000Z';
const at = (iso: string) => Date.parse(iso);

t.test(
  'given two accounts claiming one hostname, when their claim ids are derived, then each has its own, stable one',
  async (t) => {
    t.not(domainClaimId('acc_a', 'hooks.acme.com'), domainClaimId('acc_b', 'hooks.acme.com'));
    t.equal(domainClaimId('acc_a', 'hooks.acme.com'), domainClaimId('acc_a', 'hooks.acme.com'));
    t.not(domainClaimId('acc_a', 'hooks.acme.com'), domainClaimId('acc_a', 'api.acme.com'));
  },
);

t.test(
  'given a hostname, when its owner key is derived, then it is one key whoever claims it, apart from claim ids',
  async (t) => {
    t.equal(domainOwnerId('hooks.acme.com'), domainOwnerId('hooks.acme.com'));
    t.not(domainOwnerId('hooks.acme.com'), domainOwnerId('api.acme.com'));
    t.not(domainOwnerId('hooks.acme.com'), domainClaimId('', 'hooks.acme.com'));
  },
);

t.test('given an unverified claim, when the period has passed, then it has expired', async (t) => {
  for (const status of ['pending', 'failed', 'superseded'] as const) {
    t.equal(claimExpiresAt({ status, created_at }, 72 * H), at('2026-01-04T00:00:00.000Z'), status);
    t.notOk(claimExpired({ status, created_at }, 72 * H, at('2026-01-03T23:59:59.999Z')), `${status}: not before`);
    t.ok(
      claimExpired({ status, created_at }, 72 * H, at('2026-01-04T00:00:00.000Z')),
      `${status}: at the end of the period`,
    );
  }
});

t.test('given a verified claim, when any time has passed, then it has not expired', async (t) => {
  t.equal(claimExpiresAt({ status: 'verified', created_at }, H), null);
  t.notOk(claimExpired({ status: 'verified', created_at }, H, at('2030-01-01T00:00:00.000Z')));
});
