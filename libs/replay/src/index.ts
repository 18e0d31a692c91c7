export {
  type ReplayResult,
  type ReplayTarget,
  type StoredEvent,
  publishReplay,
  readEvent,
  replayTargets,
} from './replay.ts';
