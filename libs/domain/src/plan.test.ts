import t from 'tap';
import { changesPlanTerms, planTerms } from './plan.ts';

t.test('given a new account, when no terms are named, then it is on the free plan for 1 day', async (t) => {
  t.same(planTerms(null, {}), { ok: true, terms: { plan: 'free', retention_days: 1 } });
});

t.test('given a plan other than enterprise, then its window is fixed', async (t) => {
  t.same(planTerms(null, { plan: 'pro' }), { ok: true, terms: { plan: 'pro', retention_days: 30 } });
  t.same(planTerms(null, { plan: 'pro', retention_days: 30 }), {
    ok: true,
    terms: { plan: 'pro', retention_days: 30 },
  });
  const r = planTerms(null, { plan: 'free', retention_days: 30 });
  t.equal(r.ok, false);
  t.match(r, { error: /fixed at 1 on the free plan/ });
  t.same(
    planTerms({ plan: 'enterprise', retention_days: 400 }, { plan: 'pro' }),
    { ok: true, terms: { plan: 'pro', retention_days: 30 } },
    'a move down takes the fixed window',
  );
});

t.test('given enterprise, then the window is custom and kept across changes that do not name it', async (t) => {
  t.same(planTerms(null, { plan: 'enterprise' }), { ok: true, terms: { plan: 'enterprise', retention_days: 90 } });
  t.same(planTerms(null, { plan: 'enterprise', retention_days: 3650 }), {
    ok: true,
    terms: { plan: 'enterprise', retention_days: 3650 },
  });
  const ent = { plan: 'enterprise' as const, retention_days: 400 };
  t.same(planTerms(ent, { plan: 'enterprise' }), { ok: true, terms: ent });
  t.same(planTerms(ent, { retention_days: 7 }), { ok: true, terms: { plan: 'enterprise', retention_days: 7 } });
  t.same(planTerms({ plan: 'pro', retention_days: 30 }, { plan: 'enterprise' }), {
    ok: true,
    terms: { plan: 'enterprise', retention_days: 90 },
  });
});

t.test('given nonsense, then it is refused with a reason', async (t) => {
  for (const days of [0, -1, 3651, 1.5, Number.NaN])
    t.match(
      planTerms(null, { plan: 'enterprise', retention_days: days }),
      { ok: false, error: /1 to 3650/ },
      `${days}`,
    );
  t.match(planTerms(null, { plan: 'gold' as never }), { ok: false, error: /free, pro, enterprise/ });
});

t.test('given a request, then only terms that differ from the current ones are a change', async (t) => {
  t.equal(changesPlanTerms(null, {}), false, 'sign-up without terms');
  t.equal(changesPlanTerms(null, { plan: 'free' }), true, 'sign-up naming a plan');
  t.equal(changesPlanTerms(null, { retention_days: 1 }), true, 'sign-up naming a window');
  const pro = { plan: 'pro' as const, retention_days: 30 };
  t.equal(changesPlanTerms(pro, {}), false);
  t.equal(changesPlanTerms(pro, { plan: 'pro', retention_days: 30 }), false, 'the same terms sent back');
  t.equal(changesPlanTerms(pro, { plan: 'enterprise' }), true);
  t.equal(changesPlanTerms(pro, { retention_days: 31 }), true);
});
