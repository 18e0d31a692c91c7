export { type Pool, type PoolClient, type PoolOptions, createPool, isDataError, withTransaction } from './pool.ts';
export {
  type Migration,
  type MigrateResult,
  MigrationChecksumError,
  SchemaBehindError,
  type SchemaStatus,
  assertSchemaCurrent,
  loadMigrations,
  migrate,
  schemaStatus,
} from './migrate.ts';
export {
  type BatchResult,
  type Checkpoint,
  type ProjectionBatch,
  type ReadModelSnapshot,
  advanceCheckpoint,
  applyBatch,
  countReadModels,
  readCheckpoints,
  snapshotReadModels,
  truncateReadModels,
} from './projection.ts';
export { type EventInput, TERMINAL_RANK, deliveryRank, eventStatus } from './merge.ts';
export {
  type AttemptView,
  type DeliveryView,
  type EventDetail,
  type EventFilter,
  type EventSummary,
  InvalidQueryError,
  bodyView,
  decodeCursor,
  encodeCursor,
  getEvent,
  isUuid,
  listEvents,
} from './queries.ts';
export { type EventLocation, locateEvent } from './locate.ts';
