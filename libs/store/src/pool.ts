// The Postgres pool. Postgres is a projection: it may be down while intake and delivery go on, so
// a broken connection is logged and reported, never fatal.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  /** Connections at most (default 5: projector batches and API queries are short). */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Give up connecting after this long, so that callers back off instead of hanging (default 5000). */
  connectionTimeoutMs?: number;
  /** Server-side cap on one statement (default none). */
  statementTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Idle-client errors (server restart, network cut); without a listener they would crash the process. */
  onError?: (err: Error) => void;
}

// int8 (counts, sequences) as JS numbers: every value we store stays below 2^53. Per pool, so that
// other pg users in the process (pg-boss) keep the library default.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === (pg.types.builtins.INT8 as number)
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPool(url: string, opts: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 5,
    application_name: opts.applicationName ?? 'hookstream',
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 10_000,
    types,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  const onError = opts.onError ?? (() => {});
  pool.on('error', (err) => onError(err));
  return pool;
}

export interface TransactionOptions {
  /** Statements without parameters (SET LOCAL, a lock) run right after BEGIN, in its round trip. */
  begin?: string;
  /** Statements without parameters run right before COMMIT, in its round trip. */
  end?: string;
}

/**
 * Runs fn inside BEGIN … COMMIT; rolls back and rethrows on failure. A broken client is destroyed.
 * A string `o` is taken as `begin`. Statements sent together run in order; the first that fails
 * aborts the transaction and skips the rest (COMMIT too), and the rollback follows.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  o: string | TransactionOptions = {},
): Promise<T> {
  const { begin, end } = typeof o === 'string' ? { begin: o, end: undefined } : o;
  const { client, release, markBroken } = await checkOut(pool);
  try {
    await client.query(begin ? `BEGIN; ${begin}` : 'BEGIN');
    const result = await fn(client);
    await client.query(end ? `${end}; COMMIT` : 'COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      markBroken(rollbackErr as Error);
    }
    throw err;
  } finally {
    release();
  }
}

/**
 * A client checked out of the pool that cannot crash the process: pg-pool listens for errors only
 * on idle clients, so a server that goes away while one is checked out would otherwise emit an
 * unhandled 'error'. A client that failed is destroyed on release instead of going back to the pool.
 */
export async function checkOut(
  pool: Pool,
): Promise<{ client: PoolClient; markBroken: (err: Error) => void; release: () => void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (err: Error) => {
    broken = err;
  };
  client.on('error', markBroken);
  return {
    client,
    markBroken,
    release() {
      client.off('error', markBroken);
      client.release(broken);
    },
  };
}

/**
 * Errors that can never succeed on retry: bad data (class 22) or a violated constraint (class 23).
 * Anything else — connection loss, deadlock, shutdown, a missing table — is worth retrying.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
