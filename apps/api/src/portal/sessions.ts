// Customer portal sessions (docs/adr/0015-portal-sessions.md). A session is created by the account
// for one of its customers and handed out as a link whose fragment carries a single-use token; the
// portal exchanges that token, once, for a cookie. Token and cookie are random and stored only as
// sha256 hashes, so whoever reads the bucket cannot open the portal with what they find there.
//
// Bucket layout (hs_portal_sessions):
//   s.<account>.<id>   the session record (lists read an account's by prefix)
//   t.<token hash>     → {account_id, id}, until the token is exchanged
//   c.<cookie hash>    → {account_id, id}, once it is
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { PortalSessionKv } from '@hookstream/broker';
import type { PortalSessionRecord } from '@hookstream/contracts';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';

export interface PortalSession {
  id: string;
  account_id: string;
  customer_id: string;
  scope: 'read' | 'manage';
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface PortalSessions {
  create(
    accountId: string,
    o: { customer_id: string; scope: 'read' | 'manage'; expires_in_s: number },
  ): Promise<{ session: PortalSession; token: string }>;
  list(accountId: string, customerId?: string): Promise<PortalSession[]>; // live ones only
  revoke(accountId: string, id: string): Promise<boolean>;
  /** Single use: a used, expired, revoked or unknown token → null. Atomic (KV revision CAS). */
  exchange(token: string): Promise<{ session: PortalSession; cookie: string } | null>;
  /** The live session a portal cookie belongs to, or null (expired, revoked, unknown). */
  check(cookie: string): Promise<PortalSession | null>;
}

export interface PortalSessionDeps {
  kv: PortalSessionKv;
  now: () => number;
  /** Whether the account still exists: a deleted account's sessions open nothing. */
  accountExists?: (accountId: string) => boolean;
}

/** Token and cookie: 256 random bits each, base64url; the token has a prefix secret scanners can find. */
export const TOKEN_PREFIX = 'hspt_';
const TOKEN = /^hspt_[A-Za-z0-9_-]{43}$/;
const COOKIE = /^[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sessionKey = (accountId: string, id: string) => `s.${accountId}.${id}`;
const tokenKey = (hash: string) => `t.${hash}`;
const cookieKey = (hash: string) => `c.${hash}`;

interface Pointer {
  account_id: string;
  id: string;
}

function isPointer(v: unknown): v is Pointer {
  const p = v as Record<string, unknown> | null;
  return (
    !!p &&
    typeof p === 'object' &&
    typeof p.account_id === 'string' &&
    UUID.test(p.account_id) &&
    typeof p.id === 'string' &&
    UUID.test(p.id)
  );
}

function isRecord(v: unknown): v is PortalSessionRecord {
  const r = v as Record<string, unknown> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.id === 'string' &&
    typeof r.account_id === 'string' &&
    typeof r.customer_id === 'string' &&
    (r.scope === 'read' || r.scope === 'manage') &&
    typeof r.created_at === 'string' &&
    typeof r.expires_at === 'string' &&
    (r.used_at === null || typeof r.used_at === 'string') &&
    typeof r.token_hash === 'string' &&
    (r.cookie_hash === null || typeof r.cookie_hash === 'string')
  );
}

/** Hashes are compared in constant time, like every other secret here. */
function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export const sessionView = (r: PortalSessionRecord): PortalSession => ({
  id: r.id,
  account_id: r.account_id,
  customer_id: r.customer_id,
  scope: r.scope,
  created_at: r.created_at,
  expires_at: r.expires_at,
  used_at: r.used_at,
});

/** The bucket out of reach is the server's trouble, not the caller's: a 503 to retry. */
function bucketUnavailable(err: unknown): never {
  throw errors.unavailable('portal sessions are unavailable right now; retry', err);
}

export function createPortalSessions(d: PortalSessionDeps): PortalSessions {
  const kv: PortalSessionKv = {
    get: (key) => d.kv.get(key).catch(bucketUnavailable),
    create: (key, value) => d.kv.create(key, value).catch(bucketUnavailable),
    update: (key, value, rev) => d.kv.update(key, value, rev).catch(bucketUnavailable),
    delete: (key) => d.kv.delete(key).catch(bucketUnavailable),
    keys: (prefix) => d.kv.keys(prefix).catch(bucketUnavailable),
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const live = (r: PortalSessionRecord, now: number) =>
    Date.parse(r.expires_at) > now && (d.accountExists?.(r.account_id) ?? true);

  async function load(
    accountId: string,
    id: string,
  ): Promise<{ record: PortalSessionRecord; revision: number } | null> {
    if (!UUID.test(accountId) || !UUID.test(id)) return null;
    const got = await kv.get(sessionKey(accountId, id));
    if (!got || !isRecord(got.value) || got.value.account_id !== accountId || got.value.id !== id) return null;
    return { record: got.value, revision: got.revision };
  }

  /** Removes a session and whatever points at it. */
  async function remove(r: PortalSessionRecord): Promise<void> {
    await kv.delete(sessionKey(r.account_id, r.id));
    await kv.delete(tokenKey(r.token_hash));
    if (r.cookie_hash) await kv.delete(cookieKey(r.cookie_hash));
  }

  /** The session a pointer key names, when the record agrees that the hash is its own. */
  async function follow(key: string, hash: string, field: 'token_hash' | 'cookie_hash') {
    const p = await kv.get(key);
    if (!p || !isPointer(p.value)) return null;
    const found = await load(p.value.account_id, p.value.id);
    if (!found || !sameHash(found.record[field], hash)) return null;
    return found;
  }

  return {
    async create(accountId, o) {
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const now = d.now();
      const record: PortalSessionRecord = {
        id: randomUUID(),
        account_id: accountId,
        customer_id: o.customer_id,
        scope: o.scope,
        created_at: iso(now),
        expires_at: iso(now + o.expires_in_s * 1000),
        used_at: null,
        token_hash: sha256(token),
        cookie_hash: null,
      };
      // The record first: a token whose pointer is stored always finds it.
      await kv.create(sessionKey(accountId, record.id), record);
      await kv.create(tokenKey(record.token_hash), { account_id: accountId, id: record.id } satisfies Pointer);
      return { session: sessionView(record), token };
    },

    async list(accountId, customerId) {
      if (!UUID.test(accountId)) return [];
      const now = d.now();
      const keys = await kv.keys(`s.${accountId}.`);
      const found = await Promise.all(keys.map((k) => load(accountId, k.slice(`s.${accountId}.`.length))));
      return found
        .flatMap((f) =>
          f && live(f.record, now) && (customerId === undefined || f.record.customer_id === customerId)
            ? [f.record]
            : [],
        )
        .sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? 1 : -1))
        .map(sessionView);
    },

    async revoke(accountId, id) {
      const found = await load(accountId, id);
      if (!found) return false;
      await remove(found.record);
      return true;
    },

    async exchange(token) {
      if (!TOKEN.test(token)) return null;
      const hash = sha256(token);
      const found = await follow(tokenKey(hash), hash, 'token_hash');
      if (!found) return null;
      const now = d.now();
      const { record, revision } = found;
      if (record.used_at !== null || !live(record, now)) return null;
      const cookie = randomBytes(32).toString('base64url');
      const cookieHash = sha256(cookie);
      // The cookie's pointer before the record that accepts it: a pointer without the record's
      // consent opens nothing (check compares hashes), so a lost race leaves no way in.
      await kv.create(cookieKey(cookieHash), { account_id: record.account_id, id: record.id } satisfies Pointer);
      const used: PortalSessionRecord = { ...record, used_at: iso(now), cookie_hash: cookieHash };
      // Compare-and-set on the revision read: of two exchanges of one token, exactly one writes.
      if (!(await kv.update(sessionKey(record.account_id, record.id), used, revision))) {
        await kv.delete(cookieKey(cookieHash));
        return null;
      }
      await kv.delete(tokenKey(hash));
      return { session: sessionView(used), cookie };
    },

    async check(cookie) {
      if (!COOKIE.test(cookie)) return null;
      const hash = sha256(cookie);
      const found = await follow(cookieKey(hash), hash, 'cookie_hash');
      if (!found) return null;
      if (!live(found.record, d.now())) {
        await remove(found.record);
        return null;
      }
      return sessionView(found.record);
    },
  };
}

const memo = new WeakMap<object, PortalSessions>();

/** One portal sessions service per API (the management routes and the portal share it); undefined without a bucket. */
export function portalSessionsOf(deps: ApiDeps): PortalSessions | undefined {
  const kv = deps.portalSessions;
  if (!kv) return undefined;
  let s = memo.get(deps);
  if (!s) {
    const view = deps.catalog.view;
    s = createPortalSessions({ kv, now: deps.now ?? Date.now, accountExists: (id) => view.accounts.has(id) });
    memo.set(deps, s);
  }
  return s;
}
