import { randomBytes } from 'node:crypto';
import type { SignatureScheme } from '@hookstream/contracts';
import { hmac, STANDARD_SECRET_PREFIX, standardWebhooksKey, standardWebhooksKeyObject } from './crypto.ts';

export type { SignatureScheme };

export interface SignInput {
  scheme: SignatureScheme;
  /** Current secret first; during a rotation overlap, the previous one second. */
  secrets: string[];
  /** Stable message id (the event id), so a receiver can dedupe across retries and replays. */
  msgId: string;
  timestampSec: number;
  /** The exact bytes that will be sent. */
  body: Buffer;
  /**
   * The record the secrets belong to (the destination), replaced whenever it changes: keys derived
   * from its secrets are kept for as long as it lives, and go with it.
   */
  owner?: object;
}

export const HOOKSTREAM_SIGNATURE_HEADER = 'x-hookstream-signature';
export const HOOKSTREAM_PREVIOUS_SIGNATURE_HEADER = 'x-hookstream-signature-previous';

/**
 * Headers to add to an outbound delivery, signed with every given secret where the scheme allows it:
 *
 * - `standard_webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64> v1,<b64>` — one
 *   signature per secret; the key is the base64-decoded part after `whsec_`. Receivers accept any match,
 *   so both the old and the new secret verify during a rotation.
 * - `stripe`: `stripe-signature: t=<ts>,v1=<hex>,v1=<hex>` — one v1 per secret, keyed with the whole secret
 *   string as Stripe does.
 * - `github`: `x-hub-signature-256: sha256=<hex>` with the FIRST secret only. GitHub's format carries one
 *   signature, so there is no rotation overlap: from the rotation on, receivers must hold the new secret.
 * - `hmac`: `x-hookstream-signature: sha256=<hex>` of the body with the first secret and, when a second
 *   secret is given, `x-hookstream-signature-previous: sha256=<hex>` with it. A receiver that still holds
 *   the old secret checks the `-previous` header. This scheme carries no timestamp (no replay window);
 *   prefer standard_webhooks where the receiver can choose.
 *
 * Throws on programming or configuration errors (no secret, a standard_webhooks secret that is not
 * base64): validate secrets when they are stored, with checkSigningSecret.
 */
export function signOutbound(input: SignInput): Record<string, string> {
  const secrets = [...new Set(input.secrets)];
  if (secrets.length === 0) throw new RangeError('signOutbound needs at least one secret');
  if (secrets.some((s) => typeof s !== 'string' || s.length === 0))
    throw new RangeError('signOutbound got an empty secret');
  if (!Number.isFinite(input.timestampSec)) throw new RangeError('signOutbound needs a finite timestampSec');
  const ts = String(Math.floor(input.timestampSec));
  const first = secrets[0] as string;

  switch (input.scheme) {
    case 'standard_webhooks': {
      const signatures = secrets.map((secret) => {
        const key = standardWebhooksKeyObject(secret, input.owner);
        if (key === null) throw new RangeError('a standard_webhooks secret must be whsec_<base64>');
        return `v1,${hmac('sha256', key, [`${input.msgId}.${ts}.`, input.body]).toString('base64')}`;
      });
      return { 'webhook-id': input.msgId, 'webhook-timestamp': ts, 'webhook-signature': signatures.join(' ') };
    }
    case 'stripe': {
      const v1 = secrets.map((secret) => `v1=${hmac('sha256', secret, [`${ts}.`, input.body]).toString('hex')}`);
      return { 'stripe-signature': [`t=${ts}`, ...v1].join(',') };
    }
    case 'github':
      return { 'x-hub-signature-256': `sha256=${hmac('sha256', first, [input.body]).toString('hex')}` };
    case 'hmac': {
      const headers: Record<string, string> = {
        [HOOKSTREAM_SIGNATURE_HEADER]: `sha256=${hmac('sha256', first, [input.body]).toString('hex')}`,
      };
      const previous = secrets[1];
      if (previous !== undefined) {
        headers[HOOKSTREAM_PREVIOUS_SIGNATURE_HEADER] =
          `sha256=${hmac('sha256', previous, [input.body]).toString('hex')}`;
      }
      return headers;
    }
    default:
      throw new RangeError(`unknown signature scheme "${String((input as { scheme: unknown }).scheme)}"`);
  }
}

/** A fresh secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(): string {
  return STANDARD_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * Null when `secret` can sign with `scheme`, else why not (never echoing the secret). For API
 * validation, so that signOutbound never meets a bad secret at delivery time.
 */
export function checkSigningSecret(scheme: SignatureScheme, secret: string): string | null {
  if (secret.length === 0) return 'signing secret is empty';
  if (scheme === 'standard_webhooks') {
    const key = standardWebhooksKey(secret);
    if (key === null || key.length === 0) return 'signing secret must be whsec_ followed by base64 (standard_webhooks)';
  }
  return null;
}
