// Which fields of a config record are secret, and their sealing on the way into the bucket and
// opening on the way out. Records in the view hold plain text; records in the bucket, ciphertext.
import type { ConfigKind, DestinationRecord, SourceRecord, SsoRecord } from '@hookstream/contracts';
import { randomBytes } from 'node:crypto';
import { type Keyring, SecretsKeyError, sealedKid } from './keyring.ts';

type Transform = (value: string, field: string) => string;

/**
 * A copy of the record with `fn` applied to each secret field; other kinds are returned as they are.
 * Source path tokens are ingest credentials (anyone holding one can post events), so they count.
 * Destination header values are shown by the API, so they are not secrets here.
 */
function mapSecrets(kind: ConfigKind, record: unknown, fn: Transform): unknown {
  if (kind === 'source') {
    const s = record as SourceRecord;
    const vc = s.verification_config;
    return {
      ...s,
      path_token: fn(s.path_token, 'path_token'),
      verification_config:
        vc && typeof vc.secret === 'string' ? { ...vc, secret: fn(vc.secret, 'verification_config.secret') } : vc,
    };
  }
  if (kind === 'destination') {
    const d = record as DestinationRecord;
    return {
      ...d,
      auth_token: typeof d.auth_token === 'string' ? fn(d.auth_token, 'auth_token') : d.auth_token,
      signing_secrets: (d.signing_secrets ?? []).map((s) => ({ ...s, secret: fn(s.secret, 'signing_secrets') })),
    };
  }
  if (kind === 'sso') {
    const o = record as SsoRecord;
    return { ...o, client_secret: fn(o.client_secret, 'client_secret') };
  }
  return record;
}

/** The additional authenticated data of a field: a ciphertext opens only in the record and field it was sealed for. */
export function sealingContext(kind: ConfigKind, id: string, field: string): string {
  return `hookstream:${kind}.${id}:${field}`;
}

export function sealRecord<T>(keyring: Keyring, kind: ConfigKind, id: string, record: T): T {
  return mapSecrets(kind, record, (v, field) => keyring.seal(v, sealingContext(kind, id, field))) as T;
}

/** Opens every secret of a record read from the bucket; plain-text values (older records) pass as they are. */
export function openRecord<T>(keyring: Keyring, kind: ConfigKind, id: string, record: T): T {
  return mapSecrets(kind, record, (v, field) => {
    try {
      return keyring.open(v, sealingContext(kind, id, field));
    } catch (err) {
      if (err instanceof SecretsKeyError)
        throw new SecretsKeyError(`${kind} ${id}: ${field} is ${err.message}`, err.kid);
      throw err;
    }
  }) as T;
}

/** The key ids a stored record's secrets are sealed under; null stands for plain text. */
export function sealedUnder(
  kind: ConfigKind,
  record: unknown,
  kidOf: (value: string) => string | null,
): Set<string | null> {
  const kids = new Set<string | null>();
  mapSecrets(kind, record, (v) => {
    kids.add(kidOf(v));
    return v;
  });
  return kids;
}

export interface Forgotten<T> {
  record: T;
  /** What was done, for the operator: 'deactivated', 'new verification secret', 'new path token'. */
  actions: string[];
}

/**
 * A record from the bucket with every value sealed under the lost key `kid` replaced so that it fails
 * closed, the others opened: a destination loses the token or signing secrets and is deactivated (no
 * delivery goes out without them); a source gets a verification secret nobody knows (every request
 * is refused until a new one is set, and providers retry meanwhile) and, if its path token was lost,
 * a new one. The replacement secret has the Standard Webhooks form, which every provider's verifier
 * takes as a well-formed secret, so requests are refused as bad signatures rather than as errors.
 */
export function forgetSecrets<T>(keyring: Keyring, kind: ConfigKind, id: string, record: T, kid: string): Forgotten<T> {
  const lost = (v: string): boolean => sealedKid(v) === kid;
  const open = (v: string, field: string): string => keyring.open(v, sealingContext(kind, id, field));
  if (kind === 'destination') {
    const d = record as DestinationRecord;
    const tokenLost = typeof d.auth_token === 'string' && lost(d.auth_token);
    const kept = (d.signing_secrets ?? []).filter((s) => !lost(s.secret));
    const any = tokenLost || kept.length !== (d.signing_secrets ?? []).length;
    const out: DestinationRecord = {
      ...d,
      auth_token: typeof d.auth_token === 'string' && !tokenLost ? open(d.auth_token, 'auth_token') : null,
      signing_secrets: kept.map((s) => ({ ...s, secret: open(s.secret, 'signing_secrets') })),
      active: any ? false : d.active,
    };
    return { record: out as T, actions: any ? ['deactivated'] : [] };
  }
  if (kind === 'source') {
    const s = record as SourceRecord;
    const vc = s.verification_config;
    const actions: string[] = [];
    const tokenLost = lost(s.path_token);
    if (tokenLost) actions.push('new path token');
    const secretLost = vc !== null && typeof vc.secret === 'string' && lost(vc.secret);
    if (secretLost) actions.push('new verification secret');
    const out: SourceRecord = {
      ...s,
      path_token: tokenLost ? `src_${randomBytes(24).toString('base64url')}` : open(s.path_token, 'path_token'),
      verification_config:
        vc && typeof vc.secret === 'string'
          ? {
              ...vc,
              secret: secretLost
                ? `whsec_${randomBytes(32).toString('base64')}`
                : open(vc.secret, 'verification_config.secret'),
            }
          : vc,
    };
    return { record: out as T, actions };
  }
  if (kind === 'sso') {
    // Without its client secret the provider refuses the code exchange: turn sign-on off until an admin sets a new one.
    const o = record as SsoRecord;
    if (!lost(o.client_secret))
      return { record: { ...o, client_secret: open(o.client_secret, 'client_secret') } as T, actions: [] };
    return { record: { ...o, client_secret: '', enabled: false } as T, actions: ['disabled'] };
  }
  return { record, actions: [] };
}
