// Inbound verification per provider, with signatures built here straight from node:crypto
// (independent of our signer; interop.test.ts checks against the providers' own libraries).
import t from 'tap';
import type { Test } from 'tap';
import { createHmac } from 'node:crypto';
import { verifyInbound } from './index.ts';
import type { HeaderBag, VerificationConfig, VerifyResult } from './index.ts';

const NOW = 1_700_000_000;
const BODY = Buffer.from('{"id":"evt_1","type":"invoice.paid","amount":4200,"note":"café ☕"}');
const OTHER_BODY = Buffer.from('{"id":"evt_1","type":"invoice.paid","amount":4201,"note":"café ☕"}');

const mac = (alg: 'sha256' | 'sha512', key: string | Buffer, data: string | Buffer) =>
  createHmac(alg, key).update(data).digest();

function refused(t: Test, r: VerifyResult, reason: RegExp, secret: string): void {
  t.equal(r.ok, false, 'refused');
  if (!r.ok) {
    t.match(r.reason, reason);
    t.notOk(r.reason.includes(secret), 'reason never contains the secret');
  }
}

t.test('stripe', async (t) => {
  const secret = 'whsec_test_stripe_secret_123';
  const cfg: VerificationConfig = { provider: 'stripe', secret };
  const sig = (body: Buffer, ts: number, key = secret) =>
    mac('sha256', key, Buffer.concat([Buffer.from(`${ts}.`), body])).toString('hex');
  const hdr = (value: string): HeaderBag => ({ 'stripe-signature': value });

  t.same(verifyInbound(cfg, BODY, hdr(`t=${NOW},v1=${sig(BODY, NOW)}`), NOW), { ok: true }, 'valid accepted');
  t.same(
    verifyInbound(cfg, BODY, hdr(`t=${NOW},v1=${'0'.repeat(64)},v1=${sig(BODY, NOW)},v0=abc`), NOW),
    { ok: true },
    'any v1 matching passes',
  );
  t.same(
    verifyInbound(cfg, BODY, hdr(` t=${NOW} , v1=${sig(BODY, NOW).toUpperCase()} `), NOW),
    { ok: true },
    'whitespace and hex case tolerated',
  );
  t.same(
    verifyInbound(cfg, BODY, hdr(`t=${NOW - 300},v1=${sig(BODY, NOW - 300)}`), NOW),
    { ok: true },
    'exactly at the tolerance edge',
  );

  refused(
    t,
    verifyInbound(cfg, OTHER_BODY, hdr(`t=${NOW},v1=${sig(BODY, NOW)}`), NOW),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(`t=${NOW},v1=${sig(BODY, NOW, 'whsec_wrong')}`), NOW),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(`t=${NOW + 1},v1=${sig(BODY, NOW)}`), NOW),
    /signature does not match/,
    secret,
  );
  refused(t, verifyInbound(cfg, BODY, hdr(`t=${NOW},v0=${sig(BODY, NOW)}`), NOW), /malformed.*no v1/, secret);
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(`t=${NOW - 301},v1=${sig(BODY, NOW - 301)}`), NOW),
    /timestamp outside the 300 s tolerance \(301 s old\)/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(`t=${NOW + 400},v1=${sig(BODY, NOW + 400)}`), NOW),
    /timestamp outside.*in the future/,
    secret,
  );
  refused(
    t,
    verifyInbound({ ...cfg, tolerance_s: 10 }, BODY, hdr(`t=${NOW - 11},v1=${sig(BODY, NOW - 11)}`), NOW),
    /outside the 10 s tolerance/,
    secret,
  );
  t.same(
    verifyInbound({ ...cfg, tolerance_s: 0 }, BODY, hdr(`t=${NOW - 9999},v1=${sig(BODY, NOW - 9999)}`), NOW),
    { ok: true },
    'tolerance 0 turns the check off, as in Stripe',
  );
  refused(t, verifyInbound(cfg, BODY, {}, NOW), /missing Stripe-Signature header/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(''), NOW), /missing Stripe-Signature header/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(`v1=${sig(BODY, NOW)}`), NOW), /malformed.*t= timestamp/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(`t=soon,v1=${sig(BODY, NOW)}`), NOW), /malformed.*t= timestamp/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(`t=${NOW},v1=nothex`), NOW), /malformed.*not hex/, secret);
  refused(t, verifyInbound(cfg, BODY, { 'stripe-signature': ['a', 'b'] }, NOW), /malformed.*more than once/, secret);
});

t.test('github', async (t) => {
  const secret = "gh-secret-It's a Secret to Everybody";
  const cfg: VerificationConfig = { provider: 'github', secret };
  const hdr = (body: Buffer, key = secret): HeaderBag => ({
    'x-hub-signature-256': `sha256=${mac('sha256', key, body).toString('hex')}`,
  });

  t.same(verifyInbound(cfg, BODY, hdr(BODY), NOW), { ok: true }, 'valid accepted');
  refused(t, verifyInbound(cfg, OTHER_BODY, hdr(BODY), NOW), /signature does not match/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(BODY, 'wrong'), NOW), /signature does not match/, secret);
  refused(t, verifyInbound(cfg, BODY, {}, NOW), /missing X-Hub-Signature-256 header/, secret);
  refused(t, verifyInbound(cfg, BODY, { 'x-hub-signature': 'sha1=abc' }, NOW), /SHA-1/, secret);
  refused(
    t,
    verifyInbound(cfg, BODY, { 'x-hub-signature-256': mac('sha256', secret, BODY).toString('hex') }, NOW),
    /malformed.*sha256=/,
    secret,
  );
  refused(t, verifyInbound(cfg, BODY, { 'x-hub-signature-256': 'sha256=zz' }, NOW), /malformed.*not hex/, secret);
  refused(
    t,
    verifyInbound(cfg, BODY, { 'x-hub-signature-256': 'sha256=abcd' }, NOW),
    /signature does not match/,
    secret,
  );
});

t.test('shopify', async (t) => {
  const secret = 'shpss_0123456789abcdef';
  const cfg: VerificationConfig = { provider: 'shopify', secret };
  const hdr = (body: Buffer, key = secret): HeaderBag => ({
    'x-shopify-hmac-sha256': mac('sha256', key, body).toString('base64'),
  });

  t.same(verifyInbound(cfg, BODY, hdr(BODY), NOW), { ok: true }, 'valid accepted');
  refused(t, verifyInbound(cfg, OTHER_BODY, hdr(BODY), NOW), /signature does not match/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(BODY, 'wrong'), NOW), /signature does not match/, secret);
  refused(t, verifyInbound(cfg, BODY, {}, NOW), /missing X-Shopify-Hmac-Sha256 header/, secret);
  refused(
    t,
    verifyInbound(cfg, BODY, { 'x-shopify-hmac-sha256': 'not base64!' }, NOW),
    /malformed.*not base64/,
    secret,
  );
});

t.test('standard webhooks', async (t) => {
  const keyBytes = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'utf8');
  const secret = `whsec_${keyBytes.toString('base64')}`;
  const cfg: VerificationConfig = { provider: 'standard_webhooks', secret };
  const sig = (id: string, ts: number, body: Buffer, key = keyBytes) =>
    `v1,${mac('sha256', key, Buffer.concat([Buffer.from(`${id}.${ts}.`), body])).toString('base64')}`;
  const hdr = (ts: number, signature: string, id = 'msg_1'): HeaderBag => ({
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signature,
  });

  t.same(verifyInbound(cfg, BODY, hdr(NOW, sig('msg_1', NOW, BODY)), NOW), { ok: true }, 'valid accepted');
  t.same(
    verifyInbound({ ...cfg, secret: keyBytes.toString('base64') }, BODY, hdr(NOW, sig('msg_1', NOW, BODY)), NOW),
    { ok: true },
    'secret without whsec_ accepted',
  );
  t.same(
    verifyInbound(
      cfg,
      BODY,
      hdr(NOW, `v1a,abc v1,${Buffer.alloc(32).toString('base64')} ${sig('msg_1', NOW, BODY)}`),
      NOW,
    ),
    { ok: true },
    'several signatures: any v1 match passes, other versions skipped',
  );

  refused(
    t,
    verifyInbound(cfg, OTHER_BODY, hdr(NOW, sig('msg_1', NOW, BODY)), NOW),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(NOW, sig('msg_1', NOW, BODY, Buffer.from('another key'))), NOW),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(NOW, sig('msg_1', NOW, BODY), 'msg_2'), NOW),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(NOW - 301, sig('msg_1', NOW - 301, BODY)), NOW),
    /timestamp outside the 300 s tolerance/,
    secret,
  );
  refused(
    t,
    verifyInbound(cfg, BODY, hdr(NOW + 301, sig('msg_1', NOW + 301, BODY)), NOW),
    /timestamp outside.*in the future/,
    secret,
  );
  for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const h = hdr(NOW, sig('msg_1', NOW, BODY));
    delete h[missing];
    refused(t, verifyInbound(cfg, BODY, h, NOW), new RegExp(`missing ${missing} header`), secret);
  }
  refused(t, verifyInbound(cfg, BODY, hdr(NOW, 'v2,abc'), NOW), /malformed.*no v1/, secret);
  refused(t, verifyInbound(cfg, BODY, hdr(NOW, 'v1,***'), NOW), /malformed.*not base64/, secret);
  refused(
    t,
    verifyInbound(cfg, BODY, { ...hdr(NOW, sig('msg_1', NOW, BODY)), 'webhook-timestamp': '17e8' }, NOW),
    /malformed.*webhook-timestamp/,
    secret,
  );
  refused(
    t,
    verifyInbound({ ...cfg, secret: 'whsec_not*base64' }, BODY, hdr(NOW, sig('msg_1', NOW, BODY)), NOW),
    /secret is not valid base64/,
    'not*base64',
  );
});

t.test('generic hmac', async (t) => {
  const secret = 'generic-secret';
  const body = BODY;

  const hex = mac('sha256', secret, body).toString('hex');
  t.same(
    verifyInbound({ provider: 'hmac', secret }, body, { 'x-signature': hex }, NOW),
    { ok: true },
    'defaults: x-signature, sha256, hex',
  );

  const cfg512: VerificationConfig = {
    provider: 'hmac',
    secret,
    header: 'X-Acme-Signature',
    algorithm: 'sha512',
    encoding: 'base64',
    prefix: 'sha512=',
  };
  const b64 = `sha512=${mac('sha512', secret, body).toString('base64')}`;
  t.same(
    verifyInbound(cfg512, body, { 'x-acme-signature': b64 }, NOW),
    { ok: true },
    'custom header (any case), sha512, base64, prefix',
  );

  refused(t, verifyInbound(cfg512, OTHER_BODY, { 'x-acme-signature': b64 }, NOW), /signature does not match/, secret);
  refused(
    t,
    verifyInbound(
      cfg512,
      body,
      { 'x-acme-signature': `sha512=${mac('sha512', 'wrong', body).toString('base64')}` },
      NOW,
    ),
    /signature does not match/,
    secret,
  );
  refused(
    t,
    verifyInbound(
      cfg512,
      body,
      { 'x-acme-signature': `sha512=${mac('sha256', secret, body).toString('base64')}` },
      NOW,
    ),
    /signature does not match/,
    secret,
  );
  refused(t, verifyInbound(cfg512, body, { 'x-signature': b64 }, NOW), /missing X-Acme-Signature header/, secret);
  refused(
    t,
    verifyInbound(cfg512, body, { 'x-acme-signature': mac('sha512', secret, body).toString('base64') }, NOW),
    /malformed.*does not start with "sha512="/,
    secret,
  );
  refused(
    t,
    verifyInbound({ provider: 'hmac', secret }, body, { 'x-signature': `${hex}g` }, NOW),
    /malformed.*not hex/,
    secret,
  );
});

t.test('configuration errors are refusals, not exceptions', async (t) => {
  refused(t, verifyInbound({ provider: 'github', secret: '' }, BODY, {}, NOW), /no verification secret/, '\u0000');
  refused(
    t,
    verifyInbound({ provider: 'nope' as 'github', secret: 's3cr3t' }, BODY, {}, NOW),
    /unsupported verification provider "nope"/,
    's3cr3t',
  );
});
