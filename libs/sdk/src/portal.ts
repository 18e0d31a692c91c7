// The customer portal's session: a portal link's token exchanged for the portal cookie. Meant for a
// client made with `{ baseUrl: '', session: true, headers: { 'x-hookstream-portal': '1' } }` in the
// portal page, where the cookie then authenticates the /v1 calls a portal session may make.
import type { Transport } from './transport.ts';
import type { PortalContext } from './types.ts';

/** Sent by the portal page so that its cookie, not a console cookie of the same browser, is used. */
export const PORTAL_HEADER = 'x-hookstream-portal';

export class Portal {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Spends the link's single-use token and sets the httpOnly cookie; AuthenticationError (`invalid_token`) when it is used, expired or revoked. */
  open(token: string, accountId?: string): Promise<PortalContext> {
    return this.#t.data<PortalContext>('POST', '/portal/session', {
      body: { token, ...(accountId ? { account_id: accountId } : {}) },
      auth: false,
    });
  }

  /** The customer, scope, account and brand of the session; AuthenticationError (`unauthenticated`) once it has ended. */
  session(): Promise<PortalContext> {
    return this.#t.data<PortalContext>('GET', '/portal/session', { auth: false });
  }

  /** Ends the session and clears the cookie. */
  async signOut(): Promise<void> {
    await this.#t.data<{ signed_out: true }>('DELETE', '/portal/session', { auth: false });
  }
}
