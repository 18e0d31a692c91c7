// `make install` (the first step of `make run`) is one line when npm ci succeeds, however much npm
// says, and shows npm's whole output when it fails. Run against a stand-in npm on PATH, in a copy of
// the Makefile, so the check costs no install.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function project(t: Test, npm: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-make-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await copyFile(path.join(ROOT, 'Makefile'), path.join(dir, 'Makefile'));
  await writeFile(path.join(dir, 'package.json'), '{}\n');
  await writeFile(path.join(dir, 'package-lock.json'), '{}\n');
  await writeFile(path.join(dir, 'npm'), `#!/bin/sh\necho "$@" > "${dir}/npm-args"\n${npm}\n`);
  await chmod(path.join(dir, 'npm'), 0o755);
  return dir;
}

function make(dir: string, target: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: `${dir}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/', TMPDIR: dir };
    execFile('make', ['-s', '-C', dir, target], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('a successful install prints one line, whatever npm warned', async (t) => {
  const dir = await project(
    t,
    [
      'echo "npm warn EBADENGINE Unsupported engine {" >&2',
      'echo "npm warn EBADENGINE   required: { node: \'>=22.19.0\' }" >&2',
      'echo "added 312 packages in 9s"',
      'mkdir -p node_modules',
    ].join('\n'),
  );
  const r = await make(dir, 'install');
  t.equal(r.code, 0);
  t.equal(r.stdout, 'Installing dependencies (npm ci; output shown only if it fails)...\n');
  t.equal(r.stderr, '', 'no warnings shown');
  t.equal(
    (await readFile(path.join(dir, 'npm-args'), 'utf8')).trim(),
    'ci --no-audit --no-fund',
    'the same npm ci as before',
  );
  t.ok(existsSync(path.join(dir, 'node_modules/.package-lock.json')), 'marked installed: the next make run skips it');
  t.same(
    (await readdir(dir)).filter((f) => f.startsWith('hookstream-npm-ci.')),
    [],
    'no log left behind',
  );

  const again = await make(dir, 'install');
  t.equal(again.stdout, '', 'nothing to do the second time');
});

t.test('a failed install shows all of npm output and fails', async (t) => {
  const dir = await project(
    t,
    ['echo "npm warn EBADENGINE Unsupported engine" >&2', 'echo "npm error code ECONNREFUSED" >&2', 'exit 7'].join(
      '\n',
    ),
  );
  const r = await make(dir, 'install');
  t.not(r.code, 0);
  t.match(r.stderr, /npm warn EBADENGINE Unsupported engine\nnpm error code ECONNREFUSED\n/, 'everything npm said');
  t.match(r.stderr, /npm ci failed \(exit 7\); its output is above and in .*hookstream-npm-ci\./);
  t.notOk(
    existsSync(path.join(dir, 'node_modules/.package-lock.json')),
    'not marked installed: the next make run tries again',
  );
});
