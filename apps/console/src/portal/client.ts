// The portal's one SDK client: cookie mode on the page's own origin, saying it means the portal
// cookie (a browser may hold a console cookie of the same origin too).
import { Hookstream, PORTAL_HEADER } from '@hookstream/sdk';

export const client = new Hookstream({ baseUrl: '', session: true, headers: { [PORTAL_HEADER]: '1' } });

export const SESSION_KEY = ['portal-session'] as const;

/** The page's base path, `/portal/<account_id>`: every link and history entry lives under it. */
export function portalBase(pathname = window.location.pathname): { base: string; accountId: string } {
  const m = /^\/portal\/([^/]+)/.exec(pathname);
  const accountId = m ? decodeURIComponent(m[1]!) : '';
  return { base: `/portal/${encodeURIComponent(accountId)}`, accountId };
}

/**
 * The link's token, taken out of the address at once: it is single use, and a token left in the
 * address bar or history would only be a confusing dead link.
 */
export function takeToken(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token !== null) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}
