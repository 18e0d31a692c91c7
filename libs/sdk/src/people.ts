// The people of an account: members, invitations and single sign-on settings.
import { type Transport, enc, paginate } from './transport.ts';
import type {
  CreateInviteParams,
  Invite,
  InviteCreated,
  ListParams,
  Member,
  MemberRole,
  Page,
  PutSsoParams,
  SsoSettings,
} from './types.ts';

export class Members {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  list(params?: ListParams): Promise<Page<Member>> {
    return this.#t.page<Member>('/v1/members', params);
  }
  iterate(params?: ListParams): AsyncGenerator<Member, void, undefined> {
    return paginate<Member>(params, (q) => this.#t.page<Member>('/v1/members', q));
  }
  /** A ConflictError (`last_owner`) when it would leave the account without an owner. */
  setRole(id: string, role: MemberRole): Promise<Member> {
    return this.#t.data<Member>('PATCH', `/v1/members/${enc(id)}`, { body: { role } });
  }
  /** Their console sessions end at once. */
  async remove(id: string): Promise<void> {
    await this.#t.data<void>('DELETE', `/v1/members/${enc(id)}`);
  }
}

export class Invites {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** The link (`url`) is answered this once: its token is kept only as a hash. */
  create(params: CreateInviteParams): Promise<InviteCreated> {
    return this.#t.data<InviteCreated>('POST', '/v1/invites', { body: params });
  }
  list(params?: ListParams): Promise<Page<Invite>> {
    return this.#t.page<Invite>('/v1/invites', params);
  }
  iterate(params?: ListParams): AsyncGenerator<Invite, void, undefined> {
    return paginate<Invite>(params, (q) => this.#t.page<Invite>('/v1/invites', q));
  }
  async cancel(id: string): Promise<void> {
    await this.#t.data<void>('DELETE', `/v1/invites/${enc(id)}`);
  }
}

export class SingleSignOn {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** NotFoundError when the account has none. */
  get(): Promise<SsoSettings> {
    return this.#t.data<SsoSettings>('GET', '/v1/sso');
  }
  set(params: PutSsoParams): Promise<SsoSettings> {
    return this.#t.data<SsoSettings>('PUT', '/v1/sso', { body: params });
  }
  async remove(): Promise<void> {
    await this.#t.data<void>('DELETE', '/v1/sso');
  }
}
