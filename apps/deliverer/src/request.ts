// The HTTP request of one attempt: the original bytes and the headers documented in docs/delivery.md.
import { DELIVERY_HEADERS, type DeliveryMeta, type DestinationRecord, type EventMeta } from '@hookstream/contracts';
import { signOutbound } from '@hookstream/signing';

export interface AttemptRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** Secrets that may still sign at `nowMs`, newest first (two only during a rotation overlap). */
export function liveSecrets(d: DestinationRecord, nowMs: number): string[] {
  return d.signing_secrets
    .filter((s) => s.expires_at === null || Date.parse(s.expires_at) > nowMs)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .map((s) => s.secret);
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
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const headers: Record<string, string> = {};
  if (event.content_type !== null) headers['content-type'] = event.content_type;
  for (const [k, v] of Object.entries(d.headers ?? {})) headers[k.toLowerCase()] = v;
  if (event.event_type !== null) headers[DELIVERY_HEADERS.eventType] = event.event_type;
  headers[DELIVERY_HEADERS.eventId] = event.event_id;
  headers[DELIVERY_HEADERS.deliveryId] = delivery.delivery_id;
  headers[DELIVERY_HEADERS.attempt] = String(attempt);
  if (d.auth_token) headers['authorization'] = `Bearer ${d.auth_token}`;
  const secrets = liveSecrets(d, nowMs);
  if (secrets.length > 0) {
    const signed = signOutbound({
      scheme: d.signature_scheme,
      secrets,
      // The delivery id: the same on every attempt, so a receiver can dedupe retries by webhook-id.
      msgId: delivery.delivery_id,
      timestampSec: Math.floor(nowMs / 1000),
      body,
    });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
  }
  return { headers, body };
}
