import t from 'tap';
import { UsageError, parseAccountsArgs } from './accounts.ts';

t.test('given set-plan with an id and terms, then it is parsed', async (t) => {
  t.same(parseAccountsArgs(['set-plan', 'acc-1', '--plan', 'pro']), { accountId: 'acc-1', change: { plan: 'pro' } });
  t.same(parseAccountsArgs(['set-plan', 'acc-1', '--plan', 'enterprise', '--retention-days', '400']), {
    accountId: 'acc-1',
    change: { plan: 'enterprise', retention_days: 400 },
  });
  t.same(parseAccountsArgs(['set-plan', '--retention-days', '7', 'acc-1']), {
    accountId: 'acc-1',
    change: { retention_days: 7 },
  });
});

t.test('given a mistake, then a usage error that names it', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing accounts command/],
    [['delete', 'acc-1'], /unknown accounts command 'delete'/],
    [['set-plan', '--plan', 'pro'], /missing <account_id>/],
    [['set-plan', 'acc-1'], /nothing to set/],
    [['set-plan', 'acc-1', '--plan', 'gold'], /--plan must be one of free, pro, enterprise/],
    [['set-plan', 'acc-1', '--retention-days', 'ten'], /--retention-days must be a whole number/],
    [['set-plan', 'acc-1', '--retention-days', '-3'], /retention-days/],
    [['set-plan', 'acc-1', 'acc-2', '--plan', 'pro'], /unexpected argument 'acc-2'/],
    [['set-plan', 'acc-1', '--plan', 'pro', '--force'], /--force/],
  ];
  for (const [argv, message] of cases) {
    const err = t.throws(() => parseAccountsArgs(argv), argv.join(' ')) as unknown;
    t.ok(err instanceof UsageError);
    t.match((err as Error).message, message);
  }
});
