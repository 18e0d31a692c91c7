// The console's sign-in: an API key exchanged for the session cookie. Meant for a client made with
// `{ baseUrl: '', session: true }` in the browser, where the cookie then authenticates every call.
import type { Transport } from './transport.ts';
import type {
  AcceptInviteParams,
  ConsoleInvite,
  ConsoleSession,
  ConsoleSignedIn,
  PasswordSignInParams,
} from './types.ts';

export class Console {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Sets the httpOnly session cookie; an AuthenticationError (`invalid_credentials`) for a wrong or revoked key. */
  signIn(apiKey: string): Promise<ConsoleSignedIn> {
    return this.#t.data<ConsoleSignedIn>('POST', '/console/session', { body: { api_key: apiKey }, auth: false });
  }

  /**
   * Signs a member in by email and password. AuthenticationError (`invalid_credentials`) alike for an
   * unknown email and a wrong password; RateLimitError (`locked_out`) after repeated failures.
   */
  signInWithPassword(params: PasswordSignInParams): Promise<ConsoleSignedIn> {
    return this.#t.data<ConsoleSignedIn>('POST', '/console/session', { body: params, auth: false });
  }

  /** What an invitation link (the token in its fragment) offers; a 410 (`invite_invalid`) once used or expired. */
  invite(token: string): Promise<ConsoleInvite> {
    return this.#t.data<ConsoleInvite>('POST', '/console/invite', { body: { token }, auth: false });
  }

  /** Accepts an invitation with a name and password: the member is created and signed in. */
  acceptInvite(params: AcceptInviteParams): Promise<ConsoleSignedIn> {
    return this.#t.data<ConsoleSignedIn>('POST', '/console/invite/accept', { body: params, auth: false });
  }

  /** Where the browser goes to sign in to the account by its single sign-on. */
  ssoStartUrl(accountId: string): string {
    return `${this.#t.baseUrl}/console/sso/start?account=${encodeURIComponent(accountId)}`;
  }

  /** The signed-in account, its brand settings and when the session ends; AuthenticationError (`unauthenticated`) when signed out. */
  session(): Promise<ConsoleSession> {
    return this.#t.data<ConsoleSession>('GET', '/console/session', { auth: false });
  }

  /** Ends the session and clears the cookie. */
  async signOut(): Promise<void> {
    await this.#t.data<{ signed_out: true }>('DELETE', '/console/session', { auth: false });
  }
}
