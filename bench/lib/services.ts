// The bench's own nats-server and Postgres, in a temporary directory: nothing from a developer's
// .data folder is touched, and each run starts from empty streams and an empty database.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type NatsServerHandle, type PostgresHandle, startNatsServer, startPostgres } from '@hookstream/embedded';
import { createPool, migrate } from '@hookstream/store';

export interface Services {
  dir: string;
  nats: NatsServerHandle;
  pg: PostgresHandle;
  natsUrl: string;
  /** http://host:port of nats-server's Go profiles, when asked for. */
  natsProfileUrl: string | null;
  databaseUrl: string;
  stop(keep: boolean): Promise<void>;
}

/** `profileNats`: nats-server also serves Go's CPU profiles (Services.natsProfileUrl). */
export async function startServices(o: { profileNats?: boolean } = {}): Promise<Services> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookstream-bench-'));
  // As root, Postgres runs as the 'postgres' user, which must be able to enter mkdtemp's 0700 dir.
  await chmod(dir, 0o755);
  const [nats, pg] = await Promise.all([
    startNatsServer({
      storeDir: path.join(dir, 'nats'),
      port: 0,
      logFile: path.join(dir, 'nats.log'),
      ...(o.profileNats ? { profilePort: 0 } : {}),
    }),
    // Not ephemeral: fsync stays on, as in production.
    startPostgres({ dataDir: path.join(dir, 'pg'), port: 0 }),
  ]);
  const pool = createPool(pg.url, {});
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return {
    dir,
    nats,
    pg,
    natsUrl: nats.url,
    natsProfileUrl: nats.profilePort === undefined ? null : `http://127.0.0.1:${nats.profilePort}`,
    databaseUrl: pg.url,
    async stop(keep) {
      await Promise.allSettled([nats.stop(), pg.stop()]);
      if (!keep) await rm(dir, { recursive: true, force: true });
    },
  };
}
