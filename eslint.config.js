import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NATS_ONLY_IN_BROKER = [
  { group: ['@nats-io/*'], message: 'only libs/broker imports the NATS client: use its ports (broker.consumers, broker.streams, createPublisher, …)' },
  { group: ['@hookstream/broker/internal', '@hookstream/broker/src/*'], message: 'the client handles are for libs/broker and the test kit only' },
];
const NO_TEST_SUPPORT = [
  { group: ['@hookstream/testkit', '@hookstream/testkit/*', '**/libs/testkit/**', '**/test/**'], message: 'test support is for tests (*.test.ts, test/)' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'bench/results/**', 'libs/sdk/dist/**', 'apps/console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON answers loosely.
    files: ['**/*.test.ts', 'test/**/*.ts', 'apps/*/test/**/*.ts', 'libs/*/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // One rule name, two scopes: a later block's options replace an earlier one's for the same files, so
  // the production-code block repeats the NATS patterns beside its own.
  {
    // Only libs/broker speaks NATS: every other package works through its ports (the embedded server
    // and the test kit start servers and reach raw handles for tests; the bench's raw children
    // measure the bare client on purpose).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['libs/broker/**', 'libs/embedded/**', 'libs/testkit/**', 'bench/children/raw-*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: NATS_ONLY_IN_BROKER }] },
  },
  {
    // Production code never loads test support: the test kit and the apps' test folders serve tests only.
    files: ['apps/*/src/**/*.{ts,tsx}', 'libs/*/src/**/*.{ts,tsx}'],
    ignores: ['**/*.test.ts', 'libs/testkit/src/**', 'libs/broker/**', 'libs/embedded/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...NATS_ONLY_IN_BROKER, ...NO_TEST_SUPPORT] }] },
  },
  {
    files: ['libs/broker/src/**/*.ts', 'libs/embedded/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: NO_TEST_SUPPORT }] },
  },
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['libs/config/src/**', 'libs/testkit/src/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through @hookstream/config' }],
    },
  },
);
