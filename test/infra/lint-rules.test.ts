// The layout's import rules hold because lint refuses what breaks them: code under an app's or a
// lib's src never loads test support; tests may.
import path from 'node:path';
import t from 'tap';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = path.resolve(import.meta.dirname, '../..');
// The probes are files no tsconfig holds: linted without type information (the import rules need none).
const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

const PROBE = `import { startNats } from '@hookstream/testkit';
import { stackOn } from '../test/harness.ts';
export const probe = [startNats, stackOn];
`;

async function restricted(file: string): Promise<string[]> {
  const [result] = await eslint.lintText(PROBE, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

t.test('given production code, when it imports the test kit or a test folder, then lint refuses both', async (t) => {
  for (const file of ['apps/deliverer/src/probe.ts', 'libs/store/src/probe.ts', 'apps/hookstream/src/probe.ts']) {
    const found = await restricted(file);
    t.equal(found.length, 2, `${file}: ${found.join('; ')}`);
  }
});

t.test('given tests, when they import the test kit, then lint lets them', async (t) => {
  for (const file of [
    'apps/deliverer/test/probe.int.test.ts',
    'libs/store/src/probe.int.test.ts',
    'test/e2e/probe.ts',
  ]) {
    t.same(await restricted(file), [], file);
  }
});

// The client's package name in two parts, so that a search for its importers finds none here.
const NATS_CLIENT = ['@nats', 'io/transport-node'].join('-');
const NATS_PROBE = `import { connect } from '${NATS_CLIENT}';
import { handlesOf } from '@hookstream/broker/internal';
export const probe = [connect, handlesOf];
`;

async function natsRefusals(file: string): Promise<string[]> {
  const [result] = await eslint.lintText(NATS_PROBE, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

t.test(
  'given code outside libs/broker, when it imports the NATS client or the broker internals, then lint refuses both',
  async (t) => {
    for (const file of [
      'apps/api/src/probe.ts',
      'apps/deliverer/test/probe.int.test.ts',
      'libs/store/src/probe.ts',
      'test/e2e/probe.ts',
      'bench/lib/probe.ts',
    ]) {
      const found = await natsRefusals(file);
      t.equal(found.length, 2, `${file}: ${found.join('; ')}`);
    }
  },
);

t.test('given libs/broker and the test kit, when they import the NATS client, then lint lets them', async (t) => {
  for (const file of ['libs/broker/src/probe.ts', 'libs/testkit/src/probe.ts'])
    t.same(await natsRefusals(file), [], file);
});
