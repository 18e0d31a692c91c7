// One-shot commands: migrate, and rebuild (read models from the streams).
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';
import { connectBroker, ensureTopology } from '@hookstream/broker';
import { assertSchemaCurrent, createPool, migrate, schemaStatus } from '@hookstream/store';
import { startServices } from './embedded.ts';

export async function runMigrate(settings: Readonly<Settings>, log: Logger): Promise<void> {
  const services = await startServices(settings, log, { nats: false, database: true });
  const pool = createPool(services.databaseUrl as string, {});
  try {
    await migrate(pool);
    log.info(await schemaStatus(pool), 'schema is current');
  } finally {
    await pool.end();
    await services.stop();
  }
}

/** Drops the read models and projects every stream again from its first message. */
export async function runRebuild(settings: Readonly<Settings>, log: Logger): Promise<void> {
  const services = await startServices(settings, log, { nats: true, database: true });
  const pool = createPool(services.databaseUrl as string, {});
  const broker = await connectBroker({ servers: (services.natsUrl as string).split(','), name: 'hookstream:rebuild' });
  try {
    if (!settings.databaseUrl) await migrate(pool);
    await assertSchemaCurrent(pool);
    await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
    const { rebuild } = await import('@hookstream/app-projector');
    const result = await rebuild({ broker, pool, log });
    log.info(result, 'read models rebuilt from the streams');
  } finally {
    await broker.close();
    await pool.end();
    await services.stop();
  }
}
