// The one SDK client of the console: cookie mode, same origin. Screens call it through TanStack Query.
import { Hookstream } from '@hookstream/sdk';

export const client = new Hookstream({ baseUrl: '', session: true });

export type StatsRange = '1h' | '24h' | '7d';
export const RANGES: StatsRange[] = ['1h', '24h', '7d'];

/** The message of an SDK error (the API's own words), or of anything else thrown. */
export function messageOf(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) return String(err.message);
  return String(err);
}

/** The status code an SDK error carries, if any. */
export function statusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'status' in err) return Number(err.status);
  return undefined;
}

export const SESSION_KEY = ['console-session'] as const;

/** Drops empty filter values so they are neither sent nor part of a query key. */
export function compact<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out[k] = v;
  return out as Partial<T>;
}
