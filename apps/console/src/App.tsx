// Signed in or not; when signed in, the shell with its navigation and the screen the path names.
import { useEffect } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { SESSION_KEY, client, statusOf } from './api.ts';
import { Link, match, useLocation } from './router.tsx';
import { ErrorNote, Loading } from './ui.tsx';
import { SignIn } from './screens/SignIn.tsx';
import { Overview } from './screens/Overview.tsx';
import { Events } from './screens/Events.tsx';
import { EventDetail } from './screens/EventDetail.tsx';
import { DeadLetters } from './screens/DeadLetters.tsx';
import { Destinations } from './screens/Destinations.tsx';
import { DestinationDetail } from './screens/DestinationDetail.tsx';
import { Sources } from './screens/Sources.tsx';
import { Routes } from './screens/Routes.tsx';
import { EventTypes } from './screens/EventTypes.tsx';
import { ApiKeys } from './screens/ApiKeys.tsx';
import { Exports } from './screens/Exports.tsx';
import { Settings } from './screens/Settings.tsx';
import { AuditLog } from './screens/AuditLog.tsx';
import { Members } from './screens/Members.tsx';
import { AcceptInvite } from './screens/AcceptInvite.tsx';
import { useBrand } from './brand.ts';
import { ScreenBoundary } from './boundary.tsx';
import { type Action, useCan } from './permissions.tsx';

/** Navigation entries, each with the action it needs (what a role may not do is not shown). */
const NAV: Array<[string, string, Action?]> = [
  ['/', 'Overview'],
  ['/events', 'Events'],
  ['/dead-letters', 'Dead letters'],
  ['/destinations', 'Destinations'],
  ['/sources', 'Sources'],
  ['/routes', 'Routes'],
  ['/event-types', 'Event types'],
  ['/api-keys', 'API keys', 'apikeys.manage'],
  ['/exports', 'Exports'],
  ['/settings', 'Settings'],
];

export function App() {
  // An invitation is accepted before anyone is signed in.
  if (useLocation().path === '/invite') return <AcceptInvite />;
  return <SignedIn />;
}

function SignedIn() {
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => client.console.session(),
    retry: (n, err) => n < 2 && statusOf(err) !== 401,
    staleTime: 60_000,
  });
  useBrand(session.data?.brand ?? null);
  if (session.isPending) return <Loading />;
  if (session.error) {
    if (statusOf(session.error) === 401) return <SignIn />;
    return (
      <main>
        <ErrorNote error={session.error} />
      </main>
    );
  }
  const who = session.data.member
    ? `${session.data.member.name} · ${session.data.role}`
    : `API key · ${session.data.role}`;
  return (
    <Shell
      accountName={session.data.account.name}
      who={who}
      brandName={session.data.brand?.name ?? null}
      logo={session.data.brand?.logo_url ?? null}
    />
  );
}

function Screen() {
  const { path } = useLocation();
  let p: Record<string, string> | null;
  if (path === '/' || path === '') return <Overview />;
  if (path === '/events') return <Events />;
  if ((p = match('/events/:id', path))) return <EventDetail id={p.id!} />;
  if (path === '/dead-letters') return <DeadLetters />;
  if (path === '/destinations') return <Destinations />;
  if ((p = match('/destinations/:id', path))) return <DestinationDetail id={p.id!} />;
  if (path === '/sources') return <Sources />;
  if (path === '/routes') return <Routes />;
  if (path === '/event-types') return <EventTypes />;
  if (path === '/api-keys') return <ApiKeys />;
  if (path === '/exports') return <Exports />;
  if (path === '/settings') return <Settings />;
  if (path === '/settings/audit-log') return <AuditLog />;
  if (path === '/settings/members') return <Members />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Back to the overview</Link>.
      </p>
    </>
  );
}

function Shell({
  accountName,
  who,
  brandName,
  logo,
}: {
  accountName: string;
  who: string;
  brandName: string | null;
  logo: string | null;
}) {
  const { path } = useLocation();
  const can = useCan();
  const signOut = useMutation({
    mutationFn: () => client.console.signOut(),
    // A fresh page load: nothing the account's session fetched stays in memory.
    onSettled: () => window.location.assign('/console/'),
  });
  // `/` focuses the screen's search field, as in the consoles operators already use.
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
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="side">
        <div className="brand">
          {logo ? <img src={logo} alt="" /> : <span className="brand-mark" aria-hidden="true" />}
          <span>{brandName ?? 'Hookstream'}</span>
        </div>
        <nav aria-label="Console">
          {NAV.filter(([, , action]) => action === undefined || can(action)).map(([to, name]) => (
            <Link key={to} to={to} aria-current={section === to ? 'page' : undefined}>
              {name}
            </Link>
          ))}
        </nav>
        <div className="foot">
          <span className="muted" title="Signed in account">
            {accountName}
          </span>
          <span className="muted" title="Signed in as">
            {who}
          </span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" tabIndex={-1}>
        <ScreenBoundary resetKey={path}>
          <Screen />
        </ScreenBoundary>
      </main>
    </div>
  );
}
