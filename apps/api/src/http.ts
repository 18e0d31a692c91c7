// Response helpers: every JSON answer is {data, duration_ms} or {error, duration_ms}.
import type { FastifyReply } from 'fastify';

export function durationMs(reply: FastifyReply): number {
  return Math.round(reply.elapsedTime * 100) / 100;
}

export function ok<T>(reply: FastifyReply, data: T, status = 200) {
  return reply.code(status).send({ data, duration_ms: durationMs(reply) });
}

export function page<T>(reply: FastifyReply, data: T[], nextCursor: string | null) {
  return reply.code(200).send({ data, next_cursor: nextCursor, duration_ms: durationMs(reply) });
}

/** Cursors are opaque to clients. */
export function encodeCursor(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

export function decodeCursor(c: string | undefined): string | undefined {
  if (!c) return undefined;
  return Buffer.from(c, 'base64url').toString('utf8');
}
