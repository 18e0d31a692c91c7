// The event ids of one account as its messages pass through the streams (new events, routings,
// attempts, dead letters): a plain subscription on the streams' subjects, which sees every message
// stored from here on, on any instance, and nothing from before. The console's live view uses it to
// know which events to read again; it is a hint, not a record (a message missed is read on the next poll).
import { META_HEADER, accountEventsFilter, attemptFactSubject, deadLetterSubject, routedFactSubject } from '@hookstream/contracts';
import type { Broker } from './connection.ts';

const dec = new TextDecoder();

/** Every event_id named by a fact or dead letter (one, or a batch of routings or attempts). */
function idsOfFact(data: Uint8Array): string[] {
  try {
    const v = JSON.parse(dec.decode(data)) as { event_id?: unknown; routings?: unknown; attempts?: unknown };
    const out: string[] = [];
    if (typeof v.event_id === 'string') out.push(v.event_id);
    for (const list of [v.routings, v.attempts]) {
      if (!Array.isArray(list)) continue;
      for (const x of list) if (x && typeof (x as { event_id?: unknown }).event_id === 'string') out.push((x as { event_id: string }).event_id);
    }
    return out;
  } catch {
    return [];
  }
}

export function watchAccountEvents(broker: Broker, accountId: string, onIds: (ids: string[]) => void): () => void {
  const subs = [
    broker.nc.subscribe(accountEventsFilter(accountId), {
      callback: (err, m) => {
        if (err) return;
        try {
          const meta = JSON.parse(m.headers?.get(META_HEADER) ?? '') as { event_id?: unknown };
          if (typeof meta.event_id === 'string') onIds([meta.event_id]);
        } catch {
          /* not an event we can read: the poll still finds it */
        }
      },
    }),
    ...[routedFactSubject(accountId), attemptFactSubject(accountId), deadLetterSubject(accountId)].map((subject) =>
      broker.nc.subscribe(subject, {
        callback: (err, m) => {
          if (err) return;
          const ids = idsOfFact(m.data);
          if (ids.length > 0) onIds(ids);
        },
      }),
    ),
  ];
  return () => {
    for (const s of subs) s.unsubscribe();
  };
}
