import t from 'tap';
import * as domain from './index.ts';

t.test('given the public face, when imported, then every capability is exported', async (t) => {
  for (const name of [
    'validateEventTypePattern',
    'matchEventType',
    'validatePayloadFilter',
    'matchPayloadFilter',
    'matchRoutes',
    'validateRetryPolicy',
    'retryDelayMs',
    'decide',
    'parseRetryAfter',
    'mergeDeliveryStatus',
    'mergeDeliveryState',
    'aggregateEventStatus',
    'deliveryRank',
    'eventStatus',
    'createCircuit',
    'createTokenBucket',
    'deliveryIdFor',
    'planTerms',
    'changesPlanTerms',
  ] as const) {
    t.equal(typeof domain[name], 'function', name);
  }
  t.equal(domain.DEFAULT_RETRY_POLICY.max_attempts, 5);
  t.equal(domain.TWO_PHASE.max_attempts, 12);
});
