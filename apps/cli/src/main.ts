#!/usr/bin/env node
// hookstream-cli: reads its settings from the environment, runs one command, exits with its code.
import { enableCompileCache } from 'node:module';

// Stripping the types of every module dominates a short command's start-up; with the compile
// cache (in the OS temp dir) a repeated command starts several times faster. So: cache first,
// then load the rest.
enableCompileCache?.();
const { run } = await import('./cli.ts');

// The CLI is a user's tool, not a service: its settings are these variables, read here only.
// eslint-disable-next-line no-restricted-properties -- the CLI's settings (above)
const env = process.env;
const settings = {
  url: env.HOOKSTREAM_URL,
  apiKey: env.HOOKSTREAM_API_KEY,
  operatorToken: env.HOOKSTREAM_OPERATOR_TOKEN,
};

const ctl = new AbortController();
process.once('SIGINT', () => ctl.abort());
process.once('SIGTERM', () => ctl.abort());

run(
  process.argv.slice(2),
  settings,
  { stdout: process.stdout, stderr: process.stderr, stderrIsTty: Boolean(process.stderr.isTTY) },
  ctl.signal,
).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
