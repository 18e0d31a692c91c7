// Console sessions: a random id in the cookie, a record under the id's hash in the sessions bucket.
// Whoever reads the bucket cannot sign in with what they find there. A session is checked against the
// config view on every use, so revoking its key or deleting its account ends it at once.
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleSessionKv } from '@hookstream/broker';
import type { ConfigView } from '@hookstream/catalog';
import type { ConsoleSessionRecord } from '@hookstream/contracts';
import { errors } from '../errors.ts';

export const SESSION_COOKIE = 'hs_console';
/** A cross-site form cannot set a header, so a mutating request with the cookie must carry this one. */
export const CONSOLE_HEADER = 'x-hookstream-console';

/** Writing last_seen_at on every request would cost a KV write per request; once a minute is enough. */
const TOUCH_EVERY_MS = 60_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface ActiveSession {
  record: ConsoleSessionRecord;
  expiresAt: string;
}

export interface ConsoleSessions {
  /** Starts a session for a key already checked; answers the id for the cookie. */
  start(accountId: string, apiKeyId: string): Promise<{ id: string; expiresAt: string }>;
  /** Starts a session for a member already checked (password or single sign-on). */
  startForMember(accountId: string, memberId: string): Promise<{ id: string; expiresAt: string }>;
  /** The session behind a cookie value, or null when there is none or it has ended (then it is removed). */
  resolve(id: string | undefined): Promise<ActiveSession | null>;
  /** As resolve, but not a use: last_seen_at stays, so an open stream does not keep a session alive. */
  check(id: string | undefined): Promise<ActiveSession | null>;
  end(id: string | undefined): Promise<void>;
  /** Ends every session of a member (removed from the account). */
  endForMember(memberId: string): Promise<number>;
}

export interface ConsoleSessionDeps {
  kv: ConsoleSessionKv;
  view: ConfigView;
  idleMs: number;
  now: () => number;
}

/** The bucket key of a session id: its sha256, so the id itself is never stored. */
export function sessionKey(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** The bucket out of reach is the server's trouble, not the caller's: a 503 to retry, never a 401. */
function bucketUnavailable(err: unknown): never {
  throw errors.unavailable('console sessions are unavailable right now; retry', err);
}

export function createConsoleSessions(d: ConsoleSessionDeps): ConsoleSessions {
  const kv: ConsoleSessionKv = {
    get: (key) => d.kv.get(key).catch(bucketUnavailable),
    put: (key, record) => d.kv.put(key, record).catch(bucketUnavailable),
    update: (key, record, revision) => d.kv.update(key, record, revision).catch(bucketUnavailable),
    delete: (key) => d.kv.delete(key).catch(bucketUnavailable),
    indexByMember: (memberId, key) => d.kv.indexByMember(memberId, key).catch(bucketUnavailable),
    deleteForMember: (memberId) => d.kv.deleteForMember(memberId).catch(bucketUnavailable),
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const expiry = (lastSeenMs: number) => iso(lastSeenMs + d.idleMs);

  const ended = (r: ConsoleSessionRecord, now: number): boolean => {
    if (now - Date.parse(r.last_seen_at) >= d.idleMs) return true;
    if (r.member_id !== undefined) {
      // Checked against the view on every use: a member removed on any api copy is out at once here too.
      const m = d.view.members.get(r.member_id);
      return !m || m.account_id !== r.account_id || !d.view.accounts.has(r.account_id);
    }
    const key = d.view.apiKeys.get(r.api_key_id);
    if (!key || key.revoked_at || key.account_id !== r.account_id) return true;
    return !d.view.accounts.has(r.account_id);
  };

  return {
    async start(accountId, apiKeyId) {
      const id = randomBytes(32).toString('base64url');
      const now = d.now();
      await kv.put(sessionKey(id), {
        account_id: accountId,
        api_key_id: apiKeyId,
        created_at: iso(now),
        last_seen_at: iso(now),
      });
      return { id, expiresAt: expiry(now) };
    },
    async startForMember(accountId, memberId) {
      const id = randomBytes(32).toString('base64url');
      const now = d.now();
      const key = sessionKey(id);
      await kv.put(key, {
        account_id: accountId,
        api_key_id: '',
        member_id: memberId,
        created_at: iso(now),
        last_seen_at: iso(now),
      });
      await kv.indexByMember(memberId, key);
      return { id, expiresAt: expiry(now) };
    },
    endForMember: (memberId) => kv.deleteForMember(memberId),
    resolve: (id) => lookup(id, true),
    check: (id) => lookup(id, false),
    async end(id) {
      if (!id || !SESSION_ID.test(id)) return;
      await kv.delete(sessionKey(id));
    },
  };

  async function lookup(id: string | undefined, use: boolean): Promise<ActiveSession | null> {
    if (!id || !SESSION_ID.test(id)) return null;
    const key = sessionKey(id);
    const found = await kv.get(key);
    if (!found) return null;
    const now = d.now();
    if (ended(found.record, now)) {
      await kv.delete(key);
      return null;
    }
    let lastSeen = Date.parse(found.record.last_seen_at);
    if (use && now - lastSeen >= TOUCH_EVERY_MS) {
      // Compare-and-set: a sign-out between the read and this write must not bring the session back.
      const touched = { ...found.record, last_seen_at: iso(now) };
      if (await kv.update(key, touched, found.revision)) lastSeen = now;
    }
    return { record: found.record, expiresAt: expiry(lastSeen) };
  }
}

const memo = new WeakMap<object, ConsoleSessions>();

/** One sessions service per API (the sign-in routes and the /v1 auth hook share it); null without a bucket. */
export function sessionsOf(deps: {
  consoleSessions?: ConsoleSessionKv | undefined;
  catalog: { view: ConfigView };
  settings: { consoleSessionIdleMs: number };
  now?: (() => number) | undefined;
}): ConsoleSessions | null {
  const kv = deps.consoleSessions;
  if (!kv) return null;
  let s = memo.get(deps);
  if (!s) {
    s = createConsoleSessions({
      kv,
      view: deps.catalog.view,
      idleMs: deps.settings.consoleSessionIdleMs,
      now: deps.now ?? Date.now,
    });
    memo.set(deps, s);
  }
  return s;
}
