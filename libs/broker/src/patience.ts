// Setup requests (streams, consumers, buckets) that a cluster cannot answer yet are asked again.
// A role started with its cluster, or while a node restarts, waits for the JetStream meta leader
// instead of exiting with "timeout" on its first request.
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/** How long setup keeps asking before the start fails. */
export const SETUP_PATIENCE_MS = 120_000;

/** 10008: "JetStream system temporarily unavailable", the answer while leaders are elected. */
const TEMPORARILY_UNAVAILABLE = 10008;

/** No answer, no responder yet, or "temporarily unavailable": worth asking again. */
export function isUnanswered(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.code === TEMPORARILY_UNAVAILABLE;
  return (
    err instanceof errors.TimeoutError ||
    err instanceof errors.RequestError ||
    err instanceof errors.ConnectionError ||
    // What nats.js throws when no server answers the JetStream API subject yet (its class is not exported).
    (err instanceof Error && err.name === 'JetStreamNotEnabled')
  );
}

export interface PatienceOptions {
  /** Total time allowed, from the first try. */
  withinMs?: number;
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Runs an idempotent setup step until it gets an answer; other errors and the deadline end it. */
export async function patiently<T>(step: () => Promise<T>, o: PatienceOptions = {}): Promise<T> {
  const deadline = Date.now() + (o.withinMs ?? SETUP_PATIENCE_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const pause = Math.min(250 * 2 ** (attempt - 1), 5_000);
      if (!isUnanswered(err) || Date.now() + pause >= deadline) throw err;
      o.onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
