// For receivers: check that a delivery came from Hookstream, on the raw body bytes, in constant time.
// Standard Webhooks (the default scheme): webhook-id, webhook-timestamp, webhook-signature `v1,<b64> …`
// keyed with the base64 after `whsec_`. The hmac scheme: x-hookstream-signature `sha256=<hex>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The destination's signing secret; during a rotation on your side, give both. */
  secret: string | string[];
  headers: WebhookHeaders;
  /** The body exactly as received: never re-serialized JSON. */
  body: string | Uint8Array;
  /** Default 'standard_webhooks'. */
  scheme?: 'standard_webhooks' | 'hmac';
  /** Allowed clock distance in seconds for standard_webhooks; default 300. */
  toleranceS?: number;
  /** For tests: the current time in seconds. */
  nowS?: number;
}

export interface VerifiedWebhook {
  /** webhook-id: the delivery id, the same on every retry of one delivery (dedupe on it). */
  id: string | null;
  timestamp: number | null;
  eventId: string | null;
  deliveryId: string | null;
  eventType: string | null;
  attempt: number | null;
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

const PREFIX = 'whsec_';

function header(h: WebhookHeaders, name: string): string | null {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name);
  const rec = h as Record<string, string | string[] | undefined>;
  const found = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = found === undefined ? undefined : rec[found];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function keyOf(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new WebhookVerificationError('the secret is not whsec_<base64>');
  return Buffer.from(b64, 'base64');
}

/**
 * Throws WebhookVerificationError unless one of the signatures matches one of the secrets (and, for
 * standard_webhooks, the timestamp is within tolerance). Returns the delivery's ids for deduplication.
 */
export function verifyWebhook(o: VerifyWebhookOptions): VerifiedWebhook {
  const secrets = (Array.isArray(o.secret) ? o.secret : [o.secret]).filter((s) => s.length > 0);
  if (secrets.length === 0) throw new WebhookVerificationError('no secret given');
  const body =
    typeof o.body === 'string'
      ? Buffer.from(o.body, 'utf8')
      : Buffer.from(o.body.buffer, o.body.byteOffset, o.body.byteLength);
  const attempt = Number(header(o.headers, 'x-hookstream-attempt'));
  const ids = {
    eventId: header(o.headers, 'x-hookstream-event-id'),
    deliveryId: header(o.headers, 'x-hookstream-delivery-id'),
    eventType: header(o.headers, 'x-event-type'),
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : null,
  };

  if ((o.scheme ?? 'standard_webhooks') === 'hmac') {
    const given = [header(o.headers, 'x-hookstream-signature'), header(o.headers, 'x-hookstream-signature-previous')]
      .filter((v): v is string => !!v && v.startsWith('sha256='))
      .map((v) => Buffer.from(v.slice(7), 'hex'));
    if (given.length === 0) throw new WebhookVerificationError('missing x-hookstream-signature header');
    let ok = false;
    for (const s of secrets) {
      const want = createHmac('sha256', s).update(body).digest();
      for (const g of given) ok = equal(want, g) || ok;
    }
    if (!ok) throw new WebhookVerificationError('signature does not match');
    return { id: ids.deliveryId, timestamp: null, ...ids };
  }

  const id = header(o.headers, 'webhook-id');
  const ts = header(o.headers, 'webhook-timestamp');
  const sig = header(o.headers, 'webhook-signature');
  if (!id || !ts || !sig)
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(ts)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const timestamp = Number(ts);
  const now = o.nowS ?? Math.floor(Date.now() / 1000);
  const tolerance = o.toleranceS ?? 300;
  if (Math.abs(now - timestamp) > tolerance)
    throw new WebhookVerificationError(`webhook-timestamp is outside the ${tolerance} s tolerance`);
  const given = sig
    .split(' ')
    .filter((p) => p.startsWith('v1,'))
    .map((p) => Buffer.from(p.slice(3), 'base64'));
  if (given.length === 0) throw new WebhookVerificationError('no v1 signature in webhook-signature');
  let ok = false;
  for (const s of secrets) {
    const want = createHmac('sha256', keyOf(s)).update(`${id}.${ts}.`).update(body).digest();
    // No early exit: which secret or signature matched stays out of the timing.
    for (const g of given) ok = equal(want, g) || ok;
  }
  if (!ok) throw new WebhookVerificationError('signature does not match');
  return { id, timestamp, ...ids };
}
