// Where an event lives in the events stream: replay reads the event itself from there.
import type { Pool } from './pool.ts';
import { isUuid } from './queries.ts';

export interface EventLocation {
  stream_seq: number;
  direction: 'inbound' | 'outbound';
}

export async function locateEvent(pool: Pool, accountId: string, id: string): Promise<EventLocation | null> {
  if (!isUuid(accountId) || !isUuid(id)) return null;
  const { rows } = await pool.query<{ stream_seq: string; direction: 'inbound' | 'outbound' }>(
    'SELECT stream_seq, direction FROM events WHERE account_id = $1 AND id = $2',
    [accountId, id],
  );
  const r = rows[0];
  return r ? { stream_seq: Number(r.stream_seq), direction: r.direction } : null;
}
