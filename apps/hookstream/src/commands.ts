// One-shot commands: migrate (and rebuild, with the projector).
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';
import { createPool, migrate, schemaStatus } from '@hookstream/store';
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
