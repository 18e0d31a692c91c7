import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['**/*.test.ts', 'test/**/*.ts', 'apps/*/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Only libs/broker speaks NATS: every other package works through its ports (the embedded server
    // and the test kit start servers and reach raw handles for tests; the bench's raw children
    // measure the bare client on purpose). The typescript-eslint twin of no-restricted-imports, so
    // that a plain no-restricted-imports elsewhere in this file does not replace these patterns.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['libs/broker/**', 'libs/embedded/**', 'libs/testkit/**', 'bench/children/raw-*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nats-io/*'], message: 'only libs/broker imports the NATS client: use its ports (broker.consumers, broker.streams, createPublisher, …)' },
            { group: ['@hookstream/broker/internal', '@hookstream/broker/src/*'], message: 'the client handles are for libs/broker and the test kit only' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['libs/config/src/**', 'libs/testkit/src/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through @hookstream/config' }],
    },
  },
);
