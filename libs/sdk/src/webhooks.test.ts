// verifyWebhook against signatures made by Hookstream's own signer and by the standardwebhooks library.
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { generateSigningSecret, signOutbound } from '@hookstream/signing';
import { WebhookVerificationError, verifyWebhook } from './webhooks.ts';

const TS = 1_700_000_000;
const BODY = Buffer.from(JSON.stringify({ type: 'order.created', data: { name: 'Zoë 🦤' } }));
const ids = {
  'x-hookstream-event-id': 'evt_1',
  'x-hookstream-delivery-id': 'dlv_1',
  'x-event-type': 'order.created',
  'x-hookstream-attempt': '2',
};

t.test('standard webhooks: what Hookstream signs verifies, with either secret during a rotation', async (t) => {
  const current = generateSigningSecret();
  const previous = generateSigningSecret();
  const headers = {
    ...signOutbound({
      scheme: 'standard_webhooks',
      secrets: [current, previous],
      msgId: 'dlv_1',
      timestampSec: TS,
      body: BODY,
    }),
    ...ids,
  };
  for (const secret of [current, previous]) {
    t.same(verifyWebhook({ secret, headers, body: BODY, nowS: TS + 10 }), {
      id: 'dlv_1',
      timestamp: TS,
      eventId: 'evt_1',
      deliveryId: 'dlv_1',
      eventType: 'order.created',
      attempt: 2,
    });
  }
  t.ok(
    verifyWebhook({ secret: current, headers: new Headers(headers), body: BODY.toString('utf8'), nowS: TS }),
    'Headers and string bodies too',
  );
  t.ok(
    verifyWebhook({ secret: [generateSigningSecret(), previous], headers, body: BODY, nowS: TS }),
    'a receiver holding two secrets',
  );

  const refused = (o: Partial<Parameters<typeof verifyWebhook>[0]>, why: RegExp) =>
    t.throws(() => verifyWebhook({ secret: current, headers, body: BODY, nowS: TS, ...o }), {
      name: 'WebhookVerificationError',
      message: why,
    });
  refused({ body: Buffer.from(BODY.toString().replace('Zoë', 'Zoe')) }, /does not match/);
  refused({ secret: generateSigningSecret() }, /does not match/);
  refused({ nowS: TS + 301 }, /tolerance/);
  refused({ nowS: TS - 301 }, /tolerance/);
  refused({ headers: { ...headers, 'webhook-id': 'other' } }, /does not match/);
  refused({ headers: { 'webhook-id': 'dlv_1' } }, /missing/);
  refused({ secret: 'not base64 !' }, /whsec_/);
  refused({ secret: [] }, /no secret/);
  t.type(new WebhookVerificationError('x'), Error);
});

t.test('interop with the standardwebhooks library, both directions', async (t) => {
  const secret = generateSigningSecret();
  const theirs = new Webhook(secret).sign('msg_1', new Date(TS * 1000), BODY.toString());
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': theirs };
  t.equal(verifyWebhook({ secret, headers, body: BODY, nowS: TS }).id, 'msg_1');

  const ours = signOutbound({
    scheme: 'standard_webhooks',
    secrets: [secret],
    msgId: 'msg_2',
    timestampSec: Math.floor(Date.now() / 1000),
    body: BODY,
  });
  t.ok(new Webhook(secret).verify(BODY.toString(), ours), 'the library accepts what the verifier accepts');
  t.ok(verifyWebhook({ secret, headers: ours, body: BODY }));
});

t.test('hmac scheme: x-hookstream-signature, and -previous during a rotation', async (t) => {
  const [current, previous] = ['s3cret-current', 's3cret-previous'];
  const headers = {
    ...signOutbound({ scheme: 'hmac', secrets: [current, previous], msgId: 'dlv_1', timestampSec: TS, body: BODY }),
    ...ids,
  };
  for (const secret of [current, previous])
    t.equal(verifyWebhook({ scheme: 'hmac', secret, headers, body: BODY }).deliveryId, 'dlv_1');
  t.throws(() => verifyWebhook({ scheme: 'hmac', secret: 'wrong', headers, body: BODY }), WebhookVerificationError);
  t.throws(() => verifyWebhook({ scheme: 'hmac', secret: current, headers: ids, body: BODY }), /missing/);
});
