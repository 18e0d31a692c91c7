import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Keyring, SecretsKeyError, decodeKey, generateKey, keyId, sealedKid } from './keyring.ts';
import { openRecord, sealRecord, sealingContext } from './sealed.ts';
import type { DestinationRecord, SourceRecord } from '@hookstream/contracts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

t.test(
  'given a key, when a value is sealed, then it names the key id, differs every time and opens in its own context only',
  async (t) => {
    const ring = new Keyring(k1);
    const a = ring.seal('tok_secret', 'ctx-a');
    const b = ring.seal('tok_secret', 'ctx-a');
    t.match(
      a,
      new RegExp(`^enc:v1:${keyId(k1)}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$`),
      'enc:v1:<kid>:<iv>:<ct+tag>, base64url',
    );
    t.equal(sealedKid(a), keyId(k1));
    t.not(a, b, 'a random IV per value');
    t.notOk(a.includes('tok_secret'));
    t.equal(ring.open(a, 'ctx-a'), 'tok_secret');
    const err = t.throws(() => ring.open(a, 'ctx-b')) as SecretsKeyError;
    t.ok(err instanceof SecretsKeyError);
    t.match(err.message, /does not open/);
    t.equal(err.kid, keyId(k1));
  },
);

t.test('given an altered ciphertext, when opened, then it fails rather than return other bytes', async (t) => {
  const ring = new Keyring(k1);
  const sealed = ring.seal('whsec_abc', 'ctx');
  const parts = sealed.split(':');
  const body = Buffer.from(parts[4] as string, 'base64url');
  body[0] = (body[0] as number) ^ 1;
  parts[4] = body.toString('base64url');
  t.throws(() => ring.open(parts.join(':'), 'ctx'), SecretsKeyError);
  t.throws(() => ring.open(`enc:v1:${keyId(k1)}:short`, 'ctx'), SecretsKeyError, 'malformed');
});

t.test('given a value sealed under a key the ring lacks, when opened, then the error names that key id', async (t) => {
  const sealed = new Keyring(k2).seal('x', 'ctx');
  const err = t.throws(() => new Keyring(k1).open(sealed, 'ctx')) as SecretsKeyError;
  t.equal(err.kid, keyId(k2));
  t.match(err.message, keyId(k2));
  t.match(err.message, `loaded: ${keyId(k1)}`);
});

t.test('given a ring of a new key and an old one, then it opens both and seals under the new one', async (t) => {
  const old = new Keyring(k1).seal('v', 'ctx');
  const ring = new Keyring(k2, [k1, k2]);
  t.same(ring.kids, [keyId(k2), keyId(k1)], 'current first, duplicates once');
  t.equal(ring.open(old, 'ctx'), 'v');
  t.equal(sealedKid(ring.seal('v', 'ctx')), keyId(k2));
});

t.test('given a plain-text value (a record from before sealing), then it opens as itself', async (t) => {
  t.equal(new Keyring(k1).open('plain-token', 'ctx'), 'plain-token');
  t.equal(sealedKid('plain-token'), null);
});

t.test('keys are taken as hex, base64 or base64url of 32 bytes, and nothing else', async (t) => {
  t.same(decodeKey(k1.toString('hex')), k1);
  t.same(decodeKey(k1.toString('base64')), k1);
  t.same(decodeKey(k1.toString('base64url')), k1);
  t.same(decodeKey(` ${k1.toString('base64')}\n`), k1, 'surrounding whitespace is ignored');
  t.equal(decodeKey(generateKey())?.length, 32);
  for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'z'.repeat(64)])
    t.equal(decodeKey(bad), null, `refused: ${bad}`);
  t.equal(keyId(k1), keyId(Buffer.from(k1)), 'a key id depends on the key alone');
  t.not(keyId(k1), keyId(k2));
});

const destination: DestinationRecord = {
  id: 'd1',
  account_id: 'a1',
  name: 'd',
  url: 'https://example.com/hook',
  auth_token: 'bearer-secret',
  headers: { 'x-visible': 'shown by the API' },
  signing_secrets: [
    { secret: 'whsec_new', created_at: '2026-01-01T00:00:00Z', expires_at: null },
    { secret: 'whsec_old', created_at: '2025-01-01T00:00:00Z', expires_at: '2026-01-02T00:00:00Z' },
  ],
  signature_scheme: 'standard_webhooks',
  timeout_ms: 10_000,
  retry_policy: { max_attempts: 5 },
  rate_limit_per_s: null,
  max_in_flight: 10,
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

const source: SourceRecord = {
  id: 's1',
  account_id: 'a1',
  name: 's',
  path_token: 'src_pathtoken',
  auth_mode: 'shared_secret',
  verification_config: { provider: 'hmac', secret: 'verify-me', header: 'x-sig' },
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

t.test(
  'given a destination and a source, when sealed, then every secret is ciphertext, the rest unchanged, and it opens back',
  async (t) => {
    const ring = new Keyring(k1);
    const d = sealRecord(ring, 'destination', 'd1', destination);
    const json = JSON.stringify(d);
    for (const secret of ['bearer-secret', 'whsec_new', 'whsec_old'])
      t.notOk(json.includes(secret), `${secret} is not in the stored record`);
    t.equal(sealedKid(d.auth_token as string), keyId(k1));
    t.equal(d.signing_secrets.length, 2);
    t.equal(d.signing_secrets[1]?.expires_at, '2026-01-02T00:00:00Z', 'the previous secret keeps its overlap');
    t.same(d.headers, destination.headers);
    t.same(openRecord(ring, 'destination', 'd1', d), destination);
    const s = sealRecord(ring, 'source', 's1', source);
    t.notOk(JSON.stringify(s).includes('verify-me'));
    t.notOk(JSON.stringify(s).includes('src_pathtoken'));
    t.same(openRecord(ring, 'source', 's1', s), source);
    const none = sealRecord(ring, 'source', 's2', { ...source, verification_config: null });
    t.equal(none.verification_config, null);
    t.same(
      sealRecord(ring, 'destination', 'd2', { ...destination, auth_token: null }).auth_token,
      null,
      'no token stays none',
    );
  },
);

t.test('given a sealed secret moved into another record, or into another field, then it does not open', async (t) => {
  const ring = new Keyring(k1);
  const d1 = sealRecord(ring, 'destination', 'd1', destination);
  const d2 = sealRecord(ring, 'destination', 'd2', { ...destination, id: 'd2', auth_token: 'other' });
  const moved = { ...d2, auth_token: d1.auth_token };
  const err = t.throws(() => openRecord(ring, 'destination', 'd2', moved)) as SecretsKeyError;
  t.match(err.message, /destination d2: auth_token is sealed under key id/);
  const swapped = { ...d1, auth_token: d1.signing_secrets[0]?.secret as string };
  t.throws(
    () => openRecord(ring, 'destination', 'd1', swapped),
    SecretsKeyError,
    'a signing secret does not open as an auth token',
  );
  t.not(
    sealingContext('destination', 'd1', 'auth_token'),
    sealingContext('source', 'd1', 'auth_token'),
    'the kind is part of the context',
  );
});

t.test('given a legacy record in plain text, then it opens as it is', async (t) => {
  t.same(openRecord(new Keyring(k1), 'destination', 'd1', destination), destination);
});
