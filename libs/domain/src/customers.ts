// Customers of an account (outbound mode): the account's own tenant ids on destinations, routes and
// outbound events. An event published for a customer reaches only that customer's destinations; an
// event published without one reaches every matching destination, as before customers existed.

/** What customer scoping needs of an event. */
export interface CustomerEvent {
  direction: 'inbound' | 'outbound';
  customer_id?: string | null | undefined;
}

/**
 * Whether a destination may take an event, as far as customers go. A customer's destination takes
 * outbound events only: an account's inbound webhooks (from its own providers) are never its
 * customers' business, whatever a catch-all route says.
 */
export function customerAdmits(destinationCustomer: string | null | undefined, event: CustomerEvent): boolean {
  const mine = destinationCustomer ?? null;
  if (mine !== null && event.direction !== 'outbound') return false;
  const wanted = event.direction === 'outbound' ? (event.customer_id ?? null) : null;
  return wanted === null || wanted === mine;
}

/** A route of a customer carries only events for all customers or for that one. */
export function routeAdmitsCustomer(routeCustomer: string | null | undefined, event: CustomerEvent): boolean {
  const route = routeCustomer ?? null;
  const wanted = event.direction === 'outbound' ? (event.customer_id ?? null) : null;
  return route === null || wanted === null || route === wanted;
}
