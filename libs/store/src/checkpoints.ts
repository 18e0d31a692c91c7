// Each projected stream's checkpoint: the highest sequence committed to the read models, moved in
// the same transaction as the rows its messages wrote (docs/adr/0002-projections.md).
import type { Pool } from './pool.ts';

export interface Checkpoint {
  stream: string;
  last_seq: number;
  updated_at: Date;
}

export async function readCheckpoints(pool: Pool): Promise<Record<string, Checkpoint>> {
  const { rows } = await pool.query<Checkpoint>('SELECT stream, last_seq, updated_at FROM projection_checkpoints');
  return Object.fromEntries(rows.map((r) => [r.stream, r]));
}

/**
 * The checkpoints' upsert, its values written into the statement so that it needs no parameters and
 * shares COMMIT's round trip. In one order: writers on different slots update the same rows.
 */
export function checkpointsSql(checkpoints: Readonly<Record<string, number>>): string | null {
  const streams = Object.keys(checkpoints).sort();
  if (streams.length === 0) return null;
  const values = streams.map((stream) => {
    const seq = checkpoints[stream];
    // Stream names are ours (HS_EVENTS…), sequences integers; anything else is a bug, not data.
    if (!/^[A-Za-z0-9_-]+$/.test(stream))
      throw new Error(`checkpoint of an unexpected stream name ${JSON.stringify(stream)}`);
    if (!Number.isSafeInteger(seq) || (seq as number) < 0)
      throw new Error(`checkpoint of ${stream} is not a sequence: ${String(seq)}`);
    return `('${stream}', ${seq as number})`;
  });
  return `INSERT INTO projection_checkpoints (stream, last_seq) VALUES ${values.join(', ')}
     ON CONFLICT (stream) DO UPDATE SET last_seq = GREATEST(projection_checkpoints.last_seq, excluded.last_seq), updated_at = now()`;
}
