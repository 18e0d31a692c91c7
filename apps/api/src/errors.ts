// One catalogue of API errors: a stable code, an HTTP status, a message safe to show.
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

export const errors = {
  badRequest: (message: string) => new ApiError(400, 'bad_request', message),
  unauthorized: (message = 'missing or invalid API key') => new ApiError(401, 'unauthorized', message),
  /** The console's session cookie is missing, unknown or ended. */
  unauthenticated: () => new ApiError(401, 'unauthenticated', 'Your console session has ended: sign in again.'),
  invalidCredentials: () => new ApiError(401, 'invalid_credentials', 'That API key is not valid.'),
  /** The same answer for an unknown email and a wrong password: it says nothing about who has an account. */
  invalidLogin: () => new ApiError(401, 'invalid_credentials', 'That email and password do not match.'),
  /** Too many wrong passwords for this email from this address. */
  lockedOut: (minutes: number) =>
    new ApiError(
      429,
      'locked_out',
      `Too many failed sign-ins for this email from this address; try again in ${minutes} minutes.`,
    ),
  /** The caller's role does not allow the action (docs/people.md lists who may do what). */
  forbiddenRole: (message: string) => new ApiError(403, 'forbidden_role', message),
  /** Removing or demoting the account's last owner. */
  lastOwner: () =>
    new ApiError(409, 'last_owner', 'The account must keep at least one owner: make someone else owner first.'),
  /** An invitation link that is unknown, used or past its expiry. */
  inviteInvalid: () => new ApiError(410, 'invite_invalid', 'This invitation is not valid any more: ask for a new one.'),
  csrfHeaderMissing: () =>
    new ApiError(
      403,
      'csrf_header_missing',
      'A request signed in with the console cookie must carry the header x-hookstream-console: 1.',
    ),
  signature: (message: string) => new ApiError(401, 'signature_invalid', message),
  forbidden: (message: string) => new ApiError(403, 'forbidden', message),
  operatorRequired: (message: string) => new ApiError(403, 'operator_required', message),
  notFound: (what: string) => new ApiError(404, 'not_found', `${what} not found`),
  conflict: (message: string) => new ApiError(409, 'conflict', message),
  /** A custom domain another account verified first. */
  domainTaken: (message: string) => new ApiError(409, 'domain_taken', message),
  /** An unverified custom-domain claim past CUSTOM_DOMAIN_CLAIM_TTL_H. */
  claimExpired: (message: string) => new ApiError(409, 'claim_expired', message),
  tooLarge: (message: string) => new ApiError(413, 'payload_too_large', message),
  unavailable: (message: string, cause?: unknown) => new ApiError(503, 'unavailable', message, { cause }),
};

/**
 * A Postgres data exception (SQLSTATE class 22: a value out of range, an invalid byte sequence, NUL
 * in text, an unpaired surrogate in JSON) on the error or any error it wraps: the caller's input,
 * never a reason to retry.
 */
export function dataException(err: unknown): { sqlstate: string; message: string } | null {
  for (
    let e = err, depth = 0;
    e !== null && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, message, detail } = e as { code?: unknown; message?: unknown; detail?: unknown };
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
      return { sqlstate: code, message: `${String(message)}${typeof detail === 'string' ? ` (${detail})` : ''}` };
    }
  }
  return null;
}
