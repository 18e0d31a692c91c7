export { type Broker, type ConnectOptions, connectBroker, isServerAnswer } from './connection.ts';
export {
  ACK_WAIT_MARGIN_MS,
  type DestinationConsumerSpec,
  MAX_MSG_BYTES,
  type TopologyOptions,
  deleteDestinationConsumer,
  ensureDestinationConsumer,
  ensureTopology,
} from './topology.ts';
export { type Publisher, type Stored, createPublisher } from './publish.ts';
export { type TurnBatcher, type TurnBatcherOptions, createTurnBatcher } from './turns.ts';
export { startConsumer, troubledConsumers } from './consume.ts';
export {
  CONSUMER_STATUSES,
  type Capacity,
  type Consumer,
  type ConsumerLoad,
  type ConsumerOptions,
  type ConsumerStatus,
  type ConsumerStatusKind,
} from './consumer.ts';
export type { InboundMsg } from './message.ts';
export { type ConfigChange, type ConfigKv, openConfigKv } from './config-kv.ts';
export { type ConsoleSessionKv, type ConsoleSessionKvOptions, openConsoleSessionKv } from './session-kv.ts';
export { type PortalSessionKv, type PortalSessionKvOptions, openPortalSessionKv } from './portal-session-kv.ts';
export { type SignInFailureKv, openSignInFailureKv } from './signin-kv.ts';
export {
  type ConsumerAdmin,
  ConsumerMissing,
  type ConsumerSpec,
  type ConsumerState,
  type SequencePair,
} from './admin.ts';
export { type StreamReader, StreamMissing, type StreamState } from './reader.ts';
export { type StoredMessage } from './read.ts';
export { type ScanOptions, type ScanResult } from './scan.ts';
export { type ObjectBucket, type ObjectBucketOptions, type StoredObject, openObjectBucket } from './objects.ts';
export { type PatienceOptions, SETUP_PATIENCE_MS, isUnanswered, patiently } from './patience.ts';
export { watchAccountEvents } from './watch.ts';
export { destinationBacklogs, projectionLagMs } from './backlog.ts';
export { type AuditPublisher, createAuditPublisher } from './audit.ts';
