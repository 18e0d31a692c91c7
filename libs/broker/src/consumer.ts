// What a consumer of the engine (consume.ts) is given and gives back: its options, its handle, and
// the statuses it reports.
import type { Broker } from './connection.ts';
import type { InboundMsg } from './message.ts';

/**
 * What a consumer reports about its pulls, one spelling each:
 * - `heartbeats_missed`: neither a message nor an idle heartbeat came in time (server paused, away);
 * - `consumer_missing`: the consumer or its stream does not exist, or was deleted;
 * - `pull_refused`: a limit of the consumer refused the pull (MaxWaiting, MaxRequestBatch, …);
 * - `pull_ended`: the server ended a pull early (leadership change, shutdown, a bad request);
 * - `reconnected`: the connection came back; the pull in progress was lost with it and is asked again.
 *   nats-server cuts a slow consumer off without a word: this is how one shows.
 */
export const CONSUMER_STATUSES = [
  'heartbeats_missed',
  'consumer_missing',
  'pull_refused',
  'pull_ended',
  'reconnected',
] as const;
export type ConsumerStatusKind = (typeof CONSUMER_STATUSES)[number];

export interface ConsumerStatus {
  kind: ConsumerStatusKind;
  detail: string;
}

/** What a consumer holds when it asks `capacity` how much it may pull. */
export interface ConsumerLoad {
  /** Messages handed out whose handlers have not returned. */
  inHand: number;
  /** Of those, the ones whose handler has not called `release()`. */
  unreleased: number;
}

/** `n` messages may be pulled now; with 0, ask again after `waitMs` (or at the next poke or release). */
export interface Capacity {
  n: number;
  waitMs: number;
}

/**
 * 8 MB: a router and a projector's three consumers in one process ask for at most 4 × 8 MB on one
 * connection, half of nats-server's default max_pending (64 MB).
 */
export const DEFAULT_WINDOW_BYTES = 8 * 1024 * 1024;

export interface ConsumerOptions {
  broker: Broker;
  stream: string;
  consumer: string;
  /** Messages asked for ahead and in hand at most (default: `capacity` alone decides). */
  maxMessages?: number;
  /**
   * Bytes asked for ahead and in hand at most, or one message larger than that (alone in hand). The
   * server queues up to this for the connection: the sum over the consumers of a connection must
   * stay well under its max_pending. Default DEFAULT_WINDOW_BYTES.
   */
  maxBytes?: number;
  /** How many more messages the handlers can start now, within the window. */
  capacity?: (load: ConsumerLoad) => Capacity;
  /**
   * A message to handle, settled by the handler (ack, nak, term). `release` says it no longer counts
   * as unreleased toward `capacity`, though its handler goes on. A throw naks it after a delay.
   */
  handle: (msg: InboundMsg, release: () => void) => Promise<void>;
  /** Handler exceptions. */
  onError?: (err: unknown) => void;
  onStatus?: (status: ConsumerStatus) => void;
  /**
   * Called when a pull ended bringing nothing, or the consumer is missing; resolving true ends the
   * consumer (a drain that found it empty).
   */
  onIdle?: () => Promise<boolean>;
  /** Delay before a message whose handler threw is offered again (default 1 s). */
  errorNakDelayMs?: number;
  /**
   * How long one pull waits on the server (default 5 s). stop() waits for the pull in progress, up
   * to this long: messages of a pull abandoned while the server still holds it would be sent to
   * nobody, to come again after AckWait.
   */
  expiresMs?: number;
  /** The server's sign of life during a pull that brings nothing (default 5 s, at most half of expiresMs). */
  heartbeatMs?: number;
}

export interface Consumer {
  /** Messages whose handlers have not returned. */
  readonly inFlight: number;
  /** The last status reported, or null once a message, a heartbeat or a pull's normal end came since. */
  readonly status: ConsumerStatus | null;
  /** Resolves when the consumer ended (onIdle said so, or stop()) and its handlers returned. */
  readonly done: Promise<void>;
  /** Asks `capacity` again now (after a change to what it depends on). */
  poke: () => void;
  /** Asks for nothing more, waits for the pull in progress (its messages are handled), then for the handlers. */
  stop: () => Promise<void>;
}
