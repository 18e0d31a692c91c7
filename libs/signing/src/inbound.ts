import type { VerificationConfig, VerificationProvider } from '@hookstream/contracts';
import { anyEqual, decodeBase64, decodeHex, hmac, safeEqual, standardWebhooksKeyObject } from './crypto.ts';
import type { HmacAlgorithm } from './crypto.ts';

export type { VerificationConfig };
export type Provider = VerificationProvider;

/** Request headers with lower-cased names, as Node's IncomingMessage gives them. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** `reason` names the check that failed; it never contains the secret. */
export type VerifyResult = { ok: true } | { ok: false; reason: string };

export const DEFAULT_TOLERANCE_S = 300;
export const DEFAULT_HMAC_HEADER = 'x-signature';

const OK: VerifyResult = Object.freeze({ ok: true });
const fail = (reason: string): VerifyResult => ({ ok: false, reason });
const MISMATCH = 'signature does not match';

/**
 * Verifies an inbound webhook against its provider's scheme, on the raw body bytes, in constant time.
 * A refusal is an expected outcome and comes back as data, never as an exception.
 */
export function verifyInbound(
  cfg: VerificationConfig,
  rawBody: Buffer,
  headers: HeaderBag,
  nowSec: number,
): VerifyResult {
  if (typeof cfg.secret !== 'string' || cfg.secret.length === 0) return fail('no verification secret is configured');
  switch (cfg.provider) {
    case 'stripe':
      return verifyStripe(cfg, rawBody, headers, nowSec);
    case 'github':
      return verifyGithub(cfg, rawBody, headers);
    case 'shopify':
      return verifyShopify(cfg, rawBody, headers);
    case 'standard_webhooks':
      return verifyStandardWebhooks(cfg, rawBody, headers, nowSec);
    case 'hmac':
      return verifyGenericHmac(cfg, rawBody, headers);
    default:
      return fail(`unsupported verification provider "${String((cfg as { provider: unknown }).provider)}"`);
  }
}

type HeaderRead = { ok: true; value: string } | { ok: false; reason: string };

/** One header value, trimmed; absent, empty and repeated headers are refusals with a reason. */
function readHeader(headers: HeaderBag, name: string, display: string): HeaderRead {
  const raw = headers[name.toLowerCase()];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (values.length > 1) return { ok: false, reason: `malformed signature header: ${display} was sent more than once` };
  const value = values[0]?.trim() ?? '';
  if (value === '') return { ok: false, reason: `missing ${display} header` };
  return { ok: true, value };
}

function toleranceOf(cfg: VerificationConfig): number {
  const t = cfg.tolerance_s;
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : DEFAULT_TOLERANCE_S;
}

/** Null when ts is within tolerance of now, in either direction; otherwise the refusal reason. */
function checkTimestamp(ts: number, nowSec: number, tolerance: number): string | null {
  if (tolerance === 0) return null;
  const age = Math.floor(nowSec) - ts;
  if (Math.abs(age) <= tolerance) return null;
  const how = age > 0 ? `${age} s old` : `${-age} s in the future`;
  return `timestamp outside the ${tolerance} s tolerance (${how})`;
}

const DIGITS = /^\d{1,15}$/;

function verifyStripe(cfg: VerificationConfig, body: Buffer, headers: HeaderBag, nowSec: number): VerifyResult {
  const h = readHeader(headers, 'stripe-signature', 'Stripe-Signature');
  if (!h.ok) return h;
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of h.value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1') v1.push(value); // v0 and unknown schemes never count, as in Stripe's libraries
  }
  if (t === undefined || !DIGITS.test(t))
    return fail('malformed signature header: Stripe-Signature has no valid t= timestamp');
  if (v1.length === 0) return fail('malformed signature header: Stripe-Signature has no v1= signature');
  const candidates = v1.map(decodeHex).filter((b): b is Buffer => b !== null);
  if (candidates.length === 0) return fail('malformed signature header: Stripe-Signature v1= is not hex');

  const stale = checkTimestamp(Number(t), nowSec, toleranceOf(cfg));
  if (stale !== null) return fail(stale);
  // Stripe keys the HMAC with the whole `whsec_…` string, not its decoded bytes.
  const expected = hmac('sha256', cfg.secret, [`${t}.`, body]);
  return anyEqual(expected, candidates) ? OK : fail(MISMATCH);
}

function verifyGithub(cfg: VerificationConfig, body: Buffer, headers: HeaderBag): VerifyResult {
  const h = readHeader(headers, 'x-hub-signature-256', 'X-Hub-Signature-256');
  if (!h.ok) {
    if (h.reason.startsWith('missing') && headers['x-hub-signature'] !== undefined) {
      return fail(
        'missing X-Hub-Signature-256 header (only the SHA-1 X-Hub-Signature was sent; SHA-1 is not accepted)',
      );
    }
    return h;
  }
  if (!h.value.startsWith('sha256='))
    return fail('malformed signature header: X-Hub-Signature-256 must start with sha256=');
  const got = decodeHex(h.value.slice('sha256='.length));
  if (got === null) return fail('malformed signature header: X-Hub-Signature-256 is not hex');
  return safeEqual(hmac('sha256', cfg.secret, [body]), got) ? OK : fail(MISMATCH);
}

function verifyShopify(cfg: VerificationConfig, body: Buffer, headers: HeaderBag): VerifyResult {
  const h = readHeader(headers, 'x-shopify-hmac-sha256', 'X-Shopify-Hmac-Sha256');
  if (!h.ok) return h;
  const got = decodeBase64(h.value);
  if (got === null) return fail('malformed signature header: X-Shopify-Hmac-Sha256 is not base64');
  return safeEqual(hmac('sha256', cfg.secret, [body]), got) ? OK : fail(MISMATCH);
}

function verifyStandardWebhooks(
  cfg: VerificationConfig,
  body: Buffer,
  headers: HeaderBag,
  nowSec: number,
): VerifyResult {
  const id = readHeader(headers, 'webhook-id', 'webhook-id');
  if (!id.ok) return id;
  const ts = readHeader(headers, 'webhook-timestamp', 'webhook-timestamp');
  if (!ts.ok) return ts;
  const sig = readHeader(headers, 'webhook-signature', 'webhook-signature');
  if (!sig.ok) return sig;
  if (!DIGITS.test(ts.value))
    return fail('malformed signature header: webhook-timestamp is not a Unix time in seconds');

  const candidates: Buffer[] = [];
  let sawV1 = false;
  for (const entry of sig.value.split(/\s+/)) {
    const comma = entry.indexOf(',');
    // Other versions (e.g. v1a, asymmetric) are skipped, as the specification asks.
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    sawV1 = true;
    const b = decodeBase64(entry.slice(comma + 1));
    if (b !== null) candidates.push(b);
  }
  if (!sawV1) return fail('malformed signature header: webhook-signature has no v1,<base64> entry');
  if (candidates.length === 0) return fail('malformed signature header: webhook-signature v1 entries are not base64');

  const stale = checkTimestamp(Number(ts.value), nowSec, toleranceOf(cfg));
  if (stale !== null) return fail(stale);
  const key = standardWebhooksKeyObject(cfg.secret, cfg);
  if (key === null) return fail('the Standard Webhooks secret is not valid base64 (expected whsec_<base64>)');
  const expected = hmac('sha256', key, [`${id.value}.${ts.value}.`, body]);
  return anyEqual(expected, candidates) ? OK : fail(MISMATCH);
}

function verifyGenericHmac(cfg: VerificationConfig, body: Buffer, headers: HeaderBag): VerifyResult {
  const name = cfg.header !== undefined && cfg.header.trim() !== '' ? cfg.header.trim() : DEFAULT_HMAC_HEADER;
  const h = readHeader(headers, name, name);
  if (!h.ok) return h;
  const algorithm: HmacAlgorithm = cfg.algorithm ?? 'sha256';
  if (algorithm !== 'sha256' && algorithm !== 'sha512')
    return fail(`unsupported HMAC algorithm "${String(algorithm)}"`);
  const encoding = cfg.encoding ?? 'hex';
  let value = h.value;
  if (cfg.prefix !== undefined && cfg.prefix !== '') {
    if (!value.startsWith(cfg.prefix))
      return fail(`malformed signature header: ${name} does not start with "${cfg.prefix}"`);
    value = value.slice(cfg.prefix.length);
  }
  const got = encoding === 'base64' ? decodeBase64(value) : encoding === 'hex' ? decodeHex(value) : null;
  if (got === null) return fail(`malformed signature header: ${name} is not ${String(encoding)}`);
  return safeEqual(hmac(algorithm, cfg.secret, [body]), got) ? OK : fail(MISMATCH);
}
