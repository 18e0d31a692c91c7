// The portal's router: the console's History API router, under the base /portal/<account_id>.
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
import { portalBase } from './client.ts';

interface Location {
  path: string;
  search: URLSearchParams;
}

const { base: BASE } = portalBase();

function read(): Location {
  const p = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/';
  return { path: p === '' ? '/' : p, search: new URLSearchParams(window.location.search) };
}

const Ctx = createContext<{ loc: Location; navigate: (to: string) => void }>({
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
  const navigate = useCallback((to: string) => {
    window.history.pushState(null, '', BASE + (to.startsWith('/') ? to : `/${to}`));
    setLoc(read());
    window.scrollTo(0, 0);
  }, []);
  return <Ctx.Provider value={{ loc, navigate }}>{children}</Ctx.Provider>;
}

export const useLocation = (): Location => useContext(Ctx).loc;
export const useNavigate = (): ((to: string) => void) => useContext(Ctx).navigate;

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const navigate = useNavigate();
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={handle} {...rest} />;
}
