import { BLOCKED_ADDRESS_CODE, errorCode } from './address-guard.ts';

export type ErrorClass = 'timeout' | 'connect' | 'dns' | 'blocked_address' | 'tls' | 'protocol' | 'aborted';

export interface Classified {
  errorClass: ErrorClass;
  /** Short, fixed wording plus the error code: never a URL, header value or response text. */
  error: string;
}

const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
  'ESERVFAIL',
  'ETIMEOUT',
  'EREFUSED',
  'EBADNAME',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
]);
const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_ABORTED', 'ABORT_ERR']);
// OpenSSL verification results Node surfaces as error codes.
const TLS_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
]);

const WORDS: Record<ErrorClass, string> = {
  timeout: 'timed out',
  connect: 'connection failed',
  dns: 'host name did not resolve',
  blocked_address: 'destination address is blocked',
  tls: 'TLS handshake failed',
  protocol: 'invalid HTTP response',
  aborted: 'aborted',
};

function classOfCode(code: string): ErrorClass | null {
  if (code === BLOCKED_ADDRESS_CODE) return 'blocked_address';
  if (DNS_CODES.has(code)) return 'dns';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || TLS_CERT_CODES.has(code)) return 'tls';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (CLOSED_CODES.has(code)) return 'aborted';
  if (code.startsWith('HPE_') || code.startsWith('UND_ERR_')) return 'protocol';
  return null;
}

/** Maps a thrown network error to its class. Unknown transport failures count as 'connect'. */
export function classifyError(err: unknown): Classified {
  // undici and net wrap causes (AggregateError from happy-eyeballs, .cause chains): look inside.
  const queue: unknown[] = [err];
  for (let i = 0; i < queue.length && i < 8; i++) {
    const e = queue[i];
    const code = errorCode(e);
    const cls = code === undefined ? null : classOfCode(code);
    if (cls !== null && code !== undefined) {
      // The operator's way out is named where the refusal is read: the delivery's attempts.
      const detail =
        cls === 'blocked_address' && typeof e === 'object' && e !== null && 'address' in e
          ? ` ${String(e.address)} (private, loopback or link-local; ALLOW_PRIVATE_DESTINATIONS=true lets it through)`
          : '';
      return { errorClass: cls, error: `${WORDS[cls]}${detail} (${code})` };
    }
    if (e instanceof AggregateError) queue.push(...(e.errors as unknown[]));
    if (e instanceof Error && e.cause !== undefined) queue.push(e.cause);
    if (e instanceof Error && 'library' in e && e.library === 'SSL routines')
      return { errorClass: 'tls', error: WORDS.tls };
    // llhttp parse failures reach us without a code.
    if (e instanceof Error && e.name === 'HTTPParserError') return { errorClass: 'protocol', error: WORDS.protocol };
  }
  const code = errorCode(err);
  return { errorClass: 'connect', error: code === undefined ? WORDS.connect : `${WORDS.connect} (${code})` };
}

export function describe(cls: ErrorClass): string {
  return WORDS[cls];
}
