// The jobs role on its own: read settings, connect, refuse a stale schema, build, start; on
// SIGTERM/SIGINT stop taking jobs (running replays stop at their next batch and resume on retry),
// drain NATS, close the pool.
import { connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import { loadKeyring, openCatalog } from '@hookstream/catalog';
import { loadSettings } from '@hookstream/config';
import { processLogger } from '@hookstream/observability';
import { assertSchemaCurrent, createPool } from '@hookstream/store';
import { buildJobs } from './build.ts';

const settings = loadSettings();
const log = processLogger(settings, 'jobs');
if (!settings.natsUrl || !settings.databaseUrl) {
  log.fatal('the jobs role needs NATS_URL and DATABASE_URL (the embedded default runs through the hookstream command)');
  process.exit(2);
}

const broker = await connectBroker({ servers: settings.natsUrl, name: 'hookstream-jobs', log: (level, msg) => log[level](msg) });
const pool = createPool(settings.databaseUrl, { applicationName: 'hookstream-jobs', onError: (err) => log.warn({ err }, 'postgres client error') });
try {
  await assertSchemaCurrent(pool);
} catch (err) {
  log.fatal({ err }, 'refusing to start');
  await pool.end();
  await broker.close();
  process.exit(1);
}
await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
const keyring = await loadKeyring(settings).catch((err: Error) => {
  log.fatal(err.message);
  process.exit(2);
});
const catalog = await openCatalog(broker, {
  keyring: keyring.keyring,
  onUnopenable: (err, kind, id) => log.error({ kind, id, kid: err.kid }, `a config change does not open with this process's keys and was not applied: ${err.message}`),
});
const jobs = buildJobs({ broker, pool, catalog, publisher: createPublisher(broker), log, settings });
await jobs.start();

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'jobs stopping');
  await jobs.stop();
  catalog.close();
  await broker.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
