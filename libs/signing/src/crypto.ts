import { type KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'sha256' | 'sha512';

/** HMAC over the concatenation of parts, fed piecewise so a large body is never copied. */
export function hmac(
  algorithm: HmacAlgorithm,
  key: string | Buffer | KeyObject,
  parts: ReadonlyArray<string | Buffer>,
): Buffer {
  const h = createHmac(algorithm, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/**
 * Constant-time equality of two byte strings. Lengths are compared first: a digest's length is public
 * (it follows from the algorithm), so refusing a wrong-length candidate early leaks nothing.
 */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when any candidate equals expected; every candidate is compared in constant time. */
export function anyEqual(expected: Buffer, candidates: readonly Buffer[]): boolean {
  let found = false;
  // No early exit: which candidate matched (and how many there were) stays out of the timing.
  for (const c of candidates) found = safeEqual(expected, c) || found;
  return found;
}

const HEX = /^[0-9a-fA-F]*$/;
// Standard or URL-safe alphabet, padding optional: senders differ and we compare decoded bytes anyway.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Strict hex decode; Buffer.from(s, 'hex') alone silently stops at the first bad character. */
export function decodeHex(s: string): Buffer | null {
  if (s.length === 0 || s.length % 2 !== 0 || !HEX.test(s)) return null;
  return Buffer.from(s, 'hex');
}

/** Strict base64 decode; Buffer.from(s, 'base64') alone skips characters it does not know. */
export function decodeBase64(s: string): Buffer | null {
  const unpadded = s.replace(/=+$/, '');
  if (unpadded.length === 0 || !BASE64.test(s) || unpadded.length % 4 === 1) return null;
  return Buffer.from(unpadded, 'base64');
}

export const STANDARD_SECRET_PREFIX = 'whsec_';

/**
 * Standard Webhooks key: the bytes of the base64 after `whsec_` (a bare base64 secret is accepted too).
 * Null when the secret is not base64 — a configuration error the caller reports without echoing it.
 */
export function standardWebhooksKey(secret: string): Buffer | null {
  const b64 = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret;
  return decodeBase64(b64);
}

// Key objects live as long as the record that holds their secret: a source's verification config or
// a destination. The config view replaces a record when it changes, never edits it, so a secret
// rotated out goes, with its key object, when its old record does; nothing here outlives it.
const keysOf = new WeakMap<object, Map<string, KeyObject>>();

/**
 * standardWebhooksKey as a KeyObject: createHmac imports a Buffer key anew on every call, which
 * costs several times the HMAC of a small body. With an `owner` (the record the secret belongs to),
 * the key is decoded and imported once per secret of that record; without one, on every call.
 */
export function standardWebhooksKeyObject(secret: string, owner?: object): KeyObject | null {
  const keys = owner === undefined ? undefined : keysOf.get(owner);
  let key = keys?.get(secret);
  if (key === undefined) {
    const bytes = standardWebhooksKey(secret);
    if (bytes === null || bytes.length === 0) return null;
    key = createSecretKey(bytes);
    if (owner !== undefined) {
      if (keys === undefined) keysOf.set(owner, new Map([[secret, key]]));
      else keys.set(secret, key);
    }
  }
  return key;
}
