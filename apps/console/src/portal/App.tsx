// The customer portal: the session from the link's token (or the cookie of an earlier visit), then
// the shell with its three screens. Everything is for the session's one customer; a read session
// sees no control that changes anything.
import { createContext, useContext, useEffect } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { PortalContext } from '@hookstream/sdk';
import { statusOf } from '../api.ts';
import { ErrorNote, Loading } from '../ui.tsx';
import { SESSION_KEY, client, portalBase } from './client.ts';
import { Link, useLocation } from './router.tsx';
import { usePortalBrand } from './brand.ts';
import { Endpoints } from './Endpoints.tsx';
import { Endpoint } from './Endpoint.tsx';
import { Catalog } from './Catalog.tsx';
import { Messages } from './Messages.tsx';
import { Message } from './Message.tsx';

const SessionCtx = createContext<PortalContext | null>(null);

/** Whether the session may change things; screens show their controls only then. */
export function useCanManage(): boolean {
  return useContext(SessionCtx)?.scope === 'manage';
}

let pendingToken: string | null = null;

export function App({ token }: { token: string | null }) {
  if (token !== null && pendingToken === null) pendingToken = token;
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: async () => {
      const t = pendingToken;
      if (t) {
        pendingToken = '';
        return client.portal.open(t, portalBase().accountId);
      }
      return client.portal.session();
    },
    retry: (n, err) => n < 2 && statusOf(err) !== 401,
    staleTime: 60_000,
  });
  usePortalBrand(session.data);
  if (session.isPending) return <Loading />;
  if (session.error) {
    if (statusOf(session.error) === 401) return <Ended linkUsed={token !== null} />;
    return (
      <main>
        <ErrorNote error={session.error} />
      </main>
    );
  }
  // A session of another account's portal (its cookie is per host, not per account) is not shown
  // under this account's address, nor framed under this account's embedding policy.
  if (session.data.account.id !== portalBase().accountId) return <Ended linkUsed={token !== null} />;
  return (
    <SessionCtx.Provider value={session.data}>
      <Shell session={session.data} />
    </SessionCtx.Provider>
  );
}

function Ended({ linkUsed }: { linkUsed: boolean }) {
  return (
    <main className="portal-ended">
      <h1>{linkUsed ? 'This link does not open the portal' : 'Your session has ended'}</h1>
      <p>
        {linkUsed
          ? 'Portal links work once and for a limited time: this one was used already, has expired or was ended.'
          : 'Portal sessions end after a while, or when they are ended for you.'}{' '}
        Open the portal again from the application that sent you here.
      </p>
    </main>
  );
}

function Screen() {
  const { path } = useLocation();
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || (parts[0] === 'endpoints' && parts.length === 1)) return <Endpoints />;
  if (parts[0] === 'endpoints' && parts[1]) return <Endpoint id={decodeURIComponent(parts[1])} />;
  if (parts[0] === 'catalog') return <Catalog />;
  if (parts[0] === 'messages' && parts[1]) return <Message id={decodeURIComponent(parts[1])} />;
  if (parts[0] === 'messages') return <Messages />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Back to your endpoints</Link>.
      </p>
    </>
  );
}

const NAV: Array<[string, string]> = [
  ['/endpoints', 'Endpoints'],
  ['/catalog', 'Event catalog'],
  ['/messages', 'Messages'],
];

function Shell({ session }: { session: PortalContext }) {
  const { path } = useLocation();
  const signOut = useMutation({
    mutationFn: () => client.portal.signOut(),
    onSettled: () => window.location.reload(),
  });
  // `/` focuses the screen's search field, as in the console.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      const search = document.querySelector<HTMLInputElement>('[data-search]');
      if (search) {
        e.preventDefault();
        search.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const section = path === '/' ? '/endpoints' : '/' + (path.split('/')[1] ?? '');
  const name = session.brand?.name ?? session.account.name;
  return (
    <div className="portal">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="portal-top">
        <div className="brand">
          {session.brand?.logo_url ? (
            <img src={session.brand.logo_url} alt="" />
          ) : (
            <span className="brand-mark" aria-hidden="true" />
          )}
          <span>{name}</span>
          <span className="muted">webhooks</span>
        </div>
        <nav aria-label="Portal">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={section === to ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="row who">
          {session.scope === 'read' && <span className="status tone-idle">view only</span>}
          <span className="muted" title="Customer">
            <code>{session.customer_id}</code>
          </span>
          <button type="button" className="small" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen />
      </main>
    </div>
  );
}
