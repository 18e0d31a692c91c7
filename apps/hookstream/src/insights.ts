// The API's console ports: dead letters and statistics from the Postgres read models (rollups),
// backlogs and projection lag from JetStream, the live view's watch on the account's subjects.
import { type Broker, destinationBacklogs, projectionLagMs, watchAccountEvents } from '@hookstream/broker';
import type { ApiDeps } from '@hookstream/app-api';
import { type Pool, accountStats, destinationStats, listDeadLetters } from '@hookstream/store';

export function insightPorts(
  pool: Pool | null,
  broker: Broker,
  now = () => Date.now(),
): Pick<ApiDeps, 'insights' | 'pending' | 'projectionLagMs' | 'watchAccount'> {
  return {
    ...(pool
      ? {
          insights: {
            deadLetters: (accountId, q) => listDeadLetters(pool, accountId, q),
            stats: (accountId, w, ids) => accountStats(pool, accountId, w, ids),
            destinationStats: (accountId, id, w) => destinationStats(pool, accountId, id, w),
          },
        }
      : {}),
    pending: (ids) => destinationBacklogs(broker, ids),
    projectionLagMs: () => projectionLagMs(broker, now()),
    watchAccount: (accountId, onIds) => watchAccountEvents(broker, accountId, onIds),
  };
}
