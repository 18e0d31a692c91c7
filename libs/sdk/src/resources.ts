// Resource groups, one per API resource, mirroring its routes one method per endpoint.
import { type Query, type Transport, enc, paginate } from './transport.ts';
import { liveEvents } from './insights.ts';
import type {
  RevealedSecret,
  Account,
  AccountCreated,
  ApiKey,
  ApiKeyCreated,
  Brand,
  CreateAccountParams,
  CreateCustomDomainParams,
  CustomDomain,
  UpsertBrandParams,
  CreateApiKeyParams,
  CreateDestinationParams,
  CreateEventTypeParams,
  CreateRouteParams,
  CreateSourceParams,
  Destination,
  DestinationStats,
  DestinationTestAccepted,
  DestinationTestParams,
  DestinationListParams,
  DestinationWithSecret,
  EventDetail,
  LiveOptions,
  StatsParams,
  EventListParams,
  EventSummary,
  EventType,
  ListParams,
  OutboundAccepted,
  OutboundEventListParams,
  Page,
  PublishParams,
  PortalSession,
  PortalSessionCreated,
  PortalSessionListParams,
  CreatePortalSessionParams,
  ReplayAccepted,
  ReplayParams,
  RotateSecretParams,
  RotatedSecret,
  Route,
  RouteListParams,
  Source,
  UpdateAccountParams,
  UpdateDestinationParams,
  UpdateEventTypeParams,
  UpdateRouteParams,
  UpdateSourceParams,
} from './types.ts';

/** list, iterate, get, update, delete over `/v1/<name>`; create is per resource (its return differs). */
class Collection<T, U, L extends object = ListParams> {
  protected readonly t: Transport;
  protected readonly path: string;
  constructor(t: Transport, path: string) {
    this.t = t;
    this.path = path;
  }
  /** One page; pass the previous page's `next_cursor` as `cursor` for the next. */
  list(params?: L): Promise<Page<T>> {
    return this.t.page<T>(this.path, params);
  }
  /** Every item across pages: `for await (const x of client.sources.iterate()) …`. */
  iterate(params?: L): AsyncGenerator<T, void, undefined> {
    return paginate<T>(params, (q: Query) => this.t.page<T>(this.path, q));
  }
  get(id: string): Promise<T> {
    return this.t.data<T>('GET', `${this.path}/${enc(id)}`);
  }
  update(id: string, params: U): Promise<T> {
    return this.t.data<T>('PATCH', `${this.path}/${enc(id)}`, { body: params });
  }
  async delete(id: string): Promise<void> {
    await this.t.data<void>('DELETE', `${this.path}/${enc(id)}`);
  }
}

export class Accounts {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /**
   * Open sign-up: a new account and its bootstrap key (`api_key`, shown once). Needs no apiKey.
   * `plan` and `retention_days` need the server's operator token (`operatorToken`), which also
   * creates accounts where sign-up is closed; without them the account is on the free plan.
   */
  create(
    params: CreateAccountParams,
    opts: { signupToken?: string; operatorToken?: string } = {},
  ): Promise<AccountCreated> {
    const headers = {
      ...(opts.signupToken ? { 'x-signup-token': opts.signupToken } : {}),
      ...(opts.operatorToken ? { 'x-operator-token': opts.operatorToken } : {}),
    };
    return this.#t.data<AccountCreated>('POST', '/v1/accounts', {
      body: params,
      auth: false,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    });
  }
}

/** The account of the calling key. */
export class CurrentAccount {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  get(): Promise<Account> {
    return this.#t.data<Account>('GET', '/v1/account');
  }
  /** Changing `plan` or `retention_days` needs the server's operator token (a PermissionError without it). */
  update(params: UpdateAccountParams, opts: { operatorToken?: string } = {}): Promise<Account> {
    return this.#t.data<Account>('PATCH', '/v1/account', {
      body: params,
      ...(opts.operatorToken ? { headers: { 'x-operator-token': opts.operatorToken } } : {}),
    });
  }
}

export class ApiKeys {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** The new key's secret is in `key`, shown this once. */
  create(params: CreateApiKeyParams = {}): Promise<ApiKeyCreated> {
    return this.#t.data<ApiKeyCreated>('POST', '/v1/api-keys', { body: params });
  }
  list(params?: ListParams): Promise<Page<ApiKey>> {
    return this.#t.page<ApiKey>('/v1/api-keys', params);
  }
  iterate(params?: ListParams): AsyncGenerator<ApiKey, void, undefined> {
    return paginate<ApiKey>(params, (q) => this.#t.page<ApiKey>('/v1/api-keys', q));
  }
  /** Stops working at once, on every instance. Revoking twice is fine. */
  async revoke(id: string): Promise<void> {
    await this.#t.data<void>('DELETE', `/v1/api-keys/${enc(id)}`);
  }
}

export class Sources extends Collection<Source, UpdateSourceParams> {
  constructor(t: Transport) {
    super(t, '/v1/sources');
  }
  create(params: CreateSourceParams): Promise<Source> {
    return this.t.data<Source>('POST', this.path, { body: params });
  }
}

export class Destinations extends Collection<Destination, UpdateDestinationParams, DestinationListParams> {
  constructor(t: Transport) {
    super(t, '/v1/destinations');
  }
  /** When no signing_secret is given one is generated and returned here, once. */
  create(params: CreateDestinationParams): Promise<DestinationWithSecret> {
    return this.t.data<DestinationWithSecret>('POST', this.path, { body: params });
  }
  /** A new signing secret (returned once); the old one stays valid for `overlap_s` (default 24 h). */
  rotateSecret(id: string, params: RotateSecretParams = {}): Promise<RotatedSecret> {
    return this.t.data<RotatedSecret>('POST', `${this.path}/${enc(id)}/rotate-secret`, { body: params });
  }
  /** Attempts by status class over the range, success rate, latency, backlog, circuit, latest failures. */
  stats(id: string, params: StatsParams = {}): Promise<DestinationStats> {
    return this.t.data<DestinationStats>('GET', `${this.path}/${enc(id)}/stats`, { query: params });
  }
  /** One event delivered to this destination only (default type `hookstream.test`); it shows in the event log. */
  /** The current signing secret and those still valid during a rotation's overlap. */
  revealSecret(id: string): Promise<RevealedSecret> {
    return this.t.data<RevealedSecret>('GET', `${this.path}/${enc(id)}/secret`);
  }
  sendTestEvent(id: string, params: DestinationTestParams = {}): Promise<DestinationTestAccepted> {
    return this.t.data<DestinationTestAccepted>('POST', `${this.path}/${enc(id)}/test`, { body: params });
  }
}

export class Routes extends Collection<Route, UpdateRouteParams, RouteListParams> {
  constructor(t: Transport) {
    super(t, '/v1/routes');
  }
  create(params: CreateRouteParams): Promise<Route> {
    return this.t.data<Route>('POST', this.path, { body: params });
  }
}

export class EventTypes extends Collection<EventType, UpdateEventTypeParams> {
  constructor(t: Transport) {
    super(t, '/v1/event-types');
  }
  /** A second create of the same name is a ConflictError. */
  create(params: CreateEventTypeParams): Promise<EventType> {
    return this.t.data<EventType>('POST', this.path, { body: params });
  }
}

/** The event log: list and read events with their deliveries and attempts, and replay them. */
class EventLog<L extends object> {
  protected readonly t: Transport;
  protected readonly path: string;
  constructor(t: Transport, path: string) {
    this.t = t;
    this.path = path;
  }
  /** Newest first, filtered by the query fields. */
  list(params?: L): Promise<Page<EventSummary>> {
    return this.t.page<EventSummary>(this.path, params);
  }
  iterate(params?: L): AsyncGenerator<EventSummary, void, undefined> {
    return paginate<EventSummary>(params, (q) => this.t.page<EventSummary>(this.path, q));
  }
  /** With headers, body and every delivery and attempt. */
  get(id: string): Promise<EventDetail> {
    return this.t.data<EventDetail>('GET', `${this.path}/${enc(id)}`);
  }
  /** New deliveries with new ids, to every matching destination or the one given. */
  replay(id: string, params: ReplayParams = {}): Promise<ReplayAccepted> {
    return this.t.data<ReplayAccepted>('POST', `${this.path}/${enc(id)}/replay`, { body: params });
  }
}

export class Events extends EventLog<EventListParams> {
  constructor(t: Transport) {
    super(t, '/v1/events');
  }
  /**
   * Live: `for await (const e of client.events.live({ status: 'dead_letter' }, { signal })) …` yields
   * each matching event when it appears and again when its status or deliveries change.
   */
  live(
    params: Omit<EventListParams, 'limit' | 'cursor'> = {},
    opts: LiveOptions = {},
  ): AsyncGenerator<EventSummary, void, undefined> {
    return liveEvents(this.t, params, opts);
  }
}

export class OutboundEvents extends EventLog<OutboundEventListParams> {
  constructor(t: Transport) {
    super(t, '/v1/outbound-events');
  }
  /** One call, delivered to every subscribed destination. With `event_id` the call is idempotent. */
  publish(params: PublishParams): Promise<OutboundAccepted> {
    return this.t.data<OutboundAccepted>('POST', this.path, { body: params });
  }
}

/** How the account presents itself: name, logo, colours, support address. */
export class BrandSettings {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** Empty fields are null until set. */
  get(): Promise<Brand> {
    return this.#t.data<Brand>('GET', '/v1/brand-settings');
  }
  /** Sets the fields given and keeps the others. */
  upsert(params: UpsertBrandParams): Promise<Brand> {
    return this.#t.data<Brand>('POST', '/v1/brand-settings', { body: params });
  }
}

/** Hostnames the account claims, each proven by a DNS TXT record. */
export class CustomDomains {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** The answer says which TXT record to publish (`verification.name` / `verification.value`). */
  create(params: CreateCustomDomainParams): Promise<CustomDomain> {
    return this.#t.data<CustomDomain>('POST', '/v1/custom-domains', { body: params });
  }
  list(params?: ListParams): Promise<Page<CustomDomain>> {
    return this.#t.page<CustomDomain>('/v1/custom-domains', params);
  }
  iterate(params?: ListParams): AsyncGenerator<CustomDomain, void, undefined> {
    return paginate<CustomDomain>(params, (q: Query) => this.#t.page<CustomDomain>('/v1/custom-domains', q));
  }
  get(id: string): Promise<CustomDomain> {
    return this.#t.data<CustomDomain>('GET', `/v1/custom-domains/${enc(id)}`);
  }
  /** Looks the TXT record up now; the status becomes verified or failed (with last_error). */
  verify(id: string): Promise<CustomDomain> {
    return this.#t.data<CustomDomain>('POST', `/v1/custom-domains/${enc(id)}/verify`);
  }
  async delete(id: string): Promise<void> {
    await this.#t.data<void>('DELETE', `/v1/custom-domains/${enc(id)}`);
  }
}

/** Links to the customer portal: one per customer and purpose, each opened once. */
export class PortalSessions {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /**
   * A session for one of the account's customers. Send the customer to `url` (on the verified custom
   * domain, if the account has one): the token in its fragment opens the portal once.
   */
  create(params: CreatePortalSessionParams): Promise<PortalSessionCreated> {
    return this.#t.data<PortalSessionCreated>('POST', '/v1/portal-sessions', { body: params });
  }
  /** Live sessions, newest first (never their tokens); `customer_id` narrows to one customer. */
  list(params?: PortalSessionListParams): Promise<Page<PortalSession>> {
    return this.#t.page<PortalSession>('/v1/portal-sessions', params);
  }
  iterate(params?: PortalSessionListParams): AsyncGenerator<PortalSession, void, undefined> {
    return paginate<PortalSession>(params, (q: Query) => this.#t.page<PortalSession>('/v1/portal-sessions', q));
  }
  /** Ends the session at once: its link and its portal cookie open nothing after. */
  async revoke(id: string): Promise<void> {
    await this.#t.data<void>('DELETE', `/v1/portal-sessions/${enc(id)}`);
  }
}
