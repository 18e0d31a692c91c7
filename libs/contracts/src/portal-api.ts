// HTTP contracts of the customer portal's session: a portal link's single-use token exchanged for a
// session cookie that reaches one customer's endpoints and messages.
import { Type } from '@sinclair/typebox';
import { Brand, Strict } from './api.ts';

export const ExchangeBody = Type.Object(
  {
    /** The token from the portal link's fragment (#token=…). */
    token: Type.String({ minLength: 1, maxLength: 512 }),
    /** The account the page was opened for (its path); a token of another account opens nothing. */
    account_id: Type.Optional(Type.String({ maxLength: 64 })),
  },
  Strict,
);

export const Session = Type.Object({
  customer_id: Type.String(),
  scope: Type.Union([Type.Literal('read'), Type.Literal('manage')]),
  expires_at: Type.String({ format: 'date-time' }),
  account: Type.Object({ id: Type.String(), name: Type.String() }),
  /** The account's brand settings, or null when it has none. */
  brand: Type.Union([Brand, Type.Null()]),
});

export const SignedOut = Type.Object({ signed_out: Type.Literal(true) });
