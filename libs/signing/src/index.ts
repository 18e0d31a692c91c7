// Public face of @hookstream/signing: inbound provider verification and outbound signers (node:crypto only).
export { verifyInbound, DEFAULT_TOLERANCE_S, DEFAULT_HMAC_HEADER } from './inbound.ts';
export type { Provider, VerificationConfig, HeaderBag, VerifyResult } from './inbound.ts';
export {
  signOutbound,
  generateSigningSecret,
  checkSigningSecret,
  HOOKSTREAM_SIGNATURE_HEADER,
  HOOKSTREAM_PREVIOUS_SIGNATURE_HEADER,
} from './outbound.ts';
export type { SignatureScheme, SignInput } from './outbound.ts';
