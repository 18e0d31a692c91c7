// The console's sign-in: an API key exchanged for the session cookie. Meant for a client made with
// `{ baseUrl: '', session: true }` in the browser, where the cookie then authenticates every call.
import type { Transport } from './transport.ts';
import type { ConsoleSession, ConsoleSignedIn } from './types.ts';

export class Console {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Sets the httpOnly session cookie; an AuthenticationError (`invalid_credentials`) for a wrong or revoked key. */
  signIn(apiKey: string): Promise<ConsoleSignedIn> {
    return this.#t.data<ConsoleSignedIn>('POST', '/console/session', { body: { api_key: apiKey }, auth: false });
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
