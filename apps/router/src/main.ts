// The router role on its own: read settings, connect, build, start; on SIGTERM/SIGINT stop pulling,
// finish the events in hand, drain NATS.
import { loadSettings } from '@hookstream/config';
import { connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import { loadKeyring, openCatalog } from '@hookstream/catalog';
import { processLogger } from '@hookstream/observability';
import { buildRouter } from './build.ts';

const settings = loadSettings();
const log = processLogger(settings, 'router');
if (settings.natsUrl === null) {
  log.fatal('NATS_URL is required to run the router role alone (the hookstream command starts an embedded server)');
  process.exit(2);
}
const broker = await connectBroker({ servers: settings.natsUrl, name: 'hookstream-router', log: (level, msg) => log[level](msg) });
await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
const keyring = await loadKeyring(settings).catch((err: Error) => {
  log.fatal(err.message);
  process.exit(2);
});
const catalog = await openCatalog(broker, {
  keyring: keyring.keyring,
  onUnopenable: (err, kind, id) => log.error({ kind, id, kid: err.kid }, `a config change does not open with this process's keys and was not applied: ${err.message}`),
});
const router = buildRouter({ broker, view: catalog.view, publisher: createPublisher(broker), log });
await router.start();
log.info('router started');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'router stopping');
  await router.stop();
  catalog.close();
  await broker.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
