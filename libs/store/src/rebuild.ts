// What a rebuild needs of the read models as a whole: empty them before, count them after.
import type { Pool } from './pool.ts';

/** Empties every read model and checkpoint, for a rebuild from the streams. */
export async function truncateReadModels(pool: Pool): Promise<void> {
  await pool.query(
    'TRUNCATE events, deliveries, attempts, event_routings, dead_letters, event_rollups, delivery_rollups, event_rollups_hourly, delivery_rollups_hourly, destination_health, projection_checkpoints',
  );
}

export async function countReadModels(pool: Pool): Promise<{ events: number; deliveries: number; attempts: number }> {
  const { rows } = await pool.query<{ events: number; deliveries: number; attempts: number }>(
    `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM deliveries) AS deliveries,
            (SELECT count(*) FROM attempts) AS attempts`,
  );
  return rows[0] ?? { events: 0, deliveries: 0, attempts: 0 };
}
