import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'apps/*/test/**/*.ts'],
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
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['libs/config/src/**', 'libs/testkit/src/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through @hookstream/config' }],
    },
  },
);
