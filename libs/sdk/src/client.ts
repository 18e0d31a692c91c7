// The client: `new Hookstream({ baseUrl, apiKey })`, one property per resource group. In the browser's
// console: `new Hookstream({ baseUrl: '', session: true })`, authenticated by the session cookie.
import { Transport, type TransportOptions, enc } from './transport.ts';
import {
  Accounts,
  ApiKeys,
  BrandSettings,
  CurrentAccount,
  CustomDomains,
  Destinations,
  EventTypes,
  Events,
  OutboundEvents,
  PortalSessions,
  Routes,
  Sources,
} from './resources.ts';
import { Exports, Replays } from './jobs.ts';
import { DeadLetters, PayloadFilters, StatsApi } from './insights.ts';
import { Console } from './console.ts';
import { Portal } from './portal.ts';
import { AuditLog } from './audit.ts';
import { Invites, Members, SingleSignOn } from './people.ts';
import type { Health, IngestAccepted, Readiness } from './types.ts';

export type HookstreamOptions = TransportOptions;

export class Hookstream {
  readonly accounts: Accounts;
  readonly account: CurrentAccount;
  readonly apiKeys: ApiKeys;
  readonly sources: Sources;
  readonly destinations: Destinations;
  readonly routes: Routes;
  readonly eventTypes: EventTypes;
  readonly events: Events;
  readonly outboundEvents: OutboundEvents;
  readonly replays: Replays;
  readonly exports: Exports;
  readonly brandSettings: BrandSettings;
  readonly customDomains: CustomDomains;
  /** Links to the customer portal. */
  readonly portalSessions: PortalSessions;
  readonly deadLetters: DeadLetters;
  readonly stats: StatsApi;
  readonly payloadFilters: PayloadFilters;
  /** Who changed what, when and from where (read-only). */
  readonly auditLog: AuditLog;
  readonly members: Members;
  readonly invites: Invites;
  readonly sso: SingleSignOn;
  /** Console sign-in (session mode in the browser). */
  readonly console: Console;
  /** The customer portal's session (in the portal page). */
  readonly portal: Portal;
  readonly #t: Transport;

  constructor(options: HookstreamOptions) {
    const t = new Transport(options);
    this.#t = t;
    this.accounts = new Accounts(t);
    this.account = new CurrentAccount(t);
    this.apiKeys = new ApiKeys(t);
    this.sources = new Sources(t);
    this.destinations = new Destinations(t);
    this.routes = new Routes(t);
    this.eventTypes = new EventTypes(t);
    this.events = new Events(t);
    this.outboundEvents = new OutboundEvents(t);
    this.replays = new Replays(t);
    this.exports = new Exports(t);
    this.brandSettings = new BrandSettings(t);
    this.customDomains = new CustomDomains(t);
    this.portalSessions = new PortalSessions(t);
    this.deadLetters = new DeadLetters(t);
    this.stats = new StatsApi(t);
    this.payloadFilters = new PayloadFilters(t);
    this.auditLog = new AuditLog(t);
    this.members = new Members(t);
    this.invites = new Invites(t);
    this.sso = new SingleSignOn(t);
    this.console = new Console(t);
    this.portal = new Portal(t);
  }

  get baseUrl(): string {
    return this.#t.baseUrl;
  }

  /** A client for the same server with another key (e.g. the one accounts.create returned). */
  withApiKey(apiKey: string, options: Partial<HookstreamOptions> = {}): Hookstream {
    return new Hookstream({ ...options, baseUrl: this.#t.baseUrl, apiKey });
  }

  /**
   * Sends a webhook to a source, as a provider would: authenticated by the source's path token, the body
   * stored byte for byte. A plain object is sent as JSON. Answers `{id, status: 'queued'}`, or
   * `{status: 'accepted', note: 'duplicate'}` for a repeated idempotency key.
   */
  ingest(
    token: string,
    body: string | Uint8Array | object,
    headers: Record<string, string> = {},
  ): Promise<IngestAccepted> {
    const isRaw = typeof body === 'string' || body instanceof Uint8Array;
    const h = { ...headers };
    if (!isRaw && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
      h['content-type'] = 'application/json';
    return this.#t.data<IngestAccepted>('POST', `/ingest/${enc(token)}`, {
      raw: isRaw ? body : JSON.stringify(body),
      headers: h,
      auth: false,
    });
  }

  health(): Promise<Health> {
    return this.#t.data<Health>('GET', '/healthz', { auth: false });
  }

  /** Readiness with its named checks; a ServerError (503) when not ready. */
  ready(): Promise<Readiness> {
    return this.#t.data<Readiness>('GET', '/readyz', { auth: false });
  }
}
