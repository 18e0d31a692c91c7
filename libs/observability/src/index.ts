export { type Logger, REDACT, createLogger } from './logger.ts';
