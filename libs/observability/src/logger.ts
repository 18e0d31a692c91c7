// Structured logs (pino, the logger Fastify uses). Keys are fixed; secrets and bodies are never
// logged: the redaction list is a backstop, the rule is to not pass them in.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.auth_token',
  '*.signing_secret',
  '*.secret',
  '*.key',
  'body',
];

export function createLogger(level: string, name = 'hookstream', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, name, redact: { paths: REDACT, censor: '[redacted]' } }, destination as never);
}
