// Every setting Hookstream reads, with its default. Read once at start-up into a frozen object;
// every violation is reported at once. Documented in docs/configuration.md.
import { randomBytes } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const ROLE_NAMES = ['api', 'router', 'deliverer', 'projector', 'jobs'] as const;
export type Role = (typeof ROLE_NAMES)[number];

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

/** The environment as strings, before conversion. */
const Env = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  NATS_URL: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  ROLES: Type.Optional(
    Type.String({ pattern: '^(all|(api|router|deliverer|projector|jobs)(,(api|router|deliverer|projector|jobs))*)$' }),
  ),
  ALLOW_PRIVATE_DESTINATIONS: Type.Optional(Bool),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  ),
  STREAM_REPLICAS: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('3'), Type.Literal('5')])),
  ACCOUNT_SIGNUP: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('token'), Type.Literal('closed')])),
  SIGNUP_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  SIGNUP_RATE_PER_MINUTE: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  OPERATOR_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')])),
  LOG_DELIVERIES: Type.Optional(Bool),
  DUPLICATE_WINDOW_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DELIVERER_MAX_IN_FLIGHT: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  PROCESSES: Type.Optional(Type.Union([Type.Literal('separate'), Type.Literal('single')])),
  BACKGROUND_NICE: Type.Optional(Type.String({ pattern: '^([0-9]|1[0-9])$' })),
  NATS_SERVER_BIN: Type.Optional(Type.String({ minLength: 1 })),
  EMBEDDED_POSTGRES_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  EMBEDDED_NATS_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  TRUST_PROXY: Type.Optional(Bool),
  DNS_SERVERS: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F:.\\[\\]]+(,[0-9a-fA-F:.\\[\\]]+)*$' })),
  // Keys are checked by secretsKeyProblems, whose messages never repeat the value.
  SECRETS_KEY: Type.Optional(Type.String()),
  SECRETS_OLD_KEYS: Type.Optional(Type.String()),
  SECRETS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CUSTOM_DOMAIN_CLAIM_TTL_H: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  CONSOLE_DIST: Type.Optional(Type.String({ minLength: 1 })),
  CONSOLE_SESSION_IDLE_H: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,3})?$' })),
  CONSOLE_SIGNIN_RATE_PER_MINUTE: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  PORTAL_RATE_PER_MINUTE: Type.Optional(Type.String({ pattern: '^[1-9][0-9]*$' })),
  SIGNIN_LOCKOUT_FAILURES: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  SIGNIN_LOCKOUT_MIN: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  INVITE_TTL_H: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3 })),
});

export interface Settings {
  port: number;
  host: string;
  publicUrl: string;
  natsUrl: string | null;
  databaseUrl: string | null;
  dataDir: string;
  roles: readonly Role[];
  /**
   * `separate`: the command supervises the roles in processes of their own (the api alone, first in
   * line for the CPU); `single`: every role in this process. Default: separate unless ROLES is set.
   */
  processes: 'separate' | 'single';
  allowPrivateDestinations: boolean;
  logLevel: string;
  streamReplicas: number;
  accountSignup: 'open' | 'token' | 'closed';
  signupToken: string | null;
  signupRatePerMinute: number;
  /** Lets a request set an account's plan and retention (header X-Operator-Token); null: only the CLI can. */
  operatorToken: string | null;
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Log every delivery attempt at info (otherwise at debug). */
  logDeliveries: boolean;
  duplicateWindowS: number;
  delivererMaxInFlight: number;
  /** CPU priority (nice, 0–19) of a process without the api role; 0 leaves it alone. */
  backgroundNice: number;
  natsServerBin: string | null;
  embeddedPostgresPort: number;
  embeddedNatsPort: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** Resolvers for custom-domain verification (ip or ip:port); empty = the system's. */
  dnsServers: readonly string[];
  /** The key that seals secrets in the config bucket (base64 or hex of 32 bytes). */
  secretsKey: string | null;
  /** Keys that still open secrets sealed before a rotation, never seal. */
  secretsOldKeys: readonly string[];
  /** A file of keys, the current one first; with no key and no NATS_URL, DATA_DIR/secrets.key. */
  secretsKeyFile: string | null;
  /** Hours an unverified custom-domain claim lives before it lapses. */
  customDomainClaimTtlH: number;
  /** The built console (vite's output); null = apps/console/dist of this checkout. */
  consoleDist: string | null;
  /** A console session unused for this long ends. */
  consoleSessionIdleMs: number;
  /** Console sign-ins one client address may attempt per minute. */
  consoleSignInRatePerMinute: number;
  /** Requests one customer-portal session may make per minute, per api copy. */
  portalRatePerMinute: number;
  /** Wrong passwords for one email from one address before that pair is locked out. */
  signInLockoutFailures: number;
  /** How long a lockout lasts after the last failure. */
  signInLockoutMs: number;
  /** How long an invitation link stays valid. */
  inviteTtlMs: number;
  /** The SMTP server invitations are mailed through (smtp:// or smtps://, credentials in it); null: not mailed. */
  smtpUrl: string | null;
  /** The sender of those mails. */
  mailFrom: string;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid settings:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

const KEYS = Object.keys(Env.properties);

function isKey(s: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(s)) return true;
  return (
    /^[A-Za-z0-9+/_-]{43}=?$/.test(s) && Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').length === 32
  );
}

/** What is wrong with the secrets settings; the keys themselves never appear in a message. */
function secretsKeyProblems(e: {
  SECRETS_KEY?: string;
  SECRETS_OLD_KEYS?: string;
  SECRETS_KEY_FILE?: string;
}): string[] {
  const problems: string[] = [];
  if (e.SECRETS_KEY !== undefined && !isKey(e.SECRETS_KEY.trim()))
    problems.push('SECRETS_KEY: must be 32 bytes in base64 or hex (64 hex digits)');
  if (e.SECRETS_KEY !== undefined && e.SECRETS_KEY_FILE !== undefined)
    problems.push('SECRETS_KEY_FILE: give SECRETS_KEY or SECRETS_KEY_FILE, not both');
  (e.SECRETS_OLD_KEYS ?? '').split(',').forEach((k, i) => {
    if (e.SECRETS_OLD_KEYS !== undefined && !isKey(k.trim()))
      problems.push(`SECRETS_OLD_KEYS: key ${i + 1} must be 32 bytes in base64 or hex`);
  });
  return problems;
}

export function loadSettings(env: Record<string, string | undefined> = process.env): Readonly<Settings> {
  const raw: Record<string, string> = {};
  for (const k of KEYS) {
    const v = env[k];
    if (v !== undefined && v !== '') raw[k] = v;
  }
  const problems = [...Value.Errors(Env, raw)].map(
    (e) => `${e.path.slice(1) || '(root)'}: ${e.message} (got ${JSON.stringify(e.value)})`,
  );
  const e = raw as Static<typeof Env>;
  if (e.ACCOUNT_SIGNUP === 'token' && !e.SIGNUP_TOKEN)
    problems.push('SIGNUP_TOKEN: required when ACCOUNT_SIGNUP=token');
  problems.push(...secretsKeyProblems(e));
  if (e.CONSOLE_SESSION_IDLE_H !== undefined && !(Number(e.CONSOLE_SESSION_IDLE_H) > 0))
    problems.push('CONSOLE_SESSION_IDLE_H: must be more than 0');
  if (problems.length > 0) throw new SettingsError(problems);
  const port = Number(e.PORT ?? 8080);
  const roles = !e.ROLES || e.ROLES === 'all' ? ROLE_NAMES : ([...new Set(e.ROLES.split(','))] as Role[]);
  return Object.freeze({
    port,
    host: e.HOST ?? '127.0.0.1',
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    natsUrl: e.NATS_URL ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.DATA_DIR ?? '.data',
    roles: Object.freeze([...roles]),
    processes: e.PROCESSES ?? (e.ROLES ? 'single' : 'separate'),
    allowPrivateDestinations: e.ALLOW_PRIVATE_DESTINATIONS === 'true' || e.ALLOW_PRIVATE_DESTINATIONS === '1',
    logLevel: e.LOG_LEVEL ?? 'info',
    streamReplicas: Number(e.STREAM_REPLICAS ?? 1),
    accountSignup: e.ACCOUNT_SIGNUP ?? 'open',
    signupToken: e.SIGNUP_TOKEN ?? null,
    signupRatePerMinute: Number(e.SIGNUP_RATE_PER_MINUTE ?? 30),
    operatorToken: e.OPERATOR_TOKEN ?? null,
    logFormat: e.LOG_FORMAT ?? 'auto',
    logDeliveries: e.LOG_DELIVERIES === 'true' || e.LOG_DELIVERIES === '1',
    duplicateWindowS: Number(e.DUPLICATE_WINDOW_S ?? 86_400),
    delivererMaxInFlight: Number(e.DELIVERER_MAX_IN_FLIGHT ?? 512),
    backgroundNice: Number(e.BACKGROUND_NICE ?? 10),
    natsServerBin: e.NATS_SERVER_BIN ?? null,
    embeddedPostgresPort: Number(e.EMBEDDED_POSTGRES_PORT ?? 5532),
    embeddedNatsPort: Number(e.EMBEDDED_NATS_PORT ?? 4322),
    trustProxy: e.TRUST_PROXY === 'true' || e.TRUST_PROXY === '1',
    dnsServers: Object.freeze(e.DNS_SERVERS ? e.DNS_SERVERS.split(',') : []),
    secretsKey: e.SECRETS_KEY?.trim() ?? null,
    secretsOldKeys: Object.freeze(e.SECRETS_OLD_KEYS ? e.SECRETS_OLD_KEYS.split(',').map((k) => k.trim()) : []),
    secretsKeyFile: e.SECRETS_KEY_FILE ?? null,
    customDomainClaimTtlH: Number(e.CUSTOM_DOMAIN_CLAIM_TTL_H ?? 72),
    consoleDist: e.CONSOLE_DIST ?? null,
    consoleSessionIdleMs: Math.round(Number(e.CONSOLE_SESSION_IDLE_H ?? 12) * 3_600_000),
    consoleSignInRatePerMinute: Number(e.CONSOLE_SIGNIN_RATE_PER_MINUTE ?? 30),
    portalRatePerMinute: Number(e.PORTAL_RATE_PER_MINUTE ?? 600),
    signInLockoutFailures: Number(e.SIGNIN_LOCKOUT_FAILURES ?? 5),
    signInLockoutMs: Number(e.SIGNIN_LOCKOUT_MIN ?? 15) * 60_000,
    inviteTtlMs: Number(e.INVITE_TTL_H ?? 168) * 3_600_000,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM ?? 'Hookstream <no-reply@localhost>',
  });
}

/**
 * The environment of a process this one starts (the supervisor's role processes): this one's, with
 * `overrides` on top. Read here so that settings are read in one place only.
 */
export function childEnvironment(overrides: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}

let testKey: string | null = null;

/**
 * Settings for tests and embedding: defaults plus overrides, no environment. Unless given one, the
 * secrets key is random, one per process: every gateway a test starts shares it, and it dies with them.
 */
export function testSettings(overrides: Partial<Settings> = {}): Readonly<Settings> {
  testKey ??= randomBytes(32).toString('base64');
  return Object.freeze({ ...loadSettings({}), secretsKey: testKey, ...overrides });
}
