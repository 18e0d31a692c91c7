export { checkDestinationUrl, isBlockedAddress, resolveAndCheck } from './address-guard.ts';
export type { AddressGuardOptions, GuardResult, LookupAddress, LookupFn } from './address-guard.ts';
export { createDeliveryClient, TRUNCATED_MARKER } from './client.ts';
export type { DeliveryClient, DeliveryClientOptions, SendRequest, SendResult } from './client.ts';
export type { ErrorClass } from './classify.ts';
