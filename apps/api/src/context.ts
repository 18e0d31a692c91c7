// What the API needs from the rest of the system: narrow ports, wired by the composition root.
import type { Catalog } from '@hookstream/catalog';
import type { Publisher } from '@hookstream/broker';
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface ApiDeps {
  settings: Readonly<Settings>;
  catalog: Catalog;
  publisher: Publisher;
  log: Logger;
  /** Named dependency checks for /readyz (NATS, streams, Postgres, projection lag …). */
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /** Extra route plugins (queries, replay, exports) registered under the same auth and envelope. */
  plugins?: Array<(app: import('fastify').FastifyInstance) => Promise<void>>;
  now?: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
    apiKeyId: string;
  }
}
