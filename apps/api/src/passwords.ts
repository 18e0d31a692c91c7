// Member passwords: scrypt from node:crypto (memory-hard, no native build; docs/adr/0017-people.md).
// A hash says its own parameters, so raising the cost later leaves older hashes readable.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** N = 2^15, r = 8: 32 MiB and a few tens of milliseconds per hash on a current core. */
const COST = { N: 32_768, r: 8, p: 1 };
const KEY_LEN = 32;
const MAX_MEM = 128 * 1024 * 1024;

export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, c: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, { ...c, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of a password nobody has: verified against when the email is unknown, so both answers take as long. */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

/** Whether the password matches; a null or unreadable hash never does, after the same work as a real check. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? (await DUMMY)).split('$');
  const [scheme, n, r, p, salt, key] = parts;
  if (parts.length !== 6 || scheme !== 'scrypt' || !salt || !key) {
    await verifyPassword(password, null);
    return false;
  }
  const want = Buffer.from(key, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return stored !== null && got.length === want.length && timingSafeEqual(got, want);
}
