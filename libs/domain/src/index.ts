export {
  MAX_EVENT_TYPE_PATTERN_LENGTH,
  eventTypePatternQuery,
  isEventTypePattern,
  matchEventType,
  validateEventTypePattern,
} from './event-type.ts';
export {
  MAX_FILTER_DEPTH,
  MAX_PATH_LENGTH,
  MAX_PATH_SEGMENTS,
  jsonEqual,
  matchPayloadFilter,
  validatePayloadFilter,
} from './payload-filter.ts';
export type { PayloadFilter } from './payload-filter.ts';
export { matchRoutes } from './routes.ts';
export { customerAdmits, routeAdmitsCustomer } from './customers.ts';
export type { CustomerEvent } from './customers.ts';
export type { EventLike, RouteLike } from './routes.ts';
export {
  DEFAULT_JITTER,
  DEFAULT_RETRY_POLICY,
  EXPONENTIAL_BASE_MS,
  EXPONENTIAL_CAP_MS,
  EXPONENTIAL_FACTOR,
  MAX_DELAY_MS,
  TWO_PHASE,
  TWO_PHASE_DELAYS_MS,
  TWO_PHASE_FAST_DELAYS_MS,
  TWO_PHASE_SLOW_DELAYS_MS,
  baseDelayMs,
  retryDelayMs,
  validateRetryPolicy,
} from './retry.ts';
export type { RetryPolicy } from './retry.ts';
export {
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_MIN_RETRY_AFTER_MS,
  FATAL_ERROR_CLASSES,
  RETRYABLE_ERROR_CLASSES,
  classifyAttempt,
  decide,
  parseHttpDate,
  parseRetryAfter,
} from './decide.ts';
export type { AttemptResult, Classification, DeadCode, Decision, RetryAfterBounds } from './decide.ts';
export {
  DELIVERY_STATUSES,
  EVENT_STATUSES,
  IN_FLIGHT_EVENT_STATUSES,
  TERMINAL_RANK,
  aggregateEventStatus,
  deliveryRank,
  eventStatus,
  isDeliveryStatus,
  isTerminalDeliveryStatus,
  mergeDeliveryState,
  mergeDeliveryStatus,
} from './status.ts';
export type { DeliveryState, DeliveryStatus, EventStatus, StoredDelivery } from './status.ts';
export { DEFAULT_CIRCUIT_OPTIONS, createCircuit, deriveCircuit } from './circuit.ts';
export type { Circuit, CircuitEvidence, CircuitOptions, CircuitState } from './circuit.ts';
export { createTokenBucket } from './token-bucket.ts';
export type { TokenBucket } from './token-bucket.ts';
export { deliveryIdFor, isTimeOrderedId, stableUuid, timeOrderedId } from './ids.ts';
export { MAX_RETENTION_DAYS, PLAN_NAMES, PLAN_RETENTION_DAYS, changesPlanTerms, planTerms } from './plan.ts';
export type { PlanChange, PlanName, PlanResult, PlanTerms } from './plan.ts';
export { claimExpired, claimExpiresAt, domainClaimId, domainOwnerId } from './domain-claims.ts';
export type { DomainClaimStatus } from './domain-claims.ts';
export {
  CONTENT_TYPES,
  type Format as ExportFileFormat,
  csvField,
  csvLine,
  encodeRows,
  fileHeader,
  neutraliseCell,
} from './export-format.ts';
export { ACTIONS, PERMISSIONS, ROLES, checkRoleChange, isRole, may, permissionsOf, roleRank } from './roles.ts';
export type { Action, Role, RoleChange } from './roles.ts';
