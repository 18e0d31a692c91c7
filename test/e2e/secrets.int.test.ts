// Secrets at rest, as an operator meets them: the whole gateway on sealed secrets still verifies
// ingest, authenticates and signs deliveries; `hookstream secrets rotate-key` moves every secret to
// a new key, after which the old one can go; the embedded default makes its own key file once.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { Webhook } from 'standardwebhooks';
import { connectBroker, ensureTopology } from '@hookstream/broker';
import { Keyring, decodeKey, keyId, openCatalog, sealedKid } from '@hookstream/catalog';
import { testSettings } from '@hookstream/config';
import { CONFIG_BUCKET } from '@hookstream/contracts';
import { freePort } from '@hookstream/embedded';
import { createLogger } from '@hookstream/observability';
import {
  type RawBucket,
  type Receiver,
  createTestDatabase,
  openRawBucket,
  startNats,
  startReceiver,
  waitFor,
} from '@hookstream/testkit';
import { type Gateway, startGateway } from '../../apps/hookstream/src/gateway.ts';
import { client, migrated } from './harness.ts';

/** Everything nats-server wrote under its store directory, as one string. */
async function storeFiles(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push((await readFile(path.join(e.parentPath, e.name))).toString('latin1'));
  }
  return out.join('\n');
}

const MAIN = path.resolve(import.meta.dirname, '../../apps/hookstream/src/main.ts');
const newKey = () => randomBytes(32).toString('base64');
const kidOf = (key: string) => keyId(decodeKey(key) as Buffer);

/** `hookstream <args>` as an operator runs it; resolves with its exit code and output. */
function hookstream(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { LOG_LEVEL: 'warn', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function rawBucket(t: Test, natsUrl: string): Promise<RawBucket> {
  const broker = await connectBroker({ servers: natsUrl, name: 'secrets-test-raw' });
  t.teardown(() => broker.close());
  await ensureTopology(broker, { replicas: 1, duplicateWindowS: 120 });
  return openRawBucket(broker, CONFIG_BUCKET);
}

/** Every revision of every key in the bucket, as text: what nats-server's files and their backups hold. */
async function bucketText(raw: RawBucket): Promise<string> {
  return (await raw.history()).map((e) => `${e.key} ${e.value}`).join('\n');
}

async function rawJson(raw: RawBucket, key: string): Promise<any> {
  return JSON.parse((await raw.get(key)) ?? '');
}

async function gateway(
  t: Test,
  natsUrl: string,
  databaseUrl: string,
  keys: { secretsKey: string; secretsOldKeys?: string[] },
): Promise<Gateway> {
  const settings = testSettings({
    natsUrl,
    databaseUrl,
    port: 0,
    host: '127.0.0.1',
    allowPrivateDestinations: true,
    logLevel: 'silent',
    secretsOldKeys: [],
    ...keys,
  });
  const gw = await startGateway(settings, { log: createLogger('silent') });
  let stopped = false;
  const stop = gw.stop.bind(gw);
  gw.stop = async () => {
    if (stopped) return;
    stopped = true;
    await stop();
  };
  t.teardown(() => gw.stop());
  return gw;
}

/** One inbound webhook through the gateway, checked where it lands: verified at ingest, authenticated and signed on delivery. */
async function roundTrip(
  t: Test,
  gw: Gateway,
  rx: Receiver,
  s: { token: string; verification: string; authToken: string; signing: string[] },
  n: number,
) {
  const api = client(gw.url as string);
  const body = JSON.stringify({ n });
  t.equal(
    (await api.ingest(s.token, body, { 'content-type': 'application/json', 'x-sig': 'f'.repeat(64) })).status,
    401,
    'a bad signature is refused',
  );
  const sig = createHmac('sha256', s.verification).update(body).digest('hex');
  t.equal(
    (await api.ingest(s.token, body, { 'content-type': 'application/json', 'x-sig': sig })).status,
    202,
    'a good one is accepted',
  );
  const got = (await rx.waitForCount(n, 20_000))[n - 1];
  if (!got) throw new Error('no delivery');
  t.equal(got.body.toString(), body);
  t.equal(got.headers.authorization, `Bearer ${s.authToken}`, 'the destination gets its auth token');
  const headers = Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, String(v)]));
  for (const secret of s.signing)
    t.doesNotThrow(() => new Webhook(secret).verify(body, headers), 'the signature verifies with the signing secret');
}

t.test(
  'given sealed secrets, the gateway verifies, authenticates and signs; rotate-key moves them to a new key and the old one can go',
  async (t) => {
    const natsUrl = (await startNats(t)).url;
    const databaseUrl = await createTestDatabase(t);
    await migrated(databaseUrl);
    const raw = await rawBucket(t, natsUrl);
    const rx = await startReceiver(t);
    const K1 = newKey();
    const K2 = newKey();

    const first = await gateway(t, natsUrl, databaseUrl, { secretsKey: K1 });
    const acct = (await client(first.url as string).call('POST', '/v1/accounts', { name: 'sealed' })).json.data;
    const api = client(first.url as string, acct.api_key);
    const verification = `verify-${randomBytes(12).toString('hex')}`;
    const authToken = `auth-${randomBytes(12).toString('hex')}`;
    const src = (
      await api.call('POST', '/v1/sources', {
        name: 'src',
        verification_config: { provider: 'hmac', secret: verification, header: 'x-sig' },
      })
    ).json.data;
    const dst = (
      await api.call('POST', '/v1/destinations', { name: 'dst', url: `${rx.url}/in`, auth_token: authToken })
    ).json.data;
    t.equal((await api.call('POST', '/v1/routes', { source_id: src.id, destination_id: dst.id })).status, 201);
    const rotated = await api.call('POST', `/v1/destinations/${dst.id}/rotate-secret`, { overlap_s: 3600 });
    t.equal(rotated.status, 200);
    const signing = [dst.signing_secret as string, rotated.json.data.signing_secret as string];
    const secrets = { token: src.path_token as string, verification, authToken, signing };

    const storedDst = await rawJson(raw, `destination.${dst.id}`);
    const storedSrc = await rawJson(raw, `source.${src.id}`);
    t.equal(
      sealedKid(storedDst.auth_token),
      kidOf(K1),
      'the auth token, read raw from the bucket, is ciphertext naming the key id',
    );
    t.same(
      storedDst.signing_secrets.map((x: { secret: string }) => sealedKid(x.secret)),
      [kidOf(K1), kidOf(K1)],
      'so are the signing secret and the previous one kept for the overlap',
    );
    t.equal(sealedKid(storedSrc.verification_config.secret), kidOf(K1), 'and the source verification secret');
    let text = await bucketText(raw);
    for (const secret of [verification, authToken, ...signing, src.path_token])
      t.notOk(text.includes(secret), 'no secret in plain text in any revision in the bucket');
    await roundTrip(t, first, rx, secrets, 1);
    await first.stop();

    const rotate = await hookstream(['secrets', 'rotate-key'], {
      NATS_URL: natsUrl,
      SECRETS_KEY: K2,
      SECRETS_OLD_KEYS: K1,
    });
    t.equal(rotate.code, 0, rotate.stderr);
    t.match(rotate.stdout, `current key: ${kidOf(K2)}`);
    t.match(rotate.stdout, `before, by key: ${kidOf(K1)}: 2`);
    t.match(rotate.stdout, `no secret needs key(s) ${kidOf(K1)} any more`);
    text = await bucketText(raw);
    t.notOk(text.includes(`enc:v1:${kidOf(K1)}:`), 'nothing under the old key is left in the bucket');
    t.equal(
      sealedKid((await rawJson(raw, `destination.${dst.id}`)).auth_token),
      kidOf(K2),
      'every secret is under the new key',
    );
    for (const secret of [verification, authToken, ...signing]) t.notOk(text.includes(secret));

    const second = await gateway(t, natsUrl, databaseUrl, { secretsKey: K2 });
    await roundTrip(t, second, rx, secrets, 2);
    await second.stop();

    const stale = await gateway(t, natsUrl, databaseUrl, { secretsKey: K1 }).catch((e: unknown) => e);
    t.ok(stale instanceof Error, 'a gateway with only the old key refuses to start');
    t.match((stale as Error).message, `key id ${kidOf(K2)}`, 'naming the key it lacks');

    // Say K2 was lost: forget-key makes its records fail closed, and the owner sets new secrets.
    const forget = await hookstream(['secrets', 'forget-key', kidOf(K2)], { NATS_URL: natsUrl, SECRETS_KEY: K1 });
    t.equal(forget.code, 0, forget.stderr);
    t.match(forget.stdout, `destination ${dst.id}: deactivated`);
    t.match(forget.stdout, `source ${src.id}: new path token, new verification secret`);
    const third = await gateway(t, natsUrl, databaseUrl, { secretsKey: K1 });
    const api3 = client(third.url as string, acct.api_key);
    const body = '{"after":"forget"}';
    const oldSig = createHmac('sha256', verification).update(body).digest('hex');
    t.equal(
      (await client(third.url as string).ingest(src.path_token, body, { 'x-sig': oldSig })).status,
      404,
      'the old ingest URL is gone',
    );
    const source3 = (await api3.call('GET', `/v1/sources/${src.id}`)).json.data;
    t.equal(
      (await client(third.url as string).ingest(source3.path_token, body, { 'x-sig': oldSig })).status,
      401,
      'and nothing verifies until a new secret is set',
    );
    t.equal(
      (await api3.call('GET', `/v1/destinations/${dst.id}`)).json.data.active,
      false,
      'the destination waits, inactive',
    );
    const fresh = {
      token: source3.path_token as string,
      verification: `verify-${randomBytes(12).toString('hex')}`,
      authToken: `auth-${randomBytes(12).toString('hex')}`,
      signing: [] as string[],
    };
    t.equal(
      (
        await api3.call('PATCH', `/v1/sources/${src.id}`, {
          verification_config: { provider: 'hmac', secret: fresh.verification, header: 'x-sig' },
        })
      ).status,
      200,
    );
    t.equal(
      (await api3.call('PATCH', `/v1/destinations/${dst.id}`, { auth_token: fresh.authToken, active: true })).status,
      200,
    );
    fresh.signing.push(
      (await api3.call('POST', `/v1/destinations/${dst.id}/rotate-secret`, {})).json.data.signing_secret,
    );
    await roundTrip(t, third, rx, fresh, 3);
  },
);

t.test('given an external NATS and no key, the command refuses to start and says what to set', async (t) => {
  const natsUrl = (await startNats(t)).url;
  const r = await hookstream(['run'], {
    NATS_URL: natsUrl,
    ROLES: 'router',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
  });
  t.not(r.code, 0);
  t.match(r.stdout + r.stderr, /no secrets key is: set SECRETS_KEY/);
  const bad = await hookstream(['run'], { NATS_URL: natsUrl, SECRETS_KEY: 'not-a-key-at-all' });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /SECRETS_KEY: must be 32 bytes in base64 or hex/);
  t.notOk(bad.stderr.includes('not-a-key-at-all'), 'the value is never echoed');
  const generated = await hookstream(['secrets', 'generate-key'], {});
  t.equal(generated.code, 0);
  t.equal(decodeKey(generated.stdout)?.length, 32, 'generate-key prints a usable key');
});

t.test(
  'given a key file, rotate-key --generate --drop-old puts a new key first, seals everything under it and leaves only it',
  async (t) => {
    const natsUrl = (await startNats(t)).url;
    const dir = await mkdtemp(path.join(tmpdir(), 'hs-keyfile-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'keys');
    const K1 = newKey();
    await writeFile(file, `${K1}\n`, { mode: 0o600 });
    const broker = await connectBroker({ servers: natsUrl, name: 'secrets-test' });
    t.teardown(() => broker.close());
    await ensureTopology(broker, { replicas: 1, duplicateWindowS: 120 });
    const writer = await openCatalog(broker, { keyring: new Keyring(decodeKey(K1) as Buffer) });
    const d = {
      id: 'd1',
      account_id: 'a',
      name: 'd',
      url: 'https://example.com',
      auth_token: 'tok-secret',
      headers: {},
      signing_secrets: [],
      signature_scheme: 'standard_webhooks',
      timeout_ms: 1000,
      retry_policy: { max_attempts: 1 },
      rate_limit_per_s: null,
      max_in_flight: 1,
      active: true,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    } as const;
    await writer.put('destination', 'd1', { ...d, signing_secrets: [] });
    writer.close();

    const r = await hookstream(['secrets', 'rotate-key', '--generate', '--drop-old'], {
      NATS_URL: natsUrl,
      SECRETS_KEY_FILE: file,
    });
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, 'only the current key is loaded');
    const keys = (await readFile(file, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    t.equal(keys.length, 1, 'one key is left in the file');
    t.not(keys[0], K1, 'and it is a new one');
    t.equal((await stat(file)).mode & 0o777, 0o600);
    const raw = await rawBucket(t, natsUrl);
    t.equal(
      sealedKid((await rawJson(raw, 'destination.d1')).auth_token),
      kidOf(keys[0] as string),
      'the secret is under the new key',
    );
    const reader = await openCatalog(broker, { keyring: new Keyring(decodeKey(keys[0] as string) as Buffer) });
    t.teardown(() => reader.close());
    t.equal(reader.view.destinations.get('d1')?.auth_token, 'tok-secret');
  },
);

t.test(
  'given the embedded default, the first start creates a 0600 key file under DATA_DIR and later starts reuse it',
  async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hs-embedded-keys-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const settings = testSettings({
      natsUrl: null,
      databaseUrl: null,
      secretsKey: null,
      dataDir,
      roles: ['router'],
      embeddedNatsPort: await freePort(),
      logLevel: 'silent',
    });
    const keyFile = path.join(dataDir, 'secrets.key');
    const first = await startGateway(settings, { log: createLogger('silent'), listen: false });
    try {
      t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'created with mode 0600');
      await first.catalog.put('destination', 'd1', {
        id: 'd1',
        account_id: 'a',
        name: 'd',
        url: 'https://example.com',
        auth_token: 'embedded-secret',
        headers: {},
        signing_secrets: [],
        signature_scheme: 'standard_webhooks',
        timeout_ms: 1000,
        retry_policy: { max_attempts: 1 },
        rate_limit_per_s: null,
        max_in_flight: 1,
        active: true,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      });
      const stored = await first.catalog.kv.get('destination', 'd1');
      t.equal(
        sealedKid(stored?.record.auth_token as string),
        first.catalog.keyring.currentKid,
        'sealed under the generated key',
      );
      const files = await storeFiles(path.join(dataDir, 'nats'));
      t.ok(
        files.includes(`enc:v1:${first.catalog.keyring.currentKid}:`),
        "nats-server's own files hold the sealed value",
      );
      t.notOk(files.includes('embedded-secret'), 'and not the secret');
    } finally {
      await first.stop();
    }
    const content = await readFile(keyFile, 'utf8');
    const second = await startGateway(settings, { log: createLogger('silent'), listen: false });
    try {
      t.equal(await readFile(keyFile, 'utf8'), content, 'the second start reuses the file as it is');
      t.equal(
        second.catalog.view.destinations.get('d1')?.auth_token,
        'embedded-secret',
        'and reads what the first sealed',
      );
    } finally {
      await second.stop();
    }
  },
);

t.test(
  'given a running gateway, a change sealed under a key it lacks is counted, logged and not applied',
  async (t) => {
    const natsUrl = (await startNats(t)).url;
    const K1 = newKey();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const gw = await startGateway(testSettings({ natsUrl, roles: ['router'], secretsKey: K1, logLevel: 'error' }), {
      log: createLogger('error', 'hookstream', sink),
      listen: false,
    });
    t.teardown(() => gw.stop());
    const d = {
      id: 'd1',
      account_id: 'a',
      name: 'd',
      url: 'https://example.com',
      auth_token: 'token-v1',
      headers: {},
      signing_secrets: [],
      signature_scheme: 'standard_webhooks',
      timeout_ms: 1000,
      retry_policy: { max_attempts: 1 },
      rate_limit_per_s: null,
      max_in_flight: 1,
      active: true,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    } as const;
    await gw.catalog.put('destination', 'd1', { ...d, signing_secrets: [] });
    const broker = await connectBroker({ servers: natsUrl, name: 'other-key' });
    t.teardown(() => broker.close());
    const K2 = newKey();
    const other = await openCatalog(broker, {
      keyring: new Keyring(decodeKey(K2) as Buffer, [decodeKey(K1) as Buffer]),
    });
    t.teardown(() => other.close());
    await other.put('destination', 'd1', { ...d, signing_secrets: [], auth_token: 'token-v2' });
    const counted = async () => /hookstream_config_unopenable_total 1\b/.test(await gw.metrics.render());
    await waitFor(counted, { timeoutMs: 10_000, message: 'the change to be counted' });
    t.equal(
      gw.catalog.view.destinations.get('d1')?.auth_token,
      'token-v1',
      'the view keeps the version it could decrypt',
    );
    const logged = lines.find((l) => l.includes('does not open'));
    t.ok(logged, 'an error line says so');
    t.match(logged, `"kid":"${kidOf(K2)}"`, 'naming the key id');
    t.notOk(lines.join('').includes('token-v'), 'without the secret');
  },
);
