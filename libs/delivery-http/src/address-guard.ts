import { lookup as dnsLookup } from 'node:dns/promises';
import { isBlockedBytes, parseIp } from './ip.ts';

export interface AddressGuardOptions {
  /** True lets loopback, private and link-local destinations through (local use and tests). */
  allowPrivate: boolean;
}

export interface LookupAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to; rejects with the resolver's error (code ENOTFOUND, EAI_AGAIN…). */
export type LookupFn = (hostname: string) => Promise<LookupAddress[]>;

/** `private` is set when the refusal is one that ALLOW_PRIVATE_DESTINATIONS would lift. */
export type GuardResult = { ok: true } | { ok: false; reason: string; private?: true };

export const defaultLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true });

/**
 * True when the address is one a destination may not reach. Accepts any notation (decimal, octal,
 * hex and short IPv4; IPv6 with brackets, zone id or an embedded dotted quad) and judges the
 * normalised bytes. A string that is not an IP address counts as blocked: callers pass resolver
 * output, and failing closed is the safe answer to something unexpected.
 */
export function isBlockedAddress(ip: string): boolean {
  const bytes = parseIp(ip);
  return bytes === null || isBlockedBytes(bytes);
}

function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** The URL's host as an IP literal without brackets, or null when it is a name. */
function ipLiteral(hostname: string): string | null {
  if (hostname.startsWith('[')) return hostname.slice(1, -1);
  // WHATWG URL has already rewritten decimal/octal/hex/short IPv4 forms to dotted decimal.
  return parseIp(hostname) !== null && /^[0-9.]+$/.test(hostname) ? hostname : null;
}

/**
 * Static check of a destination URL when it is created or changed. Names are not resolved here
 * (see resolveAndCheck); the connect-time guard in the client is what finally decides.
 */
export function checkDestinationUrl(url: string, opts: AddressGuardOptions): GuardResult {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: 'scheme must be http or https' };
  if (u.username !== '' || u.password !== '') return { ok: false, reason: 'credentials in the URL are not allowed' };
  if (u.hostname === '') return { ok: false, reason: 'URL has no host' };
  if (opts.allowPrivate) return { ok: true };
  if (isLocalhostName(u.hostname))
    return { ok: false, reason: 'localhost destinations are not allowed', private: true };
  const literal = ipLiteral(u.hostname);
  if (literal !== null && isBlockedAddress(literal)) {
    return { ok: false, reason: `address ${literal} is private, loopback, link-local or reserved`, private: true };
  }
  return { ok: true };
}

/**
 * Resolves the host (every address) and refuses when any of them is blocked. With allowPrivate the
 * host is not resolved at all: nothing would be refused.
 */
export async function resolveAndCheck(
  hostname: string,
  opts: AddressGuardOptions & { lookup?: LookupFn },
): Promise<GuardResult> {
  if (opts.allowPrivate) return { ok: true };
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isLocalhostName(host)) return { ok: false, reason: 'localhost destinations are not allowed', private: true };
  if (parseIp(host) !== null) {
    return isBlockedAddress(host)
      ? { ok: false, reason: `address ${host} is private, loopback, link-local or reserved`, private: true }
      : { ok: true };
  }
  let addresses: LookupAddress[];
  try {
    addresses = await (opts.lookup ?? defaultLookup)(host);
  } catch (err) {
    return { ok: false, reason: `host does not resolve (${errorCode(err) ?? 'lookup failed'})` };
  }
  if (addresses.length === 0) return { ok: false, reason: 'host does not resolve (no addresses)' };
  const blocked = addresses.find((a) => isBlockedAddress(a.address));
  if (blocked !== undefined) {
    return {
      ok: false,
      reason: `host resolves to ${blocked.address}, a private, loopback, link-local or reserved address`,
      private: true,
    };
  }
  return { ok: true };
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Code carried by the error the connect-time lookup fails with, so the client can classify it. */
export const BLOCKED_ADDRESS_CODE = 'EHOOKSTREAM_BLOCKED_ADDRESS';

export class BlockedAddressError extends Error {
  readonly code = BLOCKED_ADDRESS_CODE;
  readonly address: string;
  constructor(address: string) {
    super(`destination resolves to blocked address ${address}`);
    this.name = 'BlockedAddressError';
    this.address = address;
  }
}

type NodeLookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A lookup for net.connect/tls.connect that resolves through `lookup`, checks every address and
 * fails with BlockedAddressError when any is blocked. It runs on every new connection, so a DNS
 * answer that changed since the destination was checked (rebinding) is still refused.
 */
export function guardedNodeLookup(opts: AddressGuardOptions & { lookup?: LookupFn }) {
  const lookup = opts.lookup ?? defaultLookup;
  return (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: NodeLookupCallback,
  ): void => {
    lookup(hostname).then(
      (found) => {
        if (found.length === 0) {
          callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' }), []);
          return;
        }
        if (!opts.allowPrivate) {
          const blocked = found.find((a) => isBlockedAddress(a.address));
          if (blocked !== undefined) {
            callback(new BlockedAddressError(blocked.address), []);
            return;
          }
        }
        const wanted =
          options.family === 4 || options.family === 'IPv4'
            ? 4
            : options.family === 6 || options.family === 'IPv6'
              ? 6
              : 0;
        const usable = wanted === 0 ? found : found.filter((a) => a.family === wanted);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no IPv${wanted} addresses for ${hostname}`), { code: 'ENOTFOUND' }), []);
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), []),
    );
  };
}
