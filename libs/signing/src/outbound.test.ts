// Outbound signers: header shapes, rotation (every given secret signs where the scheme allows),
// and that each scheme's output passes our own inbound verifier.
import t from 'tap';
import { checkSigningSecret, generateSigningSecret, signOutbound, verifyInbound } from './index.ts';
import { standardWebhooksKeyObject } from './crypto.ts';

const TS = 1_614_265_330;
const BODY = Buffer.from('{"test": 2432232314}');
const NEW = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD = generateSigningSecret();

t.test('standard webhooks: known answer from the specification', async (t) => {
  const h = signOutbound({
    scheme: 'standard_webhooks',
    secrets: [NEW],
    msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestampSec: TS,
    body: BODY,
  });
  t.same(h, {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  });
});

t.test('standard webhooks: one signature per secret, each verifies alone', async (t) => {
  const h = signOutbound({
    scheme: 'standard_webhooks',
    secrets: [NEW, OLD],
    msgId: 'evt_1',
    timestampSec: TS,
    body: BODY,
  });
  t.match(h['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
  for (const secret of [NEW, OLD])
    t.same(verifyInbound({ provider: 'standard_webhooks', secret }, BODY, h, TS), { ok: true });
  t.equal(
    verifyInbound({ provider: 'standard_webhooks', secret: generateSigningSecret() }, BODY, h, TS).ok,
    false,
    'a third secret does not',
  );
});

t.test('stripe: t= then one v1 per secret', async (t) => {
  const h = signOutbound({ scheme: 'stripe', secrets: [NEW, OLD], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.match(h['stripe-signature'], new RegExp(`^t=${TS},v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`));
  for (const secret of [NEW, OLD]) t.same(verifyInbound({ provider: 'stripe', secret }, BODY, h, TS), { ok: true });
  t.same(Object.keys(h), ['stripe-signature']);
});

t.test('github: first secret only', async (t) => {
  const h = signOutbound({ scheme: 'github', secrets: [NEW, OLD], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.same(Object.keys(h), ['x-hub-signature-256']);
  t.same(verifyInbound({ provider: 'github', secret: NEW }, BODY, h, TS), { ok: true });
  t.equal(
    verifyInbound({ provider: 'github', secret: OLD }, BODY, h, TS).ok,
    false,
    'the previous secret has no signature',
  );
});

t.test('hmac: current in x-hookstream-signature, previous in x-hookstream-signature-previous', async (t) => {
  const both = signOutbound({ scheme: 'hmac', secrets: [NEW, OLD], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.same(Object.keys(both).sort(), ['x-hookstream-signature', 'x-hookstream-signature-previous']);
  const cfg = { provider: 'hmac' as const, prefix: 'sha256=' };
  t.same(verifyInbound({ ...cfg, secret: NEW, header: 'x-hookstream-signature' }, BODY, both, TS), { ok: true });
  t.same(verifyInbound({ ...cfg, secret: OLD, header: 'x-hookstream-signature-previous' }, BODY, both, TS), {
    ok: true,
  });
  t.equal(verifyInbound({ ...cfg, secret: OLD, header: 'x-hookstream-signature' }, BODY, both, TS).ok, false);

  const one = signOutbound({ scheme: 'hmac', secrets: [NEW], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.same(Object.keys(one), ['x-hookstream-signature'], 'no previous header outside a rotation');
});

t.test('standard webhooks: a secret signs alike every time, and a bad one fails every time', async (t) => {
  const sign = (secret: string) =>
    signOutbound({ scheme: 'standard_webhooks', secrets: [secret], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.same(sign(NEW), sign(NEW));
  t.not(sign(NEW)['webhook-signature'], sign(OLD)['webhook-signature']);
  t.throws(() => sign('whsec_not base64!'), RangeError);
  t.throws(() => sign('whsec_not base64!'), RangeError, 'not remembered as usable');
});

t.test('a repeated secret signs once', async (t) => {
  const h = signOutbound({
    scheme: 'standard_webhooks',
    secrets: [NEW, NEW],
    msgId: 'evt_1',
    timestampSec: TS,
    body: BODY,
  });
  t.equal(h['webhook-signature']?.split(' ').length, 1);
  const hm = signOutbound({ scheme: 'hmac', secrets: [NEW, NEW], msgId: 'evt_1', timestampSec: TS, body: BODY });
  t.notOk('x-hookstream-signature-previous' in hm);
});

t.test('fractional timestamps are floored, as receivers parse integers', async (t) => {
  const h = signOutbound({
    scheme: 'standard_webhooks',
    secrets: [NEW],
    msgId: 'evt_1',
    timestampSec: TS + 0.9,
    body: BODY,
  });
  t.equal(h['webhook-timestamp'], String(TS));
  t.same(verifyInbound({ provider: 'standard_webhooks', secret: NEW }, BODY, h, TS), { ok: true });
});

t.test('misuse throws; checkSigningSecret reports bad secrets without echoing them', async (t) => {
  const base = { msgId: 'evt_1', timestampSec: TS, body: BODY };
  t.throws(() => signOutbound({ ...base, scheme: 'stripe', secrets: [] }), RangeError);
  t.throws(() => signOutbound({ ...base, scheme: 'stripe', secrets: [''] }), RangeError);
  t.throws(() => signOutbound({ ...base, scheme: 'standard_webhooks', secrets: ['whsec_$$$'] }), RangeError);
  t.throws(() => signOutbound({ ...base, scheme: 'nope' as 'stripe', secrets: [NEW] }), RangeError);
  t.throws(() => signOutbound({ ...base, scheme: 'stripe', secrets: [NEW], timestampSec: Number.NaN }), RangeError);

  t.equal(checkSigningSecret('standard_webhooks', NEW), null);
  t.equal(checkSigningSecret('stripe', 'any string works for stripe'), null);
  t.match(checkSigningSecret('standard_webhooks', 'whsec_$$$'), /whsec_ followed by base64/);
  t.notMatch(checkSigningSecret('standard_webhooks', 'whsec_$$$') ?? '', /\$\$\$/);
  t.match(checkSigningSecret('github', ''), /empty/);
});

t.test('generateSigningSecret: whsec_ + base64 of 32 random bytes', async (t) => {
  const a = generateSigningSecret();
  const b = generateSigningSecret();
  t.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
  t.equal(Buffer.from(a.slice('whsec_'.length), 'base64').length, 32);
  t.not(a, b);
});

t.test('Standard Webhooks key objects are kept per owning record, and only with one', async (t) => {
  const secret = generateSigningSecret();
  const destination = {};
  const key = standardWebhooksKeyObject(secret, destination);
  t.ok(key, 'a key for a valid secret');
  t.equal(standardWebhooksKeyObject(secret, destination), key, 'imported once for its record');
  t.not(standardWebhooksKeyObject(secret, {}), key, 'a replaced record (a new object) gets its own');
  t.not(standardWebhooksKeyObject(secret), standardWebhooksKeyObject(secret), 'without an owner nothing is kept');
  t.equal(standardWebhooksKeyObject('whsec_not base64!', destination), null, 'an invalid secret has no key');
  const body = Buffer.from('{"a":1}');
  const sign = (owner?: object) =>
    signOutbound({
      scheme: 'standard_webhooks',
      secrets: [secret],
      msgId: 'm',
      timestampSec: 1,
      body,
      ...(owner ? { owner } : {}),
    });
  t.same(sign(destination), sign(), 'the same signature with or without a kept key');
});
