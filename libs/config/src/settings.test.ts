import t from 'tap';
import { loadSettings, SettingsError } from './settings.ts';

t.test('defaults', async (t) => {
  const s = loadSettings({});
  t.equal(s.port, 8080);
  t.equal(s.natsUrl, null);
  t.equal(s.databaseUrl, null);
  t.same(s.roles, ['api', 'router', 'deliverer', 'projector', 'jobs']);
  t.equal(s.allowPrivateDestinations, false);
  t.equal(s.backgroundNice, 10);
  t.ok(Object.isFrozen(s));
});

t.test('overrides', async (t) => {
  const s = loadSettings({
    PORT: '9000',
    ROLES: 'api,router',
    ALLOW_PRIVATE_DESTINATIONS: 'true',
    NATS_URL: 'nats://x:4222',
  });
  t.equal(s.port, 9000);
  t.same(s.roles, ['api', 'router']);
  t.equal(s.allowPrivateDestinations, true);
  t.equal(s.natsUrl, 'nats://x:4222');
});

t.test('every violation is reported at once', async (t) => {
  const err = t.throws(() => loadSettings({ PORT: 'abc', ROLES: 'api,nope', ACCOUNT_SIGNUP: 'token' })) as unknown;
  t.ok(err instanceof SettingsError);
  const problems = (err as SettingsError).problems.join('\n');
  t.match(problems, /PORT/);
  t.match(problems, /ROLES/);
  t.match(problems, /SIGNUP_TOKEN/);
});

t.test('BACKGROUND_NICE takes 0 to 19', async (t) => {
  t.equal(loadSettings({ BACKGROUND_NICE: '0' }).backgroundNice, 0);
  t.equal(loadSettings({ BACKGROUND_NICE: '19' }).backgroundNice, 19);
  for (const bad of ['20', '-1', 'low']) {
    const err = t.throws(() => loadSettings({ BACKGROUND_NICE: bad })) as unknown;
    t.match((err as SettingsError).problems.join('\n'), /BACKGROUND_NICE/, `${bad} is refused`);
  }
});

t.test(
  'secrets keys: 32 bytes in base64 or hex, checked without repeating them, one of SECRETS_KEY and SECRETS_KEY_FILE',
  async (t) => {
    const hex = 'ab'.repeat(32);
    const b64 = Buffer.alloc(32, 7).toString('base64');
    const s = loadSettings({
      SECRETS_KEY: hex,
      SECRETS_OLD_KEYS: `${b64}, ${Buffer.alloc(32, 9).toString('base64url')}`,
    });
    t.equal(s.secretsKey, hex);
    t.equal(s.secretsOldKeys.length, 2);
    t.equal(loadSettings({}).secretsKey, null, 'none by default');
    t.same(loadSettings({}).secretsOldKeys, []);
    t.equal(loadSettings({ SECRETS_KEY_FILE: '/etc/hookstream/keys' }).secretsKeyFile, '/etc/hookstream/keys');
    const leaked = 'my-password-is-not-a-key';
    const err = t.throws(() =>
      loadSettings({ SECRETS_KEY: leaked, SECRETS_OLD_KEYS: `${b64},short`, SECRETS_KEY_FILE: '/k' }),
    ) as SettingsError;
    const problems = err.problems.join('\n');
    t.match(problems, /SECRETS_KEY: must be 32 bytes/);
    t.match(problems, /SECRETS_OLD_KEYS: key 2 must be 32 bytes/);
    t.match(problems, /not both/);
    t.notOk(err.message.includes(leaked), 'the value is never echoed');
    t.notOk(err.message.includes('short'));
  },
);

t.test('HOST: loopback unless told otherwise', async (t) => {
  t.equal(loadSettings({}).host, '127.0.0.1', 'a laptop run is not reachable from the network');
  t.equal(loadSettings({ HOST: '0.0.0.0' }).host, '0.0.0.0');
});

t.test('logs: LOG_FORMAT auto, json or pretty; LOG_DELIVERIES off by default', async (t) => {
  const d = loadSettings({});
  t.equal(d.logFormat, 'auto');
  t.equal(d.logDeliveries, false);
  const s = loadSettings({ LOG_FORMAT: 'pretty', LOG_DELIVERIES: 'true' });
  t.equal(s.logFormat, 'pretty');
  t.equal(s.logDeliveries, true);
  t.equal(loadSettings({ LOG_FORMAT: 'json' }).logFormat, 'json');
  const err = t.throws(() => loadSettings({ LOG_FORMAT: 'text' })) as unknown;
  t.match((err as SettingsError).problems.join('\n'), /LOG_FORMAT/);
});

t.test('OPERATOR_TOKEN: unset by default, at least 16 characters', async (t) => {
  t.equal(loadSettings({}).operatorToken, null);
  t.equal(loadSettings({ OPERATOR_TOKEN: 'op-0123456789abcdef' }).operatorToken, 'op-0123456789abcdef');
  const err = t.throws(() => loadSettings({ OPERATOR_TOKEN: 'short' })) as unknown;
  t.match((err as SettingsError).problems.join('\n'), /OPERATOR_TOKEN/);
});

t.test('CUSTOM_DOMAIN_CLAIM_TTL_H: 72 hours by default, whole hours from 1', async (t) => {
  t.equal(loadSettings({}).customDomainClaimTtlH, 72);
  t.equal(loadSettings({ CUSTOM_DOMAIN_CLAIM_TTL_H: '1' }).customDomainClaimTtlH, 1);
  for (const bad of ['0', '-3', '1.5', 'week']) {
    const err = t.throws(() => loadSettings({ CUSTOM_DOMAIN_CLAIM_TTL_H: bad })) as unknown;
    t.match((err as SettingsError).problems.join('\n'), /CUSTOM_DOMAIN_CLAIM_TTL_H/, `${bad} is refused`);
  }
});

t.test('console settings: defaults, hours to milliseconds, bad values refused', async (t) => {
  const d = loadSettings({});
  t.equal(d.consoleDist, null, "null: the checkout's apps/console/dist");
  t.equal(d.consoleSessionIdleMs, 12 * 3_600_000);
  t.equal(d.consoleSignInRatePerMinute, 30);
  const s = loadSettings({
    CONSOLE_DIST: '/srv/console',
    CONSOLE_SESSION_IDLE_H: '0.5',
    CONSOLE_SIGNIN_RATE_PER_MINUTE: '5',
  });
  t.equal(s.consoleDist, '/srv/console');
  t.equal(s.consoleSessionIdleMs, 1_800_000);
  t.equal(s.consoleSignInRatePerMinute, 5);
  for (const bad of ['0', '0.0', '-1', '12h']) {
    const err = t.throws(() => loadSettings({ CONSOLE_SESSION_IDLE_H: bad })) as unknown;
    t.match((err as SettingsError).problems.join('\n'), /CONSOLE_SESSION_IDLE_H/, `${bad} is refused`);
  }
  const err = t.throws(() => loadSettings({ CONSOLE_SIGNIN_RATE_PER_MINUTE: 'many' })) as unknown;
  t.match((err as SettingsError).problems.join('\n'), /CONSOLE_SIGNIN_RATE_PER_MINUTE/);
});

t.test('PROCESSES: separate processes without ROLES, one process with it, and either when asked', async (t) => {
  t.equal(loadSettings({}).processes, 'separate', 'make run supervises the roles in processes of their own');
  t.equal(loadSettings({ ROLES: 'router' }).processes, 'single', 'a process that names its roles runs them itself');
  t.equal(loadSettings({ ROLES: 'all' }).processes, 'single');
  t.equal(loadSettings({ PROCESSES: 'single' }).processes, 'single', 'the one-process mode on request');
  t.equal(loadSettings({ ROLES: 'api,router', PROCESSES: 'separate' }).processes, 'separate');
  t.throws(() => loadSettings({ PROCESSES: 'many' }), SettingsError);
});
