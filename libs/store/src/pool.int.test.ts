// A Postgres that goes away while a client is checked out must fail the work in hand, never crash
// the process (pg-pool watches only idle clients).
import t from 'tap';
import { createTestDatabase, startOwnPostgres } from '@hookstream/testkit';
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

t.test(
  'statements sent with BEGIN and COMMIT are part of the transaction: one that fails rolls all back',
  async (t) => {
    const pool = createPool(await createTestDatabase(t));
    t.teardown(() => pool.end());
    await pool.query('CREATE TABLE tx_parts (n int4 NOT NULL)');
    const count = async () => (await pool.query<{ n: number }>('SELECT count(*)::int4 AS n FROM tx_parts')).rows[0]?.n;

    const result = await withTransaction(
      pool,
      async (c) => (await c.query('INSERT INTO tx_parts VALUES (2)')).rowCount,
      {
        begin: 'INSERT INTO tx_parts VALUES (1)',
        end: 'INSERT INTO tx_parts VALUES (3)',
      },
    );
    t.equal(result, 1, "fn's result is returned");
    t.same(
      (await pool.query<{ n: number }>('SELECT n FROM tx_parts ORDER BY n')).rows.map((r) => r.n),
      [1, 2, 3],
      'all three committed, in order',
    );

    await t.rejects(
      withTransaction(pool, (c) => c.query('INSERT INTO tx_parts VALUES (4)'), {
        begin: 'INSERT INTO tx_parts VALUES (5)',
        end: 'INSERT INTO tx_parts VALUES (NULL)',
      }),
      /null value/,
      'a failing end statement fails the transaction',
    );
    t.equal(await count(), 3, 'and COMMIT, sent after it, did not commit what came before');

    await t.rejects(
      withTransaction(pool, async () => t.fail('fn must not run'), { begin: 'INSERT INTO tx_parts VALUES (NULL)' }),
      /null value/,
    );
    t.equal(await count(), 3, 'a failing begin statement leaves nothing');
    const { rows } = await pool.query<{ n: number }>('SELECT 7 AS n');
    t.equal(rows[0]?.n, 7, 'the connection is usable afterwards (rolled back)');
  },
);
