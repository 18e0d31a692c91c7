import t from 'tap';
import { customerAdmits, routeAdmitsCustomer } from './customers.ts';
import { matchRoutes } from './routes.ts';

t.test('an event for a customer reaches only that customer', async (t) => {
  const forA = { direction: 'outbound', customer_id: 'cus_a' } as const;
  t.equal(customerAdmits('cus_a', forA), true);
  t.equal(customerAdmits('cus_b', forA), false);
  t.equal(customerAdmits(null, forA), false, 'not a destination of no customer either');
  t.equal(customerAdmits(undefined, forA), false);
});

t.test('an outbound event without a customer reaches every destination', async (t) => {
  const all = { direction: 'outbound' } as const;
  t.equal(customerAdmits('cus_a', all), true);
  t.equal(customerAdmits(null, all), true);
  t.equal(customerAdmits('cus_a', { direction: 'outbound', customer_id: null }), true);
});

t.test("an inbound event never reaches a customer's destination", async (t) => {
  t.equal(customerAdmits('cus_a', { direction: 'inbound' }), false);
  t.equal(customerAdmits(null, { direction: 'inbound' }), true);
  // An inbound event cannot name a customer: a stray field changes nothing.
  t.equal(customerAdmits(null, { direction: 'inbound', customer_id: 'cus_a' }), true);
});

t.test("a customer's route carries that customer's events and events for all", async (t) => {
  t.equal(routeAdmitsCustomer('cus_a', { direction: 'outbound', customer_id: 'cus_a' }), true);
  t.equal(routeAdmitsCustomer('cus_a', { direction: 'outbound', customer_id: 'cus_b' }), false);
  t.equal(routeAdmitsCustomer('cus_a', { direction: 'outbound' }), true);
  t.equal(routeAdmitsCustomer(null, { direction: 'outbound', customer_id: 'cus_b' }), true);
});

t.test('matchRoutes drops the routes of other customers', async (t) => {
  const base = { account_id: 'acc', source_id: null, event_type_pattern: null, active: true };
  const routes = [
    { ...base, id: 'r1', destination_id: 'd1', customer_id: 'cus_a' },
    { ...base, id: 'r2', destination_id: 'd2', customer_id: 'cus_b' },
    { ...base, id: 'r3', destination_id: 'd3', customer_id: null },
  ];
  const ev = { account_id: 'acc', direction: 'outbound', source_id: null, event_type: 'x' } as const;
  t.same(
    matchRoutes(routes, { ...ev, customer_id: 'cus_a' }).map((r) => r.id),
    ['r1', 'r3'],
  );
  t.same(
    matchRoutes(routes, ev).map((r) => r.id),
    ['r1', 'r2', 'r3'],
  );
});
