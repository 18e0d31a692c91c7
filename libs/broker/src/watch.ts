// The event ids of one account as its facts pass through the streams (routings, attempts, dead
// letters): a plain subscription on their subjects, which sees every message stored from here on,
// on any instance, and nothing from before. The console's live view uses it to know which events to
// read again; it is a hint, not a record. The events' own subject is left out: it carries their
// bodies (up to 5 MB each), and an event is routed a moment after it is stored anyway.
import { attemptFactSubject, deadLetterSubject, routedFactSubject } from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';

const dec = new TextDecoder();

/** Every event_id named by a fact or dead letter (one, or a batch of routings or attempts). */
function idsOfFact(data: Uint8Array): string[] {
  try {
    const v = JSON.parse(dec.decode(data)) as { event_id?: unknown; routings?: unknown; attempts?: unknown };
    const out: string[] = [];
    if (typeof v.event_id === 'string') out.push(v.event_id);
    for (const list of [v.routings, v.attempts]) {
      if (!Array.isArray(list)) continue;
      for (const x of list)
        if (x && typeof (x as { event_id?: unknown }).event_id === 'string')
          out.push((x as { event_id: string }).event_id);
    }
    return out;
  } catch {
    return [];
  }
}

export function watchAccountEvents(broker: Broker, accountId: string, onIds: (ids: string[]) => void): () => void {
  const { nc } = handlesOf(broker);
  const subs = [routedFactSubject(accountId), attemptFactSubject(accountId), deadLetterSubject(accountId)].map(
    (subject) =>
      nc.subscribe(subject, {
        callback: (err, m) => {
          if (err) return;
          const ids = idsOfFact(m.data);
          if (ids.length > 0) onIds(ids);
        },
      }),
  );
  return () => {
    for (const s of subs) s.unsubscribe();
  };
}
