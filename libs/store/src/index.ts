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
export { type ApplyOptions, type BatchResult, type ProjectionBatch, applyBatch } from './projection.ts';
export { WRITER_SLOTS, writerSlot } from './locks.ts';
export { type Checkpoint, readCheckpoints } from './checkpoints.ts';
export { countReadModels, truncateReadModels } from './rebuild.ts';
export type { EventInput } from './merge.ts';
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
  eventsByIds,
  getEvent,
  isUuid,
  listEvents,
} from './queries.ts';
export { type EventLocation, locateEvent } from './locate.ts';
export {
  type Page,
  type ReplayCounters,
  type ReplayFilter,
  type ReplayRecord,
  type ReplayStatus,
  type RetentionDeleted,
  type StreamBounds,
  cancelReplay,
  createReplay,
  deleteExpiredEvents,
  deleteExpiredRollups,
  eventStatuses,
  finishReplay,
  getReplay,
  latestDeliveryStatuses,
  listReplays,
  recordReplayProgress,
  setReplayExtent,
  startReplay,
  streamBounds,
} from './jobs.ts';
export {
  ATTEMPT_EXPORT_COLUMNS,
  type AttemptExportRow,
  EVENT_EXPORT_COLUMNS,
  type EventExportRow,
  type ExportFilter,
  type ExportFormat,
  type ExportKind,
  type ExportRecord,
  type ExportStatus,
  createExport,
  deleteExpiredExportRecords,
  expiredExports,
  exportAttemptRows,
  exportEventRows,
  finishExport,
  getExport,
  listExports,
  markExportExpired,
  recordExportProgress,
  startExport,
} from './exports.ts';
export { HIST_BUCKETS, histBucket, histQuantile, statusClass } from './rollups.ts';
export {
  type AccountStats,
  type ClassPoint,
  type DeadLetterFilter,
  type DestinationStats,
  type RecentFailure,
  type SeriesPoint,
  accountStats,
  destinationStats,
  listDeadLetters,
} from './insights.ts';
export {
  type AuditFilter,
  type AuditInput,
  applyAuditBatch,
  listAuditLog,
  snapshotAuditLog,
  truncateAuditLog,
} from './audit.ts';
