export { startNats, startNatsCluster } from './nats.ts';
export { createTestDatabase, startOwnPostgres } from './postgres.ts';
export { startReceiver, type RecordedRequest, type Receiver, type Reply, type Responder } from './receiver.ts';
export { waitFor, type WaitOptions } from './wait.ts';
export { startDns } from './dns.ts';
export {
  type RawBucket,
  type RawBucketEntry,
  type RawPublishOptions,
  deleteStream,
  openRawBucket,
  publishRaw,
  streamMessages,
} from './broker.ts';
