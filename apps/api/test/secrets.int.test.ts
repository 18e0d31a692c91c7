// The API over sealed secrets: a record changed under a key this instance lacks is not overwritten
// with the older version it holds; the client is told why, in the error envelope.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Keyring, decodeKey, keyId, openCatalog } from '@hookstream/catalog';
import { waitFor } from '@hookstream/testkit';
import { create, signup, startApi } from './harness.ts';

t.test(
  'given a destination last written under a key this instance lacks, when it is changed here, then 503 secrets_key_missing and the bucket keeps the newer version',
  async (t) => {
    const h = await startApi(t);
    const tenant = await signup(h.app, 'acme');
    const dst = await create(h.app, tenant, '/v1/destinations', {
      name: 'd',
      url: 'https://example.com/hook',
      auth_token: 'token-v1',
    });

    const ours = decodeKey(h.settings.secretsKey as string) as Buffer;
    const theirs = randomBytes(32);
    const other = await openCatalog(h.broker, { keyring: new Keyring(theirs, [ours]) });
    t.teardown(() => other.close());
    const current = other.view.destinations.get(dst.id);
    if (!current) throw new Error('the other process does not see the destination');
    await other.put('destination', dst.id, { ...current, auth_token: 'token-v2', name: 'changed elsewhere' });
    await waitFor(async () => (await h.catalog.kv.get('destination', dst.id))?.record.name === 'changed elsewhere', {
      timeoutMs: 10_000,
      message: 'the change to be stored',
    });

    const res = await h.app.inject({
      method: 'PATCH',
      url: `/v1/destinations/${dst.id}`,
      headers: tenant.auth,
      payload: { timeout_ms: 2_000 },
    });
    t.equal(res.statusCode, 503);
    const body = res.json();
    t.equal(body.code, 'secrets_key_missing');
    t.match(body.error, `key (id ${keyId(theirs)})`);
    t.type(body.duration_ms, 'number');
    t.notOk(res.body.includes('token-v'), 'no secret in the answer');
    t.equal(other.view.destinations.get(dst.id)?.name, 'changed elsewhere', 'the newer version stays');
    t.equal(other.view.destinations.get(dst.id)?.auth_token, 'token-v2');

    const another = await create(h.app, tenant, '/v1/destinations', { name: 'e', url: 'https://example.com/other' });
    t.ok(another.id, 'records this instance can read are written as before');
  },
);
