// Raw limits 1 and 2: a bare Fastify endpoint answering 202, and the same endpoint awaiting one
// JetStream publish of the body first. Parsed like /ingest (raw Buffer body), nothing else.
import Fastify from 'fastify';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { childArgs, serve } from './ipc.ts';

const args = childArgs<{ mode: 'bare' | 'publish'; natsUrl?: string }>();

let publish: ((body: Buffer) => Promise<unknown>) | null = null;
let close = async () => {};
if (args.mode === 'publish') {
  const nc = await connect({ servers: args.natsUrl as string });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete('BENCH_RAW_INGEST').catch(() => {});
  await jsm.streams.add({ name: 'BENCH_RAW_INGEST', subjects: ['bench.raw.ingest.>'] });
  const js = jetstream(nc);
  publish = (body) => js.publish('bench.raw.ingest.x', body);
  close = async () => {
    await jsm.streams.delete('BENCH_RAW_INGEST').catch(() => {});
    await nc.drain();
  };
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) => done(null, body));
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
