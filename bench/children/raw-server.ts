// Raw limits 1 and 2: a bare Fastify endpoint answering 202, and the same endpoint awaiting one
// JetStream publish of the body first. Parsed like /ingest (raw Buffer body), nothing else.
// `coalesce`: publishes as the api makes them (libs/broker/src/pubacks.ts, coalesce.ts): a plain
// publish with a reply subject under one subscription instead of js.publish()'s request object,
// and the publishes of one turn of the event loop in one socket write. Without it, js.publish().
import Fastify from 'fastify';
import { connect, createInbox } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { childArgs, serve } from './ipc.ts';

const args = childArgs<{ mode: 'bare' | 'publish'; natsUrl?: string; coalesce?: boolean }>();

/** Runs `write` in the check phase with every other write asked for in this turn. */
function coalescer(): (write: () => void) => void {
  let queue: Array<() => void> = [];
  const flush = () => {
    const run = queue;
    queue = [];
    for (const write of run) write();
  };
  return (write) => {
    if (queue.push(write) === 1) setImmediate(flush);
  };
}

let publish: ((body: Buffer) => Promise<unknown>) | null = null;
let close = async () => {};
if (args.mode === 'publish') {
  const nc = await connect({ servers: args.natsUrl as string });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete('BENCH_RAW_INGEST').catch(() => {});
  await jsm.streams.add({ name: 'BENCH_RAW_INGEST', subjects: ['bench.raw.ingest.>'] });
  const js = jetstream(nc);
  if (args.coalesce) {
    const defer = coalescer();
    const prefix = `${createInbox()}.`;
    const waiting = new Map<string, { resolve(): void; reject(e: Error): void }>();
    let next = 0;
    nc.subscribe(`${prefix}*`, {
      callback: (_err, msg) => {
        const token = msg.subject.slice(prefix.length);
        const w = waiting.get(token);
        waiting.delete(token);
        // A PubAck carries "error" when the stream refused the message.
        if (msg.data.length > 0 && msg.json<{ error?: unknown }>().error === undefined) w?.resolve();
        else w?.reject(new Error(`publish refused: ${msg.string()}`));
      },
    });
    publish = (body) =>
      new Promise<void>((resolve, reject) => {
        const token = (next++).toString(36);
        waiting.set(token, { resolve, reject });
        defer(() => nc.publish('bench.raw.ingest.x', body, { reply: prefix + token }));
      });
  } else publish = (body) => js.publish('bench.raw.ingest.x', body);
  close = async () => {
    await jsm.streams.delete('BENCH_RAW_INGEST').catch(() => {});
    await nc.drain();
  };
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) =>
  done(null, body),
);
app.post('/ingest/:token', async (request, reply) => {
  if (publish) await publish(request.body as Buffer);
  return reply.code(202).send({ data: { status: 'queued' }, duration_ms: 0 });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;

await serve({ url: `http://127.0.0.1:${port}` }, {}, async () => {
  await app.close();
  await close();
});
