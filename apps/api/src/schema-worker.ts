// The worker thread of the payload validator (payload-validator.ts): validates one payload at a time
// against its event type's schema, off the API's event loop.
import { parentPort } from 'node:worker_threads';
import { payloadErrors } from './schemas.ts';

export interface ValidationJob {
  id: number;
  schema: Record<string, unknown>;
  payload: unknown;
  /** The payload's JSON size in bytes. */
  size: number;
}

export type ValidationAnswer = { id: number; errors: string[] } | { id: number; unusable: string } | { ready: true };

parentPort?.on('message', (job: ValidationJob) => {
  let answer: ValidationAnswer;
  try {
    answer = { id: job.id, errors: payloadErrors(job.schema, job.payload, job.size) };
  } catch (err) {
    answer = { id: job.id, unusable: (err as Error).message };
  }
  parentPort?.postMessage(answer);
});

// Loading this module's imports is not part of any validation's time: the pool waits for this.
parentPort?.postMessage({ ready: true } satisfies ValidationAnswer);
