// The projector role on its own: read settings, connect, refuse a stale schema, build, start, and
// on SIGTERM stop pulling, commit what is buffered, drain NATS and close the pool.
import { connectBroker, ensureTopology } from '@hookstream/broker';
import { loadSettings } from '@hookstream/config';
import { processLogger } from '@hookstream/observability';
import { assertSchemaCurrent, createPool } from '@hookstream/store';
import { buildProjector } from './build.ts';

const settings = loadSettings();
const log = processLogger(settings, 'projector');

if (!settings.natsUrl || !settings.databaseUrl) {
  log.fatal('the projector role needs NATS_URL and DATABASE_URL (the embedded default runs through the hookstream command)');
  process.exit(2);
}

const broker = await connectBroker({ servers: settings.natsUrl, name: 'hookstream-projector', log: (level, msg) => log[level](msg) });
const pool = createPool(settings.databaseUrl, {
  applicationName: 'hookstream-projector',
  onError: (err) => log.warn({ err }, 'postgres client error'),
});
try {
  await assertSchemaCurrent(pool);
} catch (err) {
  log.fatal({ err }, 'refusing to start');
  await pool.end();
  await broker.close();
  process.exit(1);
}
await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
const projector = buildProjector({ broker, pool, log });
await projector.start();
log.info('projector started');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'projector stopping');
  await projector.stop();
  await broker.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
