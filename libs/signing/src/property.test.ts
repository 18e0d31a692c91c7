// Property: whatever the body, secrets and id, what our signer signs our verifier accepts for every
// secret the scheme carries — and a single flipped body byte is refused.
import t from 'tap';
import fc from 'fast-check';
import { signOutbound, verifyInbound } from './index.ts';
import type { SignatureScheme, VerificationConfig } from './index.ts';

/** The inbound config that checks the signature made with secrets[index], or null if the scheme carries none. */
function verifierFor(scheme: SignatureScheme, secret: string, index: number): VerificationConfig | null {
  switch (scheme) {
    case 'standard_webhooks':
      return { provider: 'standard_webhooks', secret };
    case 'stripe':
      return { provider: 'stripe', secret };
    case 'github':
      return index === 0 ? { provider: 'github', secret } : null;
    case 'hmac': {
      const header = index === 0 ? 'x-hookstream-signature' : 'x-hookstream-signature-previous';
      return { provider: 'hmac', secret, header, prefix: 'sha256=' };
    }
  }
}

const standardSecret = fc
  .uint8Array({ minLength: 16, maxLength: 64 })
  .map((b) => `whsec_${Buffer.from(b).toString('base64')}`);
const plainSecret = fc.string({ minLength: 1, maxLength: 64 });

const caseArb = fc.constantFrom<SignatureScheme>('standard_webhooks', 'stripe', 'github', 'hmac').chain((scheme) =>
  fc.record({
    scheme: fc.constant(scheme),
    secrets: fc.uniqueArray(scheme === 'standard_webhooks' ? standardSecret : plainSecret, {
      minLength: 1,
      maxLength: 2,
    }),
    msgId: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    ts: fc.integer({ min: 0, max: 4_000_000_000 }),
    body: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((b) => Buffer.from(b)),
    flipAt: fc.nat(),
    flipMask: fc.integer({ min: 1, max: 255 }),
  }),
);

t.test('sign then verify round-trips; a flipped byte fails', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(caseArb, ({ scheme, secrets, msgId, ts, body, flipAt, flipMask }) => {
      const headers = signOutbound({ scheme, secrets, msgId, timestampSec: ts, body });
      const flipped = Buffer.from(body);
      const i = flipAt % flipped.length;
      flipped[i] = (flipped[i] ?? 0) ^ flipMask;
      secrets.forEach((secret, index) => {
        const cfg = verifierFor(scheme, secret, index);
        if (cfg === null) return;
        checked++;
        const good = verifyInbound(cfg, body, headers, ts);
        if (!good.ok) throw new Error(`${scheme}: own signature refused: ${good.reason}`);
        const bad = verifyInbound(cfg, flipped, headers, ts);
        if (bad.ok) throw new Error(`${scheme}: flipped byte ${i} accepted`);
      });
    }),
    { numRuns: 300 },
  );
  t.ok(checked >= 300, `checked ${checked} signatures`);
});
