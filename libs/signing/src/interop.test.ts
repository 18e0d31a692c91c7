// Cross-checks against the providers' own code, both directions: their signatures pass our verifier,
// and our outbound signatures pass their verifier — with two secrets during a rotation.
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { generateSigningSecret, signOutbound, verifyInbound } from './index.ts';

const TS = 1_700_000_000;
// A Stripe-shaped event with non-ASCII text: the libraries sign the UTF-8 bytes, so must we.
const BODY = Buffer.from(
  JSON.stringify({
    id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    object: 'event',
    type: 'customer.created',
    data: { object: { name: 'Zoë Ñandú 🦤' } },
  }),
);
const OTHER = Buffer.from(BODY.toString().replace('Zoë', 'Zoe'));

t.test('standard webhooks ⇄ standardwebhooks', async (t) => {
  const current = generateSigningSecret();
  const previous = generateSigningSecret();

  t.test('their signature passes our verifier', async (t) => {
    const sig = new Webhook(current).sign('msg_1', new Date(TS * 1000), BODY);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': sig };
    t.same(verifyInbound({ provider: 'standard_webhooks', secret: current }, BODY, headers, TS), { ok: true });
    t.equal(verifyInbound({ provider: 'standard_webhooks', secret: current }, OTHER, headers, TS).ok, false);
    t.equal(verifyInbound({ provider: 'standard_webhooks', secret: previous }, BODY, headers, TS).ok, false);

    // A sender rotating its secret puts both signatures in one header; either secret verifies.
    const both = {
      ...headers,
      'webhook-signature': `${sig} ${new Webhook(previous).sign('msg_1', new Date(TS * 1000), BODY)}`,
    };
    for (const secret of [current, previous])
      t.same(verifyInbound({ provider: 'standard_webhooks', secret }, BODY, both, TS), { ok: true });

    const bare = current.slice('whsec_'.length);
    t.same(
      verifyInbound({ provider: 'standard_webhooks', secret: bare }, BODY, headers, TS),
      { ok: true },
      'bare base64 secret',
    );
  });

  t.test('our signature passes their verifier, for the new and the old secret', async (t) => {
    // Their verify() reads the wall clock, so this direction signs with the current time.
    const now = Math.floor(Date.now() / 1000);
    const headers = signOutbound({
      scheme: 'standard_webhooks',
      secrets: [current, previous],
      msgId: 'msg_2',
      timestampSec: now,
      body: BODY,
    });
    for (const secret of [current, previous])
      t.same(new Webhook(secret).verify(BODY, headers), JSON.parse(BODY.toString()));
    t.throws(() => new Webhook(generateSigningSecret()).verify(BODY, headers), /No matching signature/);
    t.throws(() => new Webhook(current).verify(OTHER, headers), /No matching signature/);
  });
});

t.test('stripe ⇄ stripe-node', async (t) => {
  const stripe = new Stripe('sk_test_interop_never_used_for_requests');
  const current = 'whsec_current_4eC39HqLyjWDarjtT1zdp7dc';
  const previous = 'whsec_previous_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8';

  t.test('their header passes our verifier', async (t) => {
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: BODY.toString(),
      secret: current,
      timestamp: TS,
    });
    const headers = { 'stripe-signature': header };
    t.same(verifyInbound({ provider: 'stripe', secret: current }, BODY, headers, TS), { ok: true });
    t.equal(verifyInbound({ provider: 'stripe', secret: previous }, BODY, headers, TS).ok, false);
    t.equal(verifyInbound({ provider: 'stripe', secret: current }, OTHER, headers, TS).ok, false);
    t.match(verifyInbound({ provider: 'stripe', secret: current }, BODY, headers, TS + 301), {
      ok: false,
      reason: /tolerance/,
    });
  });

  t.test('our header passes constructEvent, for the new and the old secret', async (t) => {
    const headers = signOutbound({
      scheme: 'stripe',
      secrets: [current, previous],
      msgId: 'evt_x',
      timestampSec: TS,
      body: BODY,
    });
    const header = headers['stripe-signature'] ?? '';
    for (const secret of [current, previous]) {
      const event = stripe.webhooks.constructEvent(BODY, header, secret, 300, undefined, TS * 1000);
      t.equal(event.id, 'evt_1NG8Du2eZvKYlo2CUI79vXWy');
    }
    t.throws(
      () => stripe.webhooks.constructEvent(BODY, header, 'whsec_other', 300, undefined, TS * 1000),
      /No signatures found matching/,
    );
    t.throws(
      () => stripe.webhooks.constructEvent(OTHER, header, current, 300, undefined, TS * 1000),
      /No signatures found matching/,
    );
    t.throws(
      () => stripe.webhooks.constructEvent(BODY, header, current, 300, undefined, (TS + 301) * 1000),
      /tolerance/,
    );
  });
});

t.test('github ⇄ @octokit/webhooks-methods', async (t) => {
  const current = 'gh_current_secret';
  const previous = 'gh_previous_secret';
  const payload = BODY.toString();

  t.test('their signature passes our verifier', async (t) => {
    const headers = { 'x-hub-signature-256': await octokitSign(current, payload) };
    t.same(verifyInbound({ provider: 'github', secret: current }, BODY, headers, TS), { ok: true });
    t.equal(verifyInbound({ provider: 'github', secret: previous }, BODY, headers, TS).ok, false);
    t.equal(verifyInbound({ provider: 'github', secret: current }, OTHER, headers, TS).ok, false);
  });

  t.test('our signature passes their verify (GitHub carries one signature: the new secret)', async (t) => {
    const headers = signOutbound({
      scheme: 'github',
      secrets: [current, previous],
      msgId: 'evt_x',
      timestampSec: TS,
      body: BODY,
    });
    const sig = headers['x-hub-signature-256'] ?? '';
    t.equal(await octokitVerify(current, payload, sig), true);
    t.equal(await octokitVerify(previous, payload, sig), false);
    t.equal(await octokitVerify(current, OTHER.toString(), sig), false);
  });
});
