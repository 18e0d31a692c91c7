import comments from '@eslint-community/eslint-plugin-eslint-comments';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NATS_ONLY_IN_BROKER = [
  {
    group: ['@nats-io/*'],
    message:
      'only libs/broker imports the NATS client: use its ports (broker.consumers, broker.streams, createPublisher, …)',
  },
  {
    group: ['@hookstream/broker/internal', '@hookstream/broker/src/*'],
    message: 'the client handles are for libs/broker and the test kit only',
  },
];
const NO_TEST_SUPPORT = [
  {
    group: ['@hookstream/testkit', '@hookstream/testkit/*', '**/libs/testkit/**', '**/test/**'],
    message: 'test support is for tests (*.test.ts, test/)',
  },
];
const looseJson = {
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'bench/results/**', 'libs/sdk/dist/**', 'apps/console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    plugins: { '@eslint-community/eslint-comments': comments },
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig that owns it: the root one, or the console's.
        projectService: { allowDefaultProject: ['eslint.config.js', 'apps/console/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // tap queues subtests itself and reports a failing one; awaiting each would only serialise them.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: ['test', 'todo'] }] },
      ],
      'no-console': 'off',
      // A rule turned off for one line says why, after `--`.
      '@eslint-community/eslint-comments/require-description': 'error',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'apps/*/test/**/*.ts', 'libs/*/test/**/*.ts'],
    rules: {
      // Tests read JSON answers loosely; a wrong shape fails the assertion that reads it.
      '@typescript-eslint/no-explicit-any': 'off',
      ...looseJson,
      '@typescript-eslint/restrict-template-expressions': 'off',
      // A subtest callback is async by habit so that adding an await never changes how tap ends it.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Reads result files of any past version; every figure passes through num() before use.
    files: ['bench/lib/report.ts'],
    rules: looseJson,
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
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...NATS_ONLY_IN_BROKER, ...NO_TEST_SUPPORT] }],
    },
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
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read settings through @hookstream/config' },
      ],
    },
  },
);
