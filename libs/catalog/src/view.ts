// The in-memory view of configuration state that every process holds, fed by a KV watch.
// Lookups on the hot path (ingest token, API key, routes of an account) are map reads.
import { hash } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type {
  AccountRecord,
  ApiKeyRecord,
  BrandRecord,
  DomainRecord,
  DomainOwnerRecord,
  ConfigKind,
  DestinationRecord,
  EventTypeRecord,
  InviteRecord,
  MemberRecord,
  RouteRecord,
  SsoRecord,
  SourceRecord,
} from '@hookstream/contracts';

// One-shot hash(): cheaper than createHash().update().digest(), on every ingest and API request.
export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}

export interface ViewEvents {
  /** `record` is null when deleted, `previous` when new. */
  change: (kind: ConfigKind, id: string, record: unknown, previous: unknown) => void;
}

type Rec = { account_id?: string; id: string; created_at: string };

export class ConfigView extends EventEmitter<ViewEvents> {
  readonly accounts = new Map<string, AccountRecord>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();
  readonly sources = new Map<string, SourceRecord>();
  readonly destinations = new Map<string, DestinationRecord>();
  readonly routes = new Map<string, RouteRecord>();
  readonly eventTypes = new Map<string, EventTypeRecord>();
  readonly brands = new Map<string, BrandRecord>();
  readonly domains = new Map<string, DomainRecord>();
  readonly domainOwners = new Map<string, DomainOwnerRecord>();
  readonly members = new Map<string, MemberRecord>();
  readonly invites = new Map<string, InviteRecord>();
  /** Single sign-on settings by account id. */
  readonly ssos = new Map<string, SsoRecord>();
  private readonly keysByHash = new Map<string, ApiKeyRecord>();
  private readonly sourcesByTokenHash = new Map<string, SourceRecord>();
  private routesByAccount = new Map<string, RouteRecord[]>();
  private routesDirty = true;
  private revision = 0;
  private waiters: Array<{ rev: number; resolve: () => void }> = [];

  get lastRevision(): number {
    return this.revision;
  }

  apply(kind: ConfigKind, id: string, record: unknown, revision: number): void {
    const map = this.mapOf(kind);
    const previous = map.get(id) ?? null;
    if (record === null) map.delete(id);
    else map.set(id, record);
    if (kind === 'apikey') {
      if (previous) this.keysByHash.delete((previous as ApiKeyRecord).hash);
      if (record) this.keysByHash.set((record as ApiKeyRecord).hash, record as ApiKeyRecord);
    } else if (kind === 'source') {
      if (previous) this.sourcesByTokenHash.delete(sha256Hex((previous as SourceRecord).path_token));
      if (record) this.sourcesByTokenHash.set(sha256Hex((record as SourceRecord).path_token), record as SourceRecord);
    } else if (kind === 'route') {
      this.routesDirty = true;
    }
    if (revision > this.revision) this.revision = revision;
    this.emit('change', kind, id, record, previous);
    this.releaseWaiters();
  }

  /** Counts a revision that changed nothing here (a record this process cannot open), so writers waiting on it go on. */
  advance(revision: number): void {
    if (revision > this.revision) this.revision = revision;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.rev <= this.revision);
    this.waiters = this.waiters.filter((w) => w.rev > this.revision);
    for (const w of due) w.resolve();
  }

  /** Resolves once the view has applied the given KV revision (read-your-writes for the API). */
  waitForRevision(rev: number, timeoutMs = 5_000): Promise<void> {
    if (rev <= this.revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`config view did not reach revision ${rev} in ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** API key by the key itself; the map is keyed by its hash, so no plaintext is ever held. */
  apiKeyFor(key: string): ApiKeyRecord | undefined {
    return this.keysByHash.get(sha256Hex(key));
  }

  /** Source by its path token. Keyed by the token's hash: lookup time says nothing about near misses. */
  sourceForToken(token: string): SourceRecord | undefined {
    return this.sourcesByTokenHash.get(sha256Hex(token));
  }

  /** Members with this (lower-case) email, in every account, oldest first. Sign-in is rare: a scan will do. */
  membersByEmail(email: string): MemberRecord[] {
    return [...this.members.values()]
      .filter((m) => m.email === email)
      .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  }

  membersOf(accountId: string): MemberRecord[] {
    return [...this.members.values()].filter((m) => m.account_id === accountId);
  }

  /** The invite whose link carries this token, by the token's hash. */
  inviteForToken(token: string): InviteRecord | undefined {
    const h = sha256Hex(token);
    for (const i of this.invites.values()) if (i.token_hash === h) return i;
    return undefined;
  }

  routesOf(accountId: string): readonly RouteRecord[] {
    if (this.routesDirty) {
      const by = new Map<string, RouteRecord[]>();
      for (const r of this.routes.values()) {
        const list = by.get(r.account_id) ?? [];
        list.push(r);
        by.set(r.account_id, list);
      }
      for (const list of by.values()) list.sort((a, b) => (a.id < b.id ? -1 : 1));
      this.routesByAccount = by;
      this.routesDirty = false;
    }
    return this.routesByAccount.get(accountId) ?? [];
  }

  eventTypeOf(accountId: string, name: string): EventTypeRecord | undefined {
    for (const e of this.eventTypes.values()) if (e.account_id === accountId && e.name === name) return e;
    return undefined;
  }

  /** Records of one account, oldest first, after the cursor (an id), for cursor pagination. */
  page<T extends Rec>(
    map: ReadonlyMap<string, T>,
    accountId: string,
    limit: number,
    afterId?: string,
  ): { items: T[]; next: string | null } {
    const all = [...map.values()]
      .filter((r) => (r.account_id ?? r.id) === accountId)
      .sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1));
    let start = 0;
    if (afterId) {
      const i = all.findIndex((r) => r.id === afterId);
      start = i >= 0 ? i + 1 : all.length;
    }
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length && items.length > 0 ? (items[items.length - 1] as T).id : null;
    return { items, next };
  }

  private mapOf(kind: ConfigKind): Map<string, unknown> {
    switch (kind) {
      case 'account':
        return this.accounts;
      case 'apikey':
        return this.apiKeys;
      case 'source':
        return this.sources;
      case 'destination':
        return this.destinations;
      case 'route':
        return this.routes;
      case 'eventtype':
        return this.eventTypes;
      case 'brand':
        return this.brands;
      case 'domain':
        return this.domains;
      case 'domainowner':
        return this.domainOwners;
      case 'member':
        return this.members;
      case 'invite':
        return this.invites;
      case 'sso':
        return this.ssos;
    }
  }
}
