// Secrets in the config bucket are sealed with AES-256-GCM under a key the operator holds
// (docs/adr/0006-secrets-at-rest.md). A keyring holds the current key, which seals, and older ones,
// which only open, so that `hookstream secrets rotate-key` can move every value to a new key while
// both still open.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Raised when a sealed value cannot be opened: the message names the key id, never the value. */
export class SecretsKeyError extends Error {
  override name = 'SecretsKeyError';
  readonly kid: string | null;
  constructor(message: string, kid: string | null) {
    super(message);
    this.kid = kid;
  }
}

/** A key given as base64, base64url or hex of 32 bytes; null when it is none of these. */
export function decodeKey(text: string): Buffer | null {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  return null;
}

/** A key's id: derived from the key, so every process that holds a key names it alike, and it says nothing of the key. */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('hookstream secrets key id').digest('hex').slice(0, 12);
}

/** A new random key, base64. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** The key id a sealed value names, or null for plain text (a record written before sealing). */
export function sealedKid(value: string): string | null {
  if (!value.startsWith(PREFIX)) return null;
  const kid = value.slice(PREFIX.length).split(':', 1)[0];
  return kid ?? null;
}

export class Keyring {
  readonly currentKid: string;
  private readonly current: Buffer;
  private readonly keys = new Map<string, Buffer>();

  /** `current` seals and opens; `older` only open. Duplicates are ignored. */
  constructor(current: Buffer, older: readonly Buffer[] = []) {
    if (current.length !== KEY_BYTES) throw new Error(`a secrets key is ${KEY_BYTES} bytes`);
    this.current = current;
    this.currentKid = keyId(current);
    this.keys.set(this.currentKid, current);
    for (const k of older) {
      if (k.length !== KEY_BYTES) throw new Error(`a secrets key is ${KEY_BYTES} bytes`);
      if (!this.keys.has(keyId(k))) this.keys.set(keyId(k), k);
    }
  }

  /** Ids of every key held, current first. */
  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** `enc:v1:<kid>:<iv>:<ciphertext+tag>`, base64url. `aad` binds the value to its record and field. */
  seal(plain: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.currentKid}:${iv.toString('base64url')}:${ct.toString('base64url')}`;
  }

  /** The plain text of a sealed value; a value that is not sealed is returned as it is (legacy records). */
  open(value: string, aad: string): string {
    const kid = sealedKid(value);
    if (kid === null) return value;
    const key = this.keys.get(kid);
    if (!key)
      throw new SecretsKeyError(
        `sealed under key id ${kid}, which is not loaded (loaded: ${this.kids.join(', ')})`,
        kid,
      );
    const parts = value.slice(PREFIX.length).split(':');
    const iv = Buffer.from(parts[1] ?? '', 'base64url');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    if (parts.length !== 3 || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
      throw new SecretsKeyError(`sealed under key id ${kid} but malformed`, kid);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretsKeyError(
        `sealed under key id ${kid} but does not open: it was altered or belongs to another record`,
        kid,
      );
    }
  }
}

let ephemeral: Keyring | null = null;

/** A keyring of one random key, the same for the whole process and gone with it: for tests and throwaway tools. */
export function ephemeralKeyring(): Keyring {
  ephemeral ??= new Keyring(randomBytes(KEY_BYTES));
  return ephemeral;
}
