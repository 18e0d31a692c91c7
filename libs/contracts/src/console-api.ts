// HTTP contracts of the console's sign-in: an API key exchanged for a session cookie.
import { Type } from '@sinclair/typebox';
import { Brand, Email, MemberRole, Plan, Strict } from './api.ts';

export const KeySignInBody = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 512 }) }, Strict);
export const PasswordSignInBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    account_id: Type.Optional(
      Type.String({ maxLength: 64, description: 'Which account, when one email belongs to members of several.' }),
    ),
  },
  Strict,
);
export const SignInBody = Type.Union([KeySignInBody, PasswordSignInBody]);

/** Who is signed in: a member, or (member null) an API key. */
export const SessionMember = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });
const Caller = {
  role: MemberRole,
  member: Type.Union([SessionMember, Type.Null()]),
  /** The actions of the permission table this caller may take (docs/people.md). */
  permissions: Type.Array(Type.String()),
};

export const SessionAccount = Type.Object({ id: Type.String(), name: Type.String(), plan: Plan });

export const SignedIn = Type.Object({
  account: SessionAccount,
  expires_at: Type.String({ format: 'date-time' }),
  ...Caller,
});

export const Session = Type.Object({
  account: SessionAccount,
  /** The account's brand settings, or null when it has none. */
  brand: Type.Union([Brand, Type.Null()]),
  /** When the session ends if it is not used before. */
  expires_at: Type.String({ format: 'date-time' }),
  ...Caller,
});

export const InviteTokenBody = Type.Object(
  { token: Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) },
  Strict,
);
/** What an invitation link shows before it is accepted. */
export const InviteInfo = Type.Object({
  account: Type.Object({ id: Type.String(), name: Type.String() }),
  email: Type.String(),
  role: MemberRole,
  expires_at: Type.String({ format: 'date-time' }),
  /** Whether the account signs in by single sign-on (the invite may be accepted that way). */
  sso: Type.Boolean(),
});
export const AcceptInviteBody = Type.Object(
  {
    token: Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 10, maxLength: 1024, description: 'At least 10 characters.' }),
  },
  Strict,
);

export const SignedOut = Type.Object({ signed_out: Type.Literal(true) });
