// `hookstream secrets rotate-key`: every secret in the config bucket sealed again under the keyring's
// current key (plain-text values from before sealing included), then the bucket's older revisions
// dropped, so that no copy under an old key, or in plain text, stays in it.
import type { ConfigKv } from '@hookstream/broker';
import { type Keyring, SecretsKeyError, sealedKid } from './keyring.ts';
import { forgetSecrets, openRecord, sealRecord, sealedUnder } from './sealed.ts';

export interface ResealReport {
  /** Records that hold at least one secret. */
  withSecrets: number;
  /** Records written again under the current key. */
  resealed: number;
  /** Per key id ("plaintext" for values never sealed): how many records held a value under it before. */
  before: Record<string, number>;
  /** Older revisions dropped from the bucket. */
  purged: number;
  /** Records still not wholly under the current key after the run (written meanwhile by a process with another current key). */
  remaining: number;
}

const MAX_CONFLICTS = 10;

function label(kid: string | null): string {
  return kid ?? 'plaintext';
}

export async function resealAll(kv: ConfigKv, keyring: Keyring): Promise<ResealReport> {
  const entries = await kv.list();
  const before: Record<string, number> = {};
  const stale: typeof entries = [];
  // Every record must open before any is written: a missing key stops the run with nothing changed.
  const missing: SecretsKeyError[] = [];
  let withSecrets = 0;
  for (const e of entries) {
    const kids = sealedUnder(e.kind, e.record, sealedKid);
    if (kids.size === 0) continue;
    withSecrets++;
    for (const k of kids) before[label(k)] = (before[label(k)] ?? 0) + 1;
    if (kids.size === 1 && kids.has(keyring.currentKid)) continue;
    try {
      openRecord(keyring, e.kind, e.id, e.record);
      stale.push(e);
    } catch (err) {
      if (err instanceof SecretsKeyError) missing.push(err);
      else throw err;
    }
  }
  if (missing.length > 0) {
    const kids = [...new Set(missing.map((m) => m.kid))].join(', ');
    throw new SecretsKeyError(
      `${missing.length} record(s) do not open with the keys loaded (key id ${kids}); nothing was changed:\n  ${missing
        .slice(0, 5)
        .map((m) => m.message)
        .join('\n  ')}`,
      missing[0]?.kid ?? null,
    );
  }
  let resealed = 0;
  for (const e of stale) {
    let current: { record: unknown; revision: number } | null = e;
    for (let attempt = 0; current; attempt++) {
      if (attempt >= MAX_CONFLICTS)
        throw new Error(`${e.kind} ${e.id} kept changing while it was sealed again; run rotate-key again`);
      const kids = sealedUnder(e.kind, current.record, sealedKid);
      if (kids.size === 1 && kids.has(keyring.currentKid)) break;
      const plain = openRecord(keyring, e.kind, e.id, current.record);
      // Compare-and-set on the revision read: a write made meanwhile is never overwritten with older values.
      const rev = await kv.update(e.kind, e.id, sealRecord(keyring, e.kind, e.id, plain) as never, current.revision);
      if (rev !== null) {
        resealed++;
        break;
      }
      current = await kv.get(e.kind, e.id);
    }
  }
  const purged = await kv.compact();
  let remaining = 0;
  for (const e of await kv.list()) {
    const kids = sealedUnder(e.kind, e.record, sealedKid);
    if (kids.size > 0 && !(kids.size === 1 && kids.has(keyring.currentKid))) remaining++;
  }
  return { withSecrets, resealed, before, purged, remaining };
}

export interface ForgetReport {
  /** Per record ("destination <id>", "source <id>"): what was done to it. */
  changed: Record<string, string[]>;
}

/**
 * `hookstream secrets forget-key <kid>`: the key is lost, so the secrets under it are gone. Each record
 * holding one is made to fail closed (forgetSecrets) and sealed again under the current key, so that
 * processes can start and the owners can set new secrets through the API.
 */
export async function forgetKey(kv: ConfigKv, keyring: Keyring, kid: string): Promise<ForgetReport> {
  if (keyring.kids.includes(kid))
    throw new Error(
      `key id ${kid} is loaded, so it is not lost: use rotate-key to move its secrets to the current key`,
    );
  const changed: Record<string, string[]> = {};
  const affected = (await kv.list()).filter((e) => sealedUnder(e.kind, e.record, sealedKid).has(kid));
  // Every other value of those records must open before any is written: nothing is half done.
  const missing: SecretsKeyError[] = [];
  for (const e of affected) {
    try {
      forgetSecrets(keyring, e.kind, e.id, e.record, kid);
    } catch (err) {
      if (err instanceof SecretsKeyError) missing.push(err);
      else throw err;
    }
  }
  if (missing.length > 0) {
    const kids = [...new Set(missing.map((m) => m.kid))].join(', ');
    throw new SecretsKeyError(
      `${missing.length} record(s) also hold values under key id ${kids}, which is not loaded either; nothing was changed`,
      missing[0]?.kid ?? null,
    );
  }
  for (const e of affected) {
    let current: { record: unknown; revision: number } | null = e;
    for (let attempt = 0; current; attempt++) {
      if (attempt >= MAX_CONFLICTS) throw new Error(`${e.kind} ${e.id} kept changing meanwhile; run forget-key again`);
      if (!sealedUnder(e.kind, current.record, sealedKid).has(kid)) break;
      const { record, actions } = forgetSecrets(keyring, e.kind, e.id, current.record, kid);
      const rev = await kv.update(e.kind, e.id, sealRecord(keyring, e.kind, e.id, record) as never, current.revision);
      if (rev !== null) {
        changed[`${e.kind} ${e.id}`] = actions;
        break;
      }
      current = await kv.get(e.kind, e.id);
    }
  }
  return { changed };
}
