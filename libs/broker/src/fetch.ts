// Pulls counted in messages through the client's fetch, for the deliverer's loop, which asks for
// no more than it can start at once (apps/deliverer/src/pull.ts).
import type { Broker } from './connection.ts';
import { handlesOf } from './connection.ts';
import { type InboundMsg, wrapMsg } from './consume.ts';

export interface FetchConsumer {
  /** One pull of up to `maxMessages`, waiting up to `expiresMs` on the server; its messages as they come. */
  fetch(maxMessages: number, expiresMs: number): AsyncIterable<InboundMsg>;
}

/** The durable consumer; fails when it (or its stream) does not exist. */
export async function fetchConsumer(broker: Broker, stream: string, consumer: string): Promise<FetchConsumer> {
  const { js, writes } = handlesOf(broker);
  const c = await js.consumers.get(stream, consumer);
  return {
    async *fetch(maxMessages, expiresMs) {
      for await (const m of await c.fetch({ max_messages: maxMessages, expires: expiresMs })) yield wrapMsg(m, writes);
    },
  };
}
