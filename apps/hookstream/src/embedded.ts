// The embedded default: with no NATS_URL / DATABASE_URL, start a local nats-server and Postgres
// with their data under DATA_DIR, so that one command runs the whole gateway on a laptop.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';
import {
  NATS_INSTALL_HINT,
  type NatsServerHandle,
  type PostgresHandle,
  findNatsServer,
  installNatsServer,
  startNatsServer,
  startPostgres,
} from '@hookstream/embedded';

export interface Services {
  natsUrl: string | null;
  databaseUrl: string | null;
  stop(): Promise<void>;
}

export interface Needs {
  nats: boolean;
  database: boolean;
}

export async function startServices(settings: Readonly<Settings>, log: Logger, needs: Needs): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  let natsUrl = settings.natsUrl;
  let databaseUrl = settings.databaseUrl;
  const dataDir = path.resolve(settings.dataDir);
  try {
    if (!natsUrl && needs.nats) {
      let bin = findNatsServer(settings.natsServerBin ?? undefined);
      if (!bin) {
        log.warn('nats-server is not installed; trying to install it');
        bin = await installNatsServer((s: string) => log.info(s));
        if (!bin)
          throw new Error(
            `nats-server is not installed. Install it with:\n  ${NATS_INSTALL_HINT}\nor set NATS_URL to an existing server.`,
          );
      }
      await mkdir(path.join(dataDir, 'nats'), { recursive: true });
      const nats: NatsServerHandle = await startNatsServer({
        storeDir: path.join(dataDir, 'nats'),
        port: settings.embeddedNatsPort,
        binary: bin,
        logFile: path.join(dataDir, 'nats-server.log'),
        notice: (m: string) => log.warn(m),
      });
      natsUrl = nats.url;
      stops.push(() => nats.stop());
      log.info({ url: natsUrl, store: path.join(dataDir, 'nats') }, 'embedded nats-server started');
    }
    if (!databaseUrl && needs.database) {
      await mkdir(dataDir, { recursive: true });
      const pg: PostgresHandle = await startPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: settings.embeddedPostgresPort,
        notice: (m: string) => log.warn(m),
      });
      databaseUrl = pg.url;
      stops.push(() => pg.stop());
      log.info({ port: pg.port, data: path.join(dataDir, 'postgres') }, 'embedded postgres started');
    }
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => {});
    throw err;
  }
  return {
    natsUrl,
    databaseUrl,
    async stop() {
      for (const s of stops.reverse())
        await s().catch((err) => log.error({ err }, 'stopping an embedded service failed'));
    },
  };
}
