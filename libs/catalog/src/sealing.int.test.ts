// Secrets at rest in the config bucket, against a real nats-server: what the bucket holds, what the
// view holds, a ciphertext moved to another record, a legacy plain-text record, and a key rotation.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { type Broker, connectBroker, ensureTopology, openConfigKv } from '@hookstream/broker';
import { CONFIG_BUCKET, type DestinationRecord, type SourceRecord } from '@hookstream/contracts';
import { type RawBucket, openRawBucket, startNats, waitFor } from '@hookstream/testkit';
import { openCatalog } from './catalog.ts';
import { Keyring, SecretsKeyError, keyId, sealedKid } from './keyring.ts';
import { forgetKey, resealAll } from './reseal.ts';
import { sealRecord } from './sealed.ts';

const K1 = randomBytes(32);
const K2 = randomBytes(32);

async function bucket(t: Test): Promise<{ broker: Broker; raw: RawBucket }> {
  const nats = await startNats(t);
  const broker = await connectBroker({ servers: nats.url, name: 'sealing-test' });
  t.teardown(() => broker.close());
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 120 });
  return { broker, raw: await openRawBucket(broker, CONFIG_BUCKET) };
}

async function catalogOn(
  t: Test,
  broker: Broker,
  keyring: Keyring,
  onUnopenable?: (err: SecretsKeyError, id: string) => void,
) {
  const c = await openCatalog(broker, {
    keyring,
    readyTimeoutMs: 10_000,
    ...(onUnopenable ? { onUnopenable: (err, _k, id) => onUnopenable(err, id) } : {}),
  });
  t.teardown(() => c.close());
  return c;
}

async function rawRecord<T>(raw: RawBucket, key: string): Promise<T> {
  const value = await raw.get(key);
  if (value === null) throw new Error(`${key} is not in the bucket`);
  return JSON.parse(value) as T;
}

/** Every message the bucket's stream still holds, every revision of every key, as text. */
async function everything(raw: RawBucket): Promise<string> {
  return (await raw.history()).map((e) => `${e.key} ${e.operation} ${e.value}`).join('\n');
}

function destination(id: string, over: Partial<DestinationRecord> = {}): DestinationRecord {
  const at = new Date().toISOString();
  return {
    id,
    account_id: 'acc',
    name: id,
    url: 'https://example.com/hook',
    auth_token: `auth-${id}-${randomBytes(8).toString('hex')}`,
    headers: {},
    signing_secrets: [
      { secret: `whsec_${randomBytes(24).toString('base64')}`, created_at: at, expires_at: null },
      {
        secret: `whsec_${randomBytes(24).toString('base64')}`,
        created_at: at,
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      },
    ],
    signature_scheme: 'standard_webhooks',
    timeout_ms: 5_000,
    retry_policy: { max_attempts: 3 },
    rate_limit_per_s: null,
    max_in_flight: 10,
    active: true,
    created_at: at,
    updated_at: at,
    ...over,
  };
}

function source(id: string): SourceRecord {
  const at = new Date().toISOString();
  return {
    id,
    account_id: 'acc',
    name: id,
    path_token: `src_${randomBytes(16).toString('hex')}`,
    auth_mode: 'shared_secret',
    verification_config: { provider: 'hmac', secret: `verify-${randomBytes(8).toString('hex')}`, header: 'x-sig' },
    active: true,
    created_at: at,
    updated_at: at,
  };
}

/** The current value of every key, as text. */
async function everythingLatest(raw: RawBucket): Promise<string> {
  const out: string[] = [];
  for (const key of await raw.keys()) out.push((await raw.get(key)) ?? '');
  return out.join('\n');
}

const secretsOf = (d: DestinationRecord, s: SourceRecord) => [
  d.auth_token as string,
  ...d.signing_secrets.map((x) => x.secret),
  s.path_token,
  s.verification_config?.secret as string,
];

t.test(
  'given secrets written through the catalog, then the bucket holds ciphertext naming the key id, and every view the plain text',
  async (t) => {
    const { broker, raw } = await bucket(t);
    const catalog = await catalogOn(t, broker, new Keyring(K1));
    const d = destination('d1');
    const s = source('s1');
    await catalog.put('destination', d.id, d);
    await catalog.put('source', s.id, s);
    const stored = await rawRecord<DestinationRecord>(raw, 'destination.d1');
    t.not(stored.auth_token, d.auth_token, 'the auth token is not stored as it is');
    t.equal(sealedKid(stored.auth_token as string), keyId(K1), 'it names the key id');
    t.same(
      stored.signing_secrets.map((x) => sealedKid(x.secret)),
      [keyId(K1), keyId(K1)],
      'both signing secrets of the rotation overlap are sealed',
    );
    t.equal(stored.signing_secrets[1]?.expires_at, d.signing_secrets[1]?.expires_at);
    const storedSource = await rawRecord<SourceRecord>(raw, 'source.s1');
    t.equal(
      sealedKid(storedSource.verification_config?.secret as string),
      keyId(K1),
      'the source verification secret is sealed',
    );
    t.equal(sealedKid(storedSource.path_token), keyId(K1), 'so is the ingest path token');
    const all = await everything(raw);
    for (const secret of secretsOf(d, s)) t.notOk(all.includes(secret), 'no plain-text secret anywhere in the bucket');
    t.same(catalog.view.destinations.get('d1'), d, 'the view holds the plain text');
    t.equal(catalog.view.sourceForToken(s.path_token)?.id, 's1', 'a source is still found by its path token');
    const other = await catalogOn(t, broker, new Keyring(K1));
    t.same(other.view.destinations.get('d1'), d, 'another process with the key reads it back');
    t.same(other.view.sources.get('s1'), s);
  },
);

t.test(
  'given a ciphertext copied into another record, then a running view keeps what it had and a starting one refuses, naming the key id',
  async (t) => {
    const { broker, raw } = await bucket(t);
    const unopenable: Array<{ id: string; kid: string | null }> = [];
    const catalog = await catalogOn(t, broker, new Keyring(K1), (err, id) => unopenable.push({ id, kid: err.kid }));
    const d1 = destination('d1');
    const d2 = destination('d2');
    await catalog.put('destination', d1.id, d1);
    await catalog.put('destination', d2.id, d2);
    const stolen = (await rawRecord<DestinationRecord>(raw, 'destination.d1')).auth_token;
    const target = await rawRecord<DestinationRecord>(raw, 'destination.d2');
    await raw.put('destination.d2', JSON.stringify({ ...target, auth_token: stolen }));
    await waitFor(async () => unopenable.length > 0, { timeoutMs: 10_000, message: 'the running view to hear of it' });
    t.same(unopenable, [{ id: 'd2', kid: keyId(K1) }]);
    t.equal(
      catalog.view.destinations.get('d2')?.auth_token,
      d2.auth_token,
      "the view keeps d2's own token, never d1's",
    );
    const overwrite = await catalog.put('destination', 'd2', d2).catch((e: unknown) => e);
    t.ok(
      overwrite instanceof SecretsKeyError,
      'and this process refuses to write its older version over the newer one',
    );
    t.match((overwrite as Error).message, /not overwriting it/);
    t.equal((await rawRecord<DestinationRecord>(raw, 'destination.d2')).auth_token, stolen, 'the bucket is unchanged');
    await catalog.put('destination', 'd1', { ...d1, name: 'other records are written as before' });
    const err = await openCatalog(broker, { keyring: new Keyring(K1), readyTimeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    t.ok(err instanceof SecretsKeyError, 'a process starting now refuses to');
    t.match((err as Error).message, `key id ${keyId(K1)}`);
    t.match((err as Error).message, /destination d2: auth_token .* does not open/);
    t.notOk((err as Error).message.includes(d1.auth_token as string));
  },
);

t.test(
  'given a record sealed under a key the process lacks, then it refuses to start, naming that key id',
  async (t) => {
    const { broker } = await bucket(t);
    const writer = await catalogOn(t, broker, new Keyring(K2));
    await writer.put('destination', 'd1', destination('d1'));
    const err = await openCatalog(broker, { keyring: new Keyring(K1), readyTimeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    t.ok(err instanceof SecretsKeyError);
    t.equal((err as SecretsKeyError).kid, keyId(K2));
    t.match((err as Error).message, `key id ${keyId(K2)}`);
    t.match((err as Error).message, /SECRETS_KEY, SECRETS_OLD_KEYS or the key file/);
  },
);

t.test('given a legacy record in plain text, then it reads as before and is sealed on its next write', async (t) => {
  const { broker, raw } = await bucket(t);
  const d = destination('legacy');
  await raw.put('destination.legacy', JSON.stringify(d));
  const catalog = await catalogOn(t, broker, new Keyring(K1));
  t.same(catalog.view.destinations.get('legacy'), d, 'read as plain text');
  await catalog.put('destination', d.id, { ...d, name: 'renamed' });
  const stored = await rawRecord<DestinationRecord>(raw, 'destination.legacy');
  t.equal(sealedKid(stored.auth_token as string), keyId(K1), 'sealed by the write');
  t.equal(catalog.view.destinations.get('legacy')?.auth_token, d.auth_token);
});

t.test(
  'given secrets under an old key and in plain text, when every one is sealed again, then all are under the new key, no older copy stays, and the old key can go',
  async (t) => {
    const { broker, raw } = await bucket(t);
    const old = await catalogOn(t, broker, new Keyring(K1));
    const d = destination('d1');
    const s = source('s1');
    await old.put('destination', d.id, d);
    await old.put('source', s.id, s);
    await old.put('destination', d.id, { ...d, name: 'second revision' });
    const legacy = destination('legacy');
    await raw.put('destination.legacy', JSON.stringify(legacy));
    await old.put('destination', 'gone', destination('gone'));
    await old.remove('destination', 'gone');
    const both = new Keyring(K2, [K1]);
    const watching = await catalogOn(t, broker, both);
    const kv = await openConfigKv(broker);

    const missing = await resealAll(kv, new Keyring(K2)).catch((e: unknown) => e);
    t.ok(missing instanceof SecretsKeyError, 'without the old key loaded it refuses');
    t.match((missing as Error).message, `key id ${keyId(K1)}`);
    t.match((missing as Error).message, /nothing was changed/);
    t.equal(
      sealedKid((await rawRecord<DestinationRecord>(raw, 'destination.d1')).auth_token as string),
      keyId(K1),
      'and nothing was changed',
    );

    const report = await resealAll(kv, both);
    t.equal(report.withSecrets, 3);
    t.equal(report.resealed, 3);
    t.same(report.before, { [keyId(K1)]: 2, plaintext: 1 });
    t.equal(report.remaining, 0);
    t.ok(report.purged >= 3, 'older revisions were dropped');
    const all = await everything(raw);
    t.notOk(all.includes(`enc:v1:${keyId(K1)}:`), 'no value under the old key is left in the bucket, in any revision');
    for (const secret of [
      ...secretsOf(d, s),
      legacy.auth_token as string,
      ...legacy.signing_secrets.map((x) => x.secret),
    ])
      t.notOk(all.includes(secret), 'nor in plain text');
    t.notOk(all.includes('destination.gone PUT'), "a deleted record's values are gone too");
    for (const key of ['destination.d1', 'destination.legacy', 'source.s1']) {
      const stored = await rawRecord<DestinationRecord & SourceRecord>(raw, key);
      const kid = sealedKid(stored.auth_token ?? stored.path_token);
      t.equal(kid, keyId(K2), `${key} is under the new key`);
    }
    t.same(
      watching.view.destinations.get('d1'),
      { ...d, name: 'second revision' },
      'a running view with both keys reads the same values',
    );
    t.same(watching.view.destinations.get('legacy'), legacy);

    const newOnly = await catalogOn(t, broker, new Keyring(K2));
    t.same(newOnly.view.sources.get('s1'), s, 'the old key can be dropped');
    const oldOnly = await openCatalog(broker, { keyring: new Keyring(K1), readyTimeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    t.match(
      (oldOnly as Error).message,
      `key id ${keyId(K2)}`,
      'and a process with only the old key says which key it lacks',
    );

    const again = await resealAll(kv, both);
    t.equal(again.resealed, 0, 'a second run has nothing to do');
    t.same(again.before, { [keyId(K2)]: 3 });
  },
);

t.test(
  'given a lost key, when it is forgotten, then its records fail closed, other secrets stay, and processes start again',
  async (t) => {
    const { broker, raw } = await bucket(t);
    const lostWriter = await catalogOn(t, broker, new Keyring(K1));
    const dA = destination('dA');
    const sA = source('sA');
    await lostWriter.put('destination', dA.id, dA);
    await lostWriter.put('source', sA.id, sA);
    lostWriter.close();
    const keeper = await openCatalog(broker, { keyring: new Keyring(K2, [K1]), readyTimeoutMs: 10_000 });
    const dB = destination('dB');
    const dM = destination('dM');
    await keeper.put('destination', dB.id, dB);
    await keeper.put('destination', dM.id, dM);
    keeper.close();
    // dM: its auth token under the kept key, its signing secrets under the lost one.
    const mixed = await rawRecord<DestinationRecord>(raw, 'destination.dM');
    const underLost = sealRecord(new Keyring(K1), 'destination', 'dM', dM);
    await raw.put('destination.dM', JSON.stringify({ ...mixed, signing_secrets: underLost.signing_secrets }));

    const kv = await openConfigKv(broker);
    const loaded = await forgetKey(kv, new Keyring(K2, [K1]), keyId(K1)).catch((e: unknown) => e);
    t.match((loaded as Error).message, /is loaded, so it is not lost/, 'a key that is loaded is not forgotten');

    const report = await forgetKey(kv, new Keyring(K2), keyId(K1));
    t.same(report.changed, {
      'destination dA': ['deactivated'],
      'destination dM': ['deactivated'],
      'source sA': ['new path token', 'new verification secret'],
    });
    t.notOk((await everythingLatest(raw)).includes(`enc:v1:${keyId(K1)}:`), 'no current value is under the lost key');

    const after = await catalogOn(t, broker, new Keyring(K2));
    const a = after.view.destinations.get('dA');
    t.equal(a?.active, false, 'a destination that lost its secrets takes no deliveries');
    t.equal(a?.auth_token, null);
    t.same(a?.signing_secrets, []);
    const m = after.view.destinations.get('dM');
    t.equal(m?.auth_token, dM.auth_token, 'a secret under the kept key stays');
    t.same(m?.signing_secrets, []);
    t.equal(m?.active, false);
    t.same(after.view.destinations.get('dB'), dB, 'a record with nothing under the lost key is untouched');
    const s = after.view.sources.get('sA');
    t.match(s?.path_token, /^src_/);
    t.not(s?.path_token, sA.path_token, 'a lost path token is replaced');
    t.not(
      s?.verification_config?.secret,
      sA.verification_config?.secret,
      'a lost verification secret is replaced by one nobody knows',
    );
    t.equal(s?.verification_config?.provider, 'hmac');
    t.equal(s?.active, true, 'the source stays: requests are refused (providers retry) until a new secret is set');
  },
);
