// The jobs role's composition root: pg-boss (its own schema in the same database) running bulk
// replays, exports and the scheduled retention cleaner, plus the ports the API uses to create and
// read them. An API-only process builds it with work=false: the ports, no workers.
import { type Broker, type ObjectBucket, type Publisher, openObjectBucket } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import type { Settings } from '@hookstream/config';
import { OBJECT_BUCKET } from '@hookstream/contracts';
import type { Logger, Metrics } from '@hookstream/observability';
import { type Pool, finishReplay } from '@hookstream/store';
import { type JobWithMetadata, PgBoss } from 'pg-boss';
import { EXPORT_TTL_MS, exportPort, failExport, runExport } from './exports.ts';
import { ReplayAbort, replayPort, runReplay } from './replays.ts';
import { type RetentionReport, runRetention } from './retention.ts';
import { type DomainClaimsReport, expireDomainClaims } from './domain-claims.ts';

export { EXPORT_TTL_MS } from './exports.ts';
export { MAX_REPLAY_WINDOW_MS } from './replays.ts';
export type { ExportView, DownloadResult } from './exports.ts';
export type { ReplayView } from './replays.ts';
export type { AccountRetention, RetentionReport } from './retention.ts';
export type { DomainClaimsReport } from './domain-claims.ts';

export const QUEUES = {
  replays: 'hookstream.replays',
  exports: 'hookstream.exports',
  retention: 'hookstream.retention',
  domainClaims: 'hookstream.domain-claims',
} as const;

/** Every 10 minutes. */
export const RETENTION_CRON = '*/10 * * * *';
/** Every 10 minutes, five minutes after the retention pass. */
export const DOMAIN_CLAIMS_CRON = '5-59/10 * * * *';

export interface JobsDeps {
  broker: Broker;
  pool: Pool;
  catalog: Catalog;
  publisher: Publisher;
  log: Logger;
  settings: Readonly<Settings>;
  /** pg-boss connects on its own (default settings.databaseUrl): its pool keeps pg's default type parsing. */
  databaseUrl?: string;
  /** Run the workers and the schedule (the jobs role). False: only the ports, for an API-only process. Default true. */
  work?: boolean;
  /** How often idle workers look for jobs (default 2 s). */
  pollingIntervalSeconds?: number;
  metrics?: Metrics;
  now?: () => number;
}

export interface Jobs {
  start(): Promise<void>;
  /** Stops taking jobs; running replays stop at their next batch and resume elsewhere. */
  stop(): Promise<void>;
  ports: { replays: ReturnType<typeof replayPort>; exports: ReturnType<typeof exportPort> };
  /** One retention pass now (what the schedule runs), for tests and operators. */
  runRetention(now?: number): Promise<RetentionReport>;
  /** One pass over unverified custom-domain claims now (what the schedule runs). */
  expireDomainClaims(now?: number): Promise<DomainClaimsReport>;
}

interface JobData {
  id: string;
}

export function buildJobs(deps: JobsDeps): Jobs {
  const databaseUrl = deps.databaseUrl ?? deps.settings.databaseUrl;
  if (!databaseUrl) throw new Error('the jobs role needs a database URL');
  const work = deps.work ?? true;
  const now = deps.now ?? (() => Date.now());
  const log = deps.log;
  const boss = new PgBoss({
    connectionString: databaseUrl,
    application_name: 'hookstream-jobs',
    max: 4,
    // Only workers supervise queues and run schedules; an API-only process just sends.
    supervise: work,
    schedule: work,
  });
  boss.on('error', (err) => log.warn({ err }, 'pg-boss error'));
  boss.on('warning', (w) => log.warn({ warning: w.message }, 'pg-boss warning'));

  let bucket: ObjectBucket | null = null;
  const needBucket = () => {
    if (!bucket) throw new Error('the jobs role is not started');
    return bucket;
  };
  let stopping = false;
  let started = false;
  let depthTimer: NodeJS.Timeout | undefined;

  const send = (queue: string) => async (id: string) => {
    // The record's id is the job's: sending twice queues it once.
    await boss.send(queue, { id } satisfies JobData, { id });
  };
  const ports = {
    replays: replayPort({ pool: deps.pool, catalog: deps.catalog, enqueue: send(QUEUES.replays) }),
    exports: exportPort({ pool: deps.pool, catalog: deps.catalog, bucket: needBucket, enqueue: send(QUEUES.exports) }),
  };
  const retention = (at?: number) =>
    runRetention(
      { broker: deps.broker, pool: deps.pool, catalog: deps.catalog, bucket: needBucket(), log },
      at ?? now(),
    );

  const domainClaims = (at?: number) =>
    expireDomainClaims({ catalog: deps.catalog, log }, deps.settings.customDomainClaimTtlH * 3_600_000, at ?? now());

  const lastTry = (job: { retryCount: number; retryLimit: number }) => job.retryCount >= job.retryLimit;

  async function startWorkers(): Promise<void> {
    const polling = { pollingIntervalSeconds: deps.pollingIntervalSeconds ?? 2 };
    await boss.work(
      QUEUES.replays,
      { ...polling, includeMetadata: true, localConcurrency: 2 },
      async ([job]: JobWithMetadata<JobData>[]) => {
        if (!job) return;
        try {
          const outcome = await runReplay(
            { broker: deps.broker, pool: deps.pool, catalog: deps.catalog, publisher: deps.publisher, log, now },
            job.data.id,
            () => stopping || job.signal.aborted,
          );
          // Thrown so that pg-boss retries it, and the retry resumes from the saved position.
          if (outcome === 'stopped') throw new Error('stopped by shutdown; resumes on retry');
        } catch (err) {
          if (err instanceof ReplayAbort || lastTry(job)) {
            await finishReplay(
              deps.pool,
              job.data.id,
              'failed',
              err instanceof ReplayAbort ? err.message : 'the replay failed repeatedly; see the logs',
            );
            if (err instanceof ReplayAbort) return;
          }
          log.warn({ err, replay_id: job.data.id }, 'bulk replay attempt failed');
          throw err;
        }
      },
    );
    await boss.work(
      QUEUES.exports,
      { ...polling, includeMetadata: true, localConcurrency: 1 },
      async ([job]: JobWithMetadata<JobData>[]) => {
        if (!job) return;
        try {
          await runExport({ pool: deps.pool, bucket: needBucket(), log }, job.data.id);
        } catch (err) {
          log.warn({ err, export_id: job.data.id }, 'export attempt failed');
          if (lastTry(job)) await failExport(deps.pool, job.data.id, 'the export failed repeatedly; see the logs');
          throw err;
        }
      },
    );
    await boss.work(QUEUES.retention, { ...polling }, async () => {
      await retention();
    });
    await boss.schedule(QUEUES.retention, RETENTION_CRON, null, { singletonKey: 'retention' });
    await boss.work(QUEUES.domainClaims, { ...polling }, async () => {
      await domainClaims();
    });
    await boss.schedule(QUEUES.domainClaims, DOMAIN_CLAIMS_CRON, null, { singletonKey: 'domain-claims' });
  }

  return {
    ports,
    runRetention: retention,
    expireDomainClaims: domainClaims,
    async start() {
      bucket = await openObjectBucket(deps.broker, {
        bucket: OBJECT_BUCKET,
        replicas: deps.settings.streamReplicas,
        // A backstop: the retention job removes each file 24 h after its export finished.
        maxAgeMs: EXPORT_TTL_MS * 2,
      });
      await boss.start();
      started = true;
      const long = {
        retryLimit: 5,
        retryDelay: 5,
        retryBackoff: true,
        heartbeatSeconds: 30,
        expireInSeconds: 6 * 3600,
      };
      await boss.createQueue(QUEUES.replays, long);
      await boss.createQueue(QUEUES.exports, long);
      // One pass at a time, however many copies run; a missed pass is simply the next one.
      await boss.createQueue(QUEUES.retention, { policy: 'singleton', retryLimit: 0, expireInSeconds: 3600 });
      await boss.createQueue(QUEUES.domainClaims, { policy: 'singleton', retryLimit: 0, expireInSeconds: 600 });
      if (work) await startWorkers();
      if (work && deps.metrics) {
        const metrics = deps.metrics;
        const names = [
          ['replays', QUEUES.replays],
          ['exports', QUEUES.exports],
          ['retention', QUEUES.retention],
        ] as const;
        const sample = () =>
          void (async () => {
            for (const [label, queue] of names) {
              const q = await boss.getQueue(queue);
              if (q) metrics.setJobsQueueDepth(label, q.queuedCount + q.activeCount);
            }
          })().catch(() => {});
        sample();
        depthTimer = setInterval(sample, 15_000);
        depthTimer.unref();
      }
      log.info({ work }, 'jobs started');
    },
    async stop() {
      stopping = true;
      if (depthTimer) clearInterval(depthTimer);
      if (started) await boss.stop({ graceful: true, timeout: 15_000 });
    },
  };
}

/** The role's entry point for the gateway: built and started; stop() ends it. */
export async function start(deps: JobsDeps): Promise<Jobs> {
  const jobs = buildJobs(deps);
  await jobs.start();
  return jobs;
}
