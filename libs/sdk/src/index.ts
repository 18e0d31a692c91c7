// Public face of @hookstream/sdk.
export { Hookstream, type HookstreamOptions } from './client.ts';
export { CONSOLE_HEADER, SDK_VERSION, type FetchLike } from './transport.ts';
export { Console } from './console.ts';
export { PORTAL_HEADER, Portal } from './portal.ts';
export { Invites, Members, SingleSignOn } from './people.ts';
export {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  HookstreamError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors.ts';
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from './webhooks.ts';
export type * from './types.ts';
