// What every command receives: the parsed flags, its positional arguments, a client and the output.
import { parseArgs } from 'node:util';
import { Hookstream, type MemberRole } from '@hookstream/sdk';
import type { Output } from './output.ts';

/** Every flag of every command (parseArgs is strict: an unknown flag is a usage error). */
export const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  // resources
  name: { type: 'string' },
  plan: { type: 'string' },
  'retention-days': { type: 'string' },
  'signup-token': { type: 'string' },
  'operator-token': { type: 'string' },
  role: { type: 'string' },
  provider: { type: 'string' },
  secret: { type: 'string' },
  'signature-header': { type: 'string' },
  active: { type: 'boolean' },
  inactive: { type: 'boolean' },
  'dest-url': { type: 'string' },
  header: { type: 'string', multiple: true },
  'auth-token': { type: 'string' },
  'signing-secret': { type: 'string' },
  scheme: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-attempts': { type: 'string' },
  backoff: { type: 'string' },
  'rate-limit': { type: 'string' },
  'overlap-s': { type: 'string' },
  source: { type: 'string' },
  destination: { type: 'string' },
  customer: { type: 'string' },
  scope: { type: 'string' },
  'expires-in-s': { type: 'string' },
  pattern: { type: 'string' },
  label: { type: 'string', multiple: true },
  description: { type: 'string' },
  schema: { type: 'string' },
  payload: { type: 'string' },
  'event-id': { type: 'string' },
  // event filters
  status: { type: 'string' },
  type: { type: 'string' },
  direction: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'idempotency-key': { type: 'string' },
  // audit log
  actor: { type: 'string' },
  'actor-type': { type: 'string' },
  action: { type: 'string' },
  resource: { type: 'string' },
  outcome: { type: 'string' },
  // statistics
  range: { type: 'string' },
  // long work
  wait: { type: 'boolean' },
  'interval-ms': { type: 'string' },
  count: { type: 'string' },
  kind: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
export type Flags = Parsed['values'];

export function parse(argv: string[]): Parsed {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/** A mistake in how the command was called: exit code 2 and the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Settings {
  /** From HOOKSTREAM_URL unless --url. */
  url?: string | undefined;
  /** From HOOKSTREAM_API_KEY unless --key. */
  apiKey?: string | undefined;
  /** From HOOKSTREAM_OPERATOR_TOKEN unless --operator-token: lets a request set plan terms. */
  operatorToken?: string | undefined;
}

export class Ctx {
  readonly flags: Flags;
  readonly args: string[];
  readonly out: Output;
  readonly settings: Settings;
  /** Aborted on Ctrl-C: long commands (tail, --wait) stop cleanly. */
  readonly signal: AbortSignal;
  constructor(flags: Flags, args: string[], out: Output, settings: Settings, signal: AbortSignal) {
    this.flags = flags;
    this.args = args;
    this.out = out;
    this.settings = settings;
    this.signal = signal;
  }

  get baseUrl(): string {
    const url = this.flags.url ?? this.settings.url;
    if (!url) throw new UsageError('no server: pass --url or set HOOKSTREAM_URL');
    return url;
  }
  /** A client with the API key; a usage error when there is none. */
  get client(): Hookstream {
    const apiKey = this.flags.key ?? this.settings.apiKey;
    if (!apiKey) throw new UsageError('no API key: pass --key or set HOOKSTREAM_API_KEY');
    return new Hookstream({ baseUrl: this.baseUrl, apiKey });
  }
  /** A client without a key (sign-up). */
  get anonymous(): Hookstream {
    return new Hookstream({ baseUrl: this.baseUrl });
  }

  /** The server's operator token, when given (plan and retention changes need it). */
  get operatorToken(): string | undefined {
    return this.flags['operator-token'] ?? this.settings.operatorToken;
  }

  arg(i: number, name: string): string {
    const v = this.args[i];
    if (v === undefined || v === '') throw new UsageError(`missing <${name}>`);
    return v;
  }
  int(flag: keyof Flags): number | undefined {
    const v = this.flags[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number`);
    return n;
  }
  /** `--header k=v` repeated → {k: v}. */
  pairs(flag: 'header' | 'label'): Record<string, string> | undefined {
    const list = this.flags[flag];
    if (!list || list.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const p of list) {
      const i = p.indexOf('=');
      if (i <= 0) throw new UsageError(`--${flag} takes key=value, got '${p}'`);
      out[p.slice(0, i).trim()] = p.slice(i + 1);
    }
    return out;
  }
  /** --active → true, --inactive → false, neither → undefined. */
  activeFlag(): boolean | undefined {
    if (this.flags.active && this.flags.inactive) throw new UsageError('--active and --inactive together');
    return this.flags.active ? true : this.flags.inactive ? false : undefined;
  }
  json(flag: 'payload' | 'schema'): unknown {
    const v = this.flags[flag];
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v);
    } catch {
      throw new UsageError(`--${flag} must be JSON`);
    }
  }
  listParams(): { limit?: number; cursor?: string } {
    const limit = this.int('limit');
    return { ...(limit !== undefined ? { limit } : {}), ...(this.flags.cursor ? { cursor: this.flags.cursor } : {}) };
  }
}

/** Drops undefined fields, so that only what was given is sent. */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

export interface Command {
  /** Arguments and flags, after the command's name. */
  usage: string;
  summary: string;
  /** A number is the exit code (default 0). */
  run(ctx: Ctx): Promise<number | void>;
}
export type Group = Record<string, Command>;

const ROLES: readonly string[] = ['owner', 'admin', 'developer', 'viewer'];

/** The --role flag, checked here so a typo is a usage error rather than a server refusal. */
export function roleFlag(ctx: Ctx, required: boolean): MemberRole | undefined {
  const role = ctx.flags.role;
  if (role === undefined) {
    if (required) throw new UsageError('--role is required (owner, admin, developer or viewer)');
    return undefined;
  }
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return role as MemberRole;
}
