// Test support: every row of the read models, to compare a rebuild (or another order of the same
// messages) with the live projection row for row.
import type { Pool } from '../src/pool.ts';

export interface ReadModelSnapshot {
  events: unknown[];
  deliveries: unknown[];
  attempts: unknown[];
  event_routings: unknown[];
  dead_letters: unknown[];
  event_rollups: unknown[];
  delivery_rollups: unknown[];
  event_rollups_hourly: unknown[];
  delivery_rollups_hourly: unknown[];
  destination_health: unknown[];
}

/**
 * Every row of the read models as JSON, in key order, without updated_at (the one column that
 * records when, not what). Two snapshots are equal when a rebuild reproduced the live tables.
 */
export async function snapshotReadModels(pool: Pool): Promise<ReadModelSnapshot> {
  const q = async (table: string, order: string) =>
    (
      await pool.query<{ r: unknown }>(`SELECT to_jsonb(t) - 'updated_at' AS r FROM ${table} t ORDER BY ${order}`)
    ).rows.map((x) => x.r);
  return {
    events: await q('events', 'id'),
    deliveries: await q('deliveries', 'id'),
    attempts: await q('attempts', 'delivery_id, n'),
    event_routings: await q('event_routings', 'event_id'),
    dead_letters: await q('dead_letters', 'delivery_id'),
    event_rollups: await q('event_rollups', 'account_id, minute, direction'),
    delivery_rollups: await q('delivery_rollups', 'account_id, minute, destination_id, outcome, class'),
    event_rollups_hourly: await q('event_rollups_hourly', 'account_id, hour, direction'),
    delivery_rollups_hourly: await q('delivery_rollups_hourly', 'account_id, hour, destination_id, outcome, class'),
    destination_health: await q('destination_health', 'destination_id'),
  };
}
