// HTTP contracts of the console's sign-in: an API key exchanged for a session cookie.
import { Type } from '@sinclair/typebox';
import { Brand, Plan, Strict } from './api.ts';

export const SignInBody = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 512 }) }, Strict);

export const SessionAccount = Type.Object({ id: Type.String(), name: Type.String(), plan: Plan });

export const SignedIn = Type.Object({ account: SessionAccount, expires_at: Type.String({ format: 'date-time' }) });

export const Session = Type.Object({
  account: SessionAccount,
  /** The account's brand settings, or null when it has none. */
  brand: Type.Union([Brand, Type.Null()]),
  /** When the session ends if it is not used before. */
  expires_at: Type.String({ format: 'date-time' }),
});

export const SignedOut = Type.Object({ signed_out: Type.Literal(true) });
