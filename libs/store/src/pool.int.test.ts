// A Postgres that goes away while a client is checked out must fail the work in hand, never crash
// the process (pg-pool watches only idle clients).
import t from 'tap';
import { startOwnPostgres } from '@hookstream/testkit';
import { createPool, withTransaction } from './pool.ts';

t.test('a server lost in the middle of a transaction rejects it and leaves the process running', async (t) => {
  const pg = await startOwnPostgres(t);
  const pool = createPool(pg.url, { onError: () => {} });
  t.teardown(() => pool.end().catch(() => {}));
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.teardown(() => process.off('uncaughtException', onUncaught));

  let inside!: () => void;
  const entered = new Promise<void>((r) => (inside = r));
  const work = withTransaction(pool, async (c) => {
    await c.query('SELECT 1');
    inside();
    await new Promise((r) => setTimeout(r, 1_500));
    await c.query('SELECT 2');
  });
  await entered;
  await pg.stop();
  await t.rejects(work, 'the transaction fails');
  await new Promise((r) => setTimeout(r, 200));
  t.same(uncaught, [], 'no error escaped to the process');

  await pg.start();
  const { rows } = await pool.query<{ n: number }>('SELECT 3 AS n');
  t.equal(rows[0]?.n, 3, 'the pool works again once the server is back');
});
