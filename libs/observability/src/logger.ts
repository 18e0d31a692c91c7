// Structured logs (pino, the logger Fastify uses). Keys are fixed; secrets and bodies are never
// logged: the redaction list is a backstop, the rule is to not pass them in.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPrettyModule from 'pino-pretty';

// Loaded only for readable output: a role process in a container (JSON) does not carry it.
const require = createRequire(import.meta.url);
const loadPretty = () => require('pino-pretty') as typeof PinoPrettyModule;

export type { Logger };

export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers["x-operator-token"]',
  'req.headers["x-signup-token"]',
  'headers["x-operator-token"]',
  'headers["x-signup-token"]',
  '*.auth_token',
  '*.signing_secret',
  '*.secret',
  '*.key',
  'body',
];

/** How lines are written: one JSON object each (for collectors), or one readable line each (for people). */
export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT's `auto` reads the terminal: a person watching `make run` gets readable lines, while a
 * container, a supervisor or a pipe to a log collector gets JSON.
 */
export function chooseLogFormat(setting: 'auto' | LogFormat, stdoutIsTTY: boolean): LogFormat {
  if (setting !== 'auto') return setting;
  return stdoutIsTTY ? 'pretty' : 'json';
}

export function createLogger(
  level: string,
  name = 'hookstream',
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'json',
): Logger {
  const options = { level, name, redact: { paths: REDACT, censor: '[redacted]' } };
  if (format === 'json') return pino(options, destination as never);
  const { PinoPretty, isColorSupported } = loadPretty();
  const pretty = PinoPretty({
    destination: destination ?? 1,
    // Synchronous: a fatal line written just before process.exit must reach the terminal.
    sync: true,
    colorize: destination ? false : isColorSupported,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return pino(options, pretty);
}

/** The logger of a process: stdout, in the format LOG_FORMAT asks for. */
export function processLogger(settings: { logLevel: string; logFormat: 'auto' | LogFormat }, name: string): Logger {
  return createLogger(
    settings.logLevel,
    name,
    undefined,
    chooseLogFormat(settings.logFormat, process.stdout.isTTY === true),
  );
}
