// A small router over the History API: paths under /console/, links that are real <a href>s.
import {
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
  createContext,
  useCallback,
  useContext,
  useEffect,
  useState,
} from 'react';

const BASE = '/console';

interface Location {
  path: string;
  search: URLSearchParams;
}

function read(): Location {
  const p = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length)
    : window.location.pathname;
  return { path: p === '' ? '/' : p, search: new URLSearchParams(window.location.search) };
}

const Ctx = createContext<{ loc: Location; navigate: (to: string, replace?: boolean) => void }>({
  loc: read(),
  navigate: () => undefined,
});

export function RouterProvider({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const onPop = () => setLoc(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, replace = false) => {
    const url = BASE + (to.startsWith('/') ? to : `/${to}`);
    if (replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    setLoc(read());
    if (!replace) window.scrollTo(0, 0);
  }, []);
  return <Ctx.Provider value={{ loc, navigate }}>{children}</Ctx.Provider>;
}

export function useLocation(): Location {
  return useContext(Ctx).loc;
}

export function useNavigate(): (to: string, replace?: boolean) => void {
  return useContext(Ctx).navigate;
}

/** Matches `/events/:id` style patterns; the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(b[i]!);
    else if (seg !== b[i]) return null;
  }
  return params;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const navigate = useNavigate();
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={handle} {...rest} />;
}
