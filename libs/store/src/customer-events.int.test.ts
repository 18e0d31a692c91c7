// The event log of one customer, read either way the list reads it (FEW_CUSTOMER_ROWS): the same
// rows, in the same order, page after page.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createTestDatabase } from '@hookstream/testkit';
import { migrate } from './migrate.ts';
import { createPool } from './pool.ts';
import { FEW_CUSTOMER_ROWS, listEvents } from './queries.ts';

const pool = createPool(await createTestDatabase(t));
t.teardown(() => pool.end());
await migrate(pool);

const A = randomUUID();
const B = randomUUID();
interface Row {
  id: string;
  account: string;
  at: string;
  customer: string | null;
  /** The customers its deliveries went to. */
  to: string[];
}
const rows: Row[] = [];
const base = Date.UTC(2026, 0, 1);
for (let i = 0; i < 5_000; i++) {
  const customer = i % 2 === 0 ? 'big' : i % 50 === 1 ? 'few' : null;
  // Events for all go to big's and few's destinations now and then; every third time shares a second.
  const to =
    customer !== null
      ? i % 10 === 0
        ? []
        : [customer]
      : [...(i % 7 === 0 ? ['big'] : []), ...(i % 45 === 0 ? ['few'] : [])];
  rows.push({
    id: randomUUID(),
    account: i % 13 === 0 ? B : A,
    at: new Date(base + Math.floor(i / 3) * 1000).toISOString(),
    customer,
    to,
  });
}
await pool.query(
  `INSERT INTO events (id, account_id, direction, status, received_at, body, stream_seq, customer_id)
   SELECT id, account_id, 'outbound', 'delivered', at, '\\x'::bytea, seq, customer FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int8[], $5::text[])
     AS u(id, account_id, at, seq, customer)`,
  [
    rows.map((r) => r.id),
    rows.map((r) => r.account),
    rows.map((r) => r.at),
    rows.map((_, i) => i + 1),
    rows.map((r) => r.customer),
  ],
);
const deliveries = rows.flatMap((r) => r.to.map((c) => ({ event: r.id, account: r.account, customer: c, at: r.at })));
await pool.query(
  `INSERT INTO deliveries (id, event_id, account_id, destination_id, status, status_rank, created_at, customer_id)
   SELECT gen_random_uuid(), event_id, account_id, gen_random_uuid(), 'delivered', 1, at, customer
   FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS u(event_id, account_id, customer, at)`,
  [
    deliveries.map((d) => d.event),
    deliveries.map((d) => d.account),
    deliveries.map((d) => d.customer),
    deliveries.map((d) => d.at),
  ],
);
await pool.query('ANALYZE');

function expected(account: string, customer: string): string[] {
  return rows
    .filter((r) => r.account === account && (r.customer === customer || r.to.includes(customer)))
    .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1))
    .map((r) => r.id);
}

async function paged(account: string, customer: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 500; n++) {
    const page = await listEvents(pool, account, { customer_id: customer, limit: 37, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.map((e) => e.id));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

t.test('a customer with many rows and one with few list the same way', async (t) => {
  const big = expected(A, 'big');
  const few = expected(A, 'few');
  // What the list counts to choose: the customer's event rows and delivery rows.
  const counted = (c: string) =>
    rows.filter((r) => r.account === A && r.customer === c).length +
    deliveries.filter((d) => d.account === A && d.customer === c).length;
  t.ok(counted('big') > FEW_CUSTOMER_ROWS, `big has ${counted('big')} rows: read by walking the log`);
  t.ok(counted('few') <= FEW_CUSTOMER_ROWS && few.length > 37, `few has ${counted('few')} rows: read from its own`);
  t.same(await paged(A, 'big'), big, "big's events, newest first, page after page");
  t.same(await paged(A, 'few'), few, "few's events, newest first, page after page");
  t.same(await paged(A, 'nobody'), []);
  t.same(await paged(B, 'few'), expected(B, 'few'), "another account's customer of the same name is its own");
  t.ok(expected(B, 'few').length > 0);
});
