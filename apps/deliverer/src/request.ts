// The HTTP request of one attempt: the original bytes and the headers documented in docs/delivery.md.
import { DELIVERY_HEADERS, type DeliveryMeta, type DestinationRecord, type EventMeta } from '@hookstream/contracts';
import { signOutbound } from '@hookstream/signing';

export interface AttemptRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** What every attempt to one version of a destination shares, worked out once. */
interface Prepared {
  /** Custom headers, names lower-cased. */
  headers: Array<[string, string]>;
  authorization: string | null;
  /** Signing secrets newest first, with their expiry (ms; null: none). */
  secrets: Array<{ secret: string; expiresMs: number | null }>;
}

// A change to a destination replaces its record (the config view never edits one in place), so a
// record's prepared form holds as long as the record is in use, and goes with it.
const preparedOf = new WeakMap<DestinationRecord, Prepared>();

function prepare(d: DestinationRecord): Prepared {
  let p = preparedOf.get(d);
  if (p === undefined) {
    p = {
      headers: Object.entries(d.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      authorization: d.auth_token ? `Bearer ${d.auth_token}` : null,
      secrets: [...d.signing_secrets]
        .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
        .map((s) => ({ secret: s.secret, expiresMs: s.expires_at === null ? null : Date.parse(s.expires_at) })),
    };
    preparedOf.set(d, p);
  }
  return p;
}

/** Secrets that may still sign at `nowMs`, newest first (two only during a rotation overlap). */
export function liveSecrets(d: DestinationRecord, nowMs: number): string[] {
  const live: string[] = [];
  for (const s of prepare(d).secrets) if (s.expiresMs === null || s.expiresMs > nowMs) live.push(s.secret);
  return live;
}

/**
 * Header names are lower-cased so that a destination's custom header cannot shadow ours under
 * another casing: custom headers come first, then Hookstream's ids, auth and signature win.
 * Throws only when signing fails (a stored secret the scheme cannot use).
 */
export function buildRequest(
  d: DestinationRecord,
  event: EventMeta,
  delivery: DeliveryMeta,
  attempt: number,
  data: Uint8Array,
  nowMs: number,
): AttemptRequest {
  const p = prepare(d);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const headers: Record<string, string> = {};
  if (event.content_type !== null) headers['content-type'] = event.content_type;
  for (const [k, v] of p.headers) headers[k] = v;
  if (event.event_type !== null) headers[DELIVERY_HEADERS.eventType] = event.event_type;
  headers[DELIVERY_HEADERS.eventId] = event.event_id;
  headers[DELIVERY_HEADERS.deliveryId] = delivery.delivery_id;
  headers[DELIVERY_HEADERS.attempt] = String(attempt);
  if (p.authorization !== null) headers['authorization'] = p.authorization;
  const secrets = liveSecrets(d, nowMs);
  if (secrets.length > 0) {
    const signed = signOutbound({
      scheme: d.signature_scheme,
      secrets,
      // The delivery id: the same on every attempt, so a receiver can dedupe retries by webhook-id.
      msgId: delivery.delivery_id,
      timestampSec: Math.floor(nowMs / 1000),
      body,
      owner: d,
    });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
  }
  return { headers, body };
}
