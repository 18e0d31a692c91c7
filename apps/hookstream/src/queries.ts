// The API's event-log port, backed by the Postgres read models; replay reads the event itself
// back from the events stream.
import { randomUUID } from 'node:crypto';
import type { Broker, Publisher } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import type { EventQueries } from '@hookstream/app-api';
import { type Pool, eventsByIds, getEvent, listEvents, locateEvent } from '@hookstream/store';
import { publishReplay, readEvent, replayTargets } from '@hookstream/replay';

export function eventQueries(
  pool: Pool,
  broker: Broker,
  catalog: Catalog,
  publisher: Publisher,
  now = () => Date.now(),
): EventQueries {
  return {
    list: (accountId, filter) => listEvents(pool, accountId, filter),
    get: (accountId, id) => getEvent(pool, accountId, id),
    byIds: (accountId, ids, filter) => eventsByIds(pool, accountId, ids, filter),
    async replay(accountId, eventId, destinationId, direction) {
      const loc = await locateEvent(pool, accountId, eventId);
      if (!loc || (direction && loc.direction !== direction)) return 'not_found';
      const ev = await readEvent(broker.streams, loc.stream_seq);
      if (!ev || ev.meta.event_id !== eventId || ev.meta.account_id !== accountId) return 'gone';
      const targets = replayTargets(catalog, ev, destinationId);
      if (!targets) return 'bad_destination';
      return publishReplay(publisher, ev, targets, randomUUID(), now());
    },
  };
}
