// Configuration records as stored in the config KV bucket. These hold secrets (write-only through
// the API); the HTTP views in api.ts never do.
import type { Direction } from './streams.ts';

export type Plan = 'free' | 'pro' | 'enterprise';

export interface AccountRecord {
  id: string;
  name: string;
  plan: Plan;
  retention_days: number;
  created_at: string;
}

export interface ApiKeyRecord {
  id: string;
  account_id: string;
  name: string;
  /** First characters of the key, for display ("hk_AbCd…"). */
  prefix: string;
  /** sha256 hex of the whole key. Keys carry 256 random bits, so a fast hash is safe. */
  hash: string;
  created_at: string;
  revoked_at: string | null;
  /** Absent on keys made before roles: they act as admin, as every key did then. */
  role?: MemberRole;
}

export type MemberRole = 'owner' | 'admin' | 'developer' | 'viewer';

/** A person who signs in to the console of one account. */
export interface MemberRecord {
  id: string;
  account_id: string;
  /** Lower-case: one spelling per address. */
  email: string;
  name: string;
  role: MemberRole;
  /** scrypt, self-describing (passwords.ts); null for a member who signs in by single sign-on only. */
  password_hash: string | null;
  /** The OpenID provider's `sub` once the member signed in by single sign-on. */
  sso_subject: string | null;
  created_at: string;
  updated_at: string;
}

/** A pending invitation: a single-use link, its token kept only as a hash. */
export interface InviteRecord {
  id: string;
  account_id: string;
  email: string;
  role: MemberRole;
  /** sha256 hex of the token in the link. Tokens carry 256 random bits, so a fast hash is safe. */
  token_hash: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
}

/** An account's OpenID Connect single sign-on: one per account, its id the account id. */
export interface SsoRecord {
  id: string;
  account_id: string;
  issuer: string;
  client_id: string;
  /** Sealed in the bucket like every other secret. */
  client_secret: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type VerificationProvider = 'stripe' | 'github' | 'shopify' | 'standard_webhooks' | 'hmac';

/** How a source's webhooks are verified (libs/signing applies it). */
export interface VerificationConfig {
  provider: VerificationProvider;
  secret: string;
  /** hmac only: header carrying the signature (default `x-signature`). */
  header?: string;
  /** hmac only (default sha256). */
  algorithm?: 'sha256' | 'sha512';
  /** hmac only (default hex). */
  encoding?: 'hex' | 'base64';
  /** hmac only: text before the signature, e.g. `sha256=`, stripped before comparing. */
  prefix?: string;
  /** stripe and standard_webhooks: allowed clock distance in seconds (default 300; 0 turns the check off). */
  tolerance_s?: number;
}

export interface SourceRecord {
  id: string;
  account_id: string;
  name: string;
  path_token: string;
  auth_mode: 'none' | 'shared_secret';
  verification_config: VerificationConfig | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export type SignatureScheme = 'standard_webhooks' | 'stripe' | 'github' | 'hmac';

/** A destination's retry policy (libs/domain's retry.ts computes its schedule). */
export interface RetryPolicy {
  /** Total attempts including the first: 1..50. */
  max_attempts: number;
  /** Delay after attempt n failed is delays_ms[n-1]; the last entry repeats. Overrides `backoff`. */
  delays_ms?: number[];
  backoff?: 'exponential' | 'two_phase';
  /** Retry 4xx answers other than 408 and 429 (they are retried anyway). */
  retry_on_4xx?: boolean;
  /** Symmetric jitter as a fraction of the delay: 0..1, default 0.2 (±20%). */
  jitter?: number;
}

export interface SigningSecret {
  secret: string;
  created_at: string;
  /** Set on the previous secret when rotated: it keeps signing until then. */
  expires_at: string | null;
}

export interface DestinationRecord {
  id: string;
  account_id: string;
  name: string;
  url: string;
  auth_token: string | null;
  headers: Record<string, string>;
  /** Newest first. More than one only during a rotation overlap. */
  signing_secrets: SigningSecret[];
  signature_scheme: SignatureScheme;
  timeout_ms: number;
  retry_policy: RetryPolicy;
  rate_limit_per_s: number | null;
  max_in_flight: number;
  active: boolean;
  /** The account's customer this destination belongs to (absent on records stored before customers). */
  customer_id?: string | null;
  created_at: string;
  updated_at: string;
}

export interface RouteRecord {
  id: string;
  account_id: string;
  source_id: string | null;
  destination_id: string;
  event_type_pattern: string | null;
  labels: Record<string, string> | null;
  payload_filter: Record<string, unknown> | null;
  active: boolean;
  /** The customer of its destination, for scoping and lists (absent on records stored before customers). */
  customer_id?: string | null;
  created_at: string;
  updated_at: string;
}

export interface EventTypeRecord {
  id: string;
  account_id: string;
  name: string;
  description: string | null;
  schema: Record<string, unknown> | null;
  created_at: string;
}

export interface BrandRecord {
  /** One per account: the id is the account id. */
  id: string;
  account_id: string;
  name: string | null;
  logo_url: string | null;
  primary_color: string | null;
  accent_color: string | null;
  support_email: string | null;
  /** Origins allowed to frame the customer portal (its CSP frame-ancestors); absent in older records = none. */
  embed_origins?: string[];
  updated_at: string;
  created_at: string;
}

export interface DomainRecord {
  id: string;
  account_id: string;
  hostname: string;
  /** Expected in a TXT record at `_hookstream-challenge.<hostname>`. */
  verification_token: string;
  /** superseded: another account verified the hostname first; this claim can no longer verify. */
  status: 'pending' | 'verified' | 'failed' | 'superseded';
  last_checked_at: string | null;
  last_error: string | null;
  verified_at: string | null;
  created_at: string;
}

/** The verified owner of a hostname: one record per hostname, created by the first claim to verify. */
export interface DomainOwnerRecord {
  /** Derived from the hostname (domainOwnerId). */
  id: string;
  hostname: string;
  account_id: string;
  /** The owning claim (a DomainRecord). */
  domain_id: string;
  created_at: string;
}

/** A console sign-in session, stored under a hash of its id (the id itself lives only in the cookie). */
export interface ConsoleSessionRecord {
  account_id: string;
  /** The key signed in with; '' for a member's session. */
  api_key_id: string;
  /** The member signed in; absent for an API-key session. */
  member_id?: string;
  created_at: string;
  last_seen_at: string;
}

/**
 * A customer portal session. Its token and its cookie are stored only as sha256 hashes: whoever
 * reads the bucket cannot open the portal with what they find there.
 */
export interface PortalSessionRecord {
  id: string;
  account_id: string;
  customer_id: string;
  scope: 'read' | 'manage';
  created_at: string;
  expires_at: string;
  /** When the token was exchanged for a cookie (once: the token opens nothing after). */
  used_at: string | null;
  token_hash: string;
  cookie_hash: string | null;
}

export type ConfigKind =
  | 'account'
  | 'apikey'
  | 'source'
  | 'destination'
  | 'route'
  | 'eventtype'
  | 'brand'
  | 'domain'
  | 'domainowner'
  | 'member'
  | 'invite'
  | 'sso';

export interface ConfigRecordByKind {
  account: AccountRecord;
  apikey: ApiKeyRecord;
  source: SourceRecord;
  destination: DestinationRecord;
  route: RouteRecord;
  eventtype: EventTypeRecord;
  brand: BrandRecord;
  domain: DomainRecord;
  domainowner: DomainOwnerRecord;
  member: MemberRecord;
  invite: InviteRecord;
  sso: SsoRecord;
}

/** KV key of a record: "<kind>.<id>". */
export function configKey(kind: ConfigKind, id: string): string {
  return `${kind}.${id}`;
}

export function parseConfigKey(key: string): { kind: ConfigKind; id: string } | null {
  const dot = key.indexOf('.');
  if (dot < 0) return null;
  const kind = key.slice(0, dot) as ConfigKind;
  if (
    ![
      'account',
      'apikey',
      'source',
      'destination',
      'route',
      'eventtype',
      'brand',
      'domain',
      'domainowner',
      'member',
      'invite',
      'sso',
    ].includes(kind)
  )
    return null;
  return { kind, id: key.slice(dot + 1) };
}

export type { Direction };
