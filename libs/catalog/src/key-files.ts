// Where the secrets keys come from: SECRETS_KEY (+ SECRETS_OLD_KEYS), a key file, or, for the
// embedded default only, a key file generated under DATA_DIR on the first start.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { Keyring, decodeKey, generateKey } from './keyring.ts';

export interface KeySettings {
  secretsKey: string | null;
  secretsOldKeys: readonly string[];
  secretsKeyFile: string | null;
  /** null = the embedded default, whose config bucket lives under dataDir. */
  natsUrl: string | null;
  dataDir: string;
}

export interface LoadedKeyring {
  keyring: Keyring;
  /** The key file in use, if any (rotate-key --generate writes to it). */
  file: string | null;
  /** True when this start created the key file. */
  created: boolean;
  /** Things an operator should hear about (a key file others can read). */
  warnings: string[];
}

/** The embedded default's key file: beside the nats store, not inside it, so a copy of the store alone holds no key. */
export function embeddedKeyFile(dataDir: string): string {
  return path.resolve(dataDir, 'secrets.key');
}

const HEADER = [
  '# Hookstream secrets keys: the first one seals, every one opens (docs/operations.md, "Secrets key").',
  '# Keep a copy apart from backups of the NATS store: without it, the secrets in it cannot be read.',
];

/** Keys of a key file, current first: one base64 or hex key a line; blank lines and # comments are skipped. */
export async function readKeyFile(file: string): Promise<Buffer[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`the secrets key file ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const keys: Buffer[] = [];
  text.split('\n').forEach((line, i) => {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) return;
    const key = decodeKey(s);
    if (!key) throw new Error(`the secrets key file ${file}, line ${i + 1}: not a key (32 bytes, base64 or hex)`);
    keys.push(key);
  });
  if (keys.length === 0) throw new Error(`the secrets key file ${file} holds no key`);
  return keys;
}

/** Replaces a key file at once (a reader sees the old file or the new one), mode 0600. */
export async function writeKeyFile(file: string, keys: readonly Buffer[]): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile([...HEADER, ...keys.map((k) => k.toString('base64')), ''].join('\n'));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

function decodeAll(values: readonly string[], name: string): Buffer[] {
  return values.map((v, i) => {
    const key = decodeKey(v);
    if (!key) throw new Error(`${name}: key ${i + 1} is not 32 bytes in base64 or hex`);
    return key;
  });
}

export async function loadKeyring(s: KeySettings): Promise<LoadedKeyring> {
  const old = decodeAll(s.secretsOldKeys, 'SECRETS_OLD_KEYS');
  if (s.secretsKey) {
    const [current] = decodeAll([s.secretsKey], 'SECRETS_KEY');
    return { keyring: new Keyring(current as Buffer, old), file: null, created: false, warnings: [] };
  }
  let file = s.secretsKeyFile ? path.resolve(s.secretsKeyFile) : null;
  let created = false;
  if (!file) {
    if (s.natsUrl !== null) {
      throw new Error(
        'NATS_URL is set but no secrets key is: set SECRETS_KEY (32 bytes, base64 or hex; `hookstream secrets generate-key` prints one) ' +
          'or SECRETS_KEY_FILE, the same in every process. Secrets in the config bucket are encrypted under it (docs/operations.md, "Secrets key").',
      );
    }
    file = embeddedKeyFile(s.dataDir);
    created = await createKeyFile(file);
  }
  const keys = await readKeyFile(file);
  const warnings: string[] = [];
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0)
    warnings.push(`the secrets key file ${file} can be read by other users (mode ${mode.toString(8)}); chmod 600 it`);
  return { keyring: new Keyring(keys[0] as Buffer, [...keys.slice(1), ...old]), file, created, warnings };
}

/** Creates the key file with one new key unless it exists; true when it did. */
async function createKeyFile(file: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  let fh;
  try {
    // 'wx': two processes starting at once cannot both create it, and an existing key is never replaced.
    fh = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile([...HEADER, generateKey(), ''].join('\n'));
    await fh.sync();
  } finally {
    await fh.close();
  }
  // The process umask may have narrowed the mode further, never widened it; make it exact.
  await chmod(file, 0o600);
  return true;
}
