import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { keyId } from './keyring.ts';
import { embeddedKeyFile, loadKeyring, readKeyFile, writeKeyFile } from './key-files.ts';

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const none = { secretsKey: null, secretsOldKeys: [], secretsKeyFile: null };

t.test(
  'given the embedded default (no NATS_URL, no key), when it starts twice, then it creates one 0600 key file and reuses it',
  async (t) => {
    const dir = await tmp(t);
    const dataDir = path.join(dir, 'data');
    const first = await loadKeyring({ ...none, natsUrl: null, dataDir });
    t.equal(first.file, embeddedKeyFile(dataDir));
    t.equal(first.file, path.join(dataDir, 'secrets.key'), 'under DATA_DIR, beside the nats store rather than in it');
    t.ok(first.created);
    t.equal((await stat(first.file as string)).mode & 0o777, 0o600, 'only its owner can read it');
    t.same(first.warnings, []);
    const text = await readFile(first.file as string, 'utf8');
    const second = await loadKeyring({ ...none, natsUrl: null, dataDir });
    t.notOk(second.created, 'the second start creates nothing');
    t.equal(second.keyring.currentKid, first.keyring.currentKid, 'and seals under the same key');
    t.equal(await readFile(first.file as string, 'utf8'), text, 'the file is unchanged');
  },
);

t.test('given an external NATS and no key, then loading refuses with a message that says what to set', async (t) => {
  const err = await loadKeyring({ ...none, natsUrl: 'nats://elsewhere:4222', dataDir: await tmp(t) }).catch(
    (e: Error) => e,
  );
  t.ok(err instanceof Error);
  t.match((err as Error).message, /NATS_URL is set but no secrets key is: set SECRETS_KEY .* or SECRETS_KEY_FILE/);
});

t.test(
  'given SECRETS_KEY and SECRETS_OLD_KEYS, then the first seals and every one opens, whatever NATS is',
  async (t) => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const r = await loadKeyring({
      secretsKey: a.toString('hex'),
      secretsOldKeys: [b.toString('base64')],
      secretsKeyFile: null,
      natsUrl: 'nats://x:4222',
      dataDir: '/nonexistent',
    });
    t.same(r.keyring.kids, [keyId(a), keyId(b)]);
    t.equal(r.file, null);
  },
);

t.test(
  'given a key file, then keys are read current first, comments skipped, and a file others can read is warned about',
  async (t) => {
    const dir = await tmp(t);
    const file = path.join(dir, 'keys');
    const [a, b] = [randomBytes(32), randomBytes(32)];
    await writeFile(file, `# current\n${a.toString('base64')}\n\n${b.toString('hex')}\n`, { mode: 0o644 });
    await chmod(file, 0o644);
    const r = await loadKeyring({ ...none, secretsKeyFile: file, natsUrl: 'nats://x:4222', dataDir: dir });
    t.same(r.keyring.kids, [keyId(a), keyId(b)]);
    t.match(r.warnings.join('\n'), /can be read by other users \(mode 644\)/);
    await writeKeyFile(file, [b]);
    t.equal((await stat(file)).mode & 0o777, 0o600, 'a rewritten file is 0600');
    t.same(await readKeyFile(file), [b]);
  },
);

t.test('given a broken key file, then the error names the file and line, not the content', async (t) => {
  const dir = await tmp(t);
  const file = path.join(dir, 'keys');
  await writeFile(file, `${randomBytes(32).toString('base64')}\nnot-a-key-but-secretish\n`);
  const err = await readKeyFile(file).catch((e: Error) => e);
  t.match((err as Error).message, `${file}, line 2`);
  t.notMatch((err as Error).message, /secretish/);
  await writeFile(file, '# nothing\n');
  t.match(((await readKeyFile(file).catch((e: Error) => e)) as Error).message, /holds no key/);
  t.match(((await readKeyFile(path.join(dir, 'missing')).catch((e: Error) => e)) as Error).message, /cannot be read/);
});
