// The sections of Settings, as links: each is its own address.
import { Link, useLocation } from '../router.tsx';
import { type Action, useCan } from '../permissions.ts';

const TABS: Array<[string, string, Action]> = [
  ['/settings', 'Account', 'read'],
  ['/settings/members', 'Members', 'read'],
  ['/settings/audit-log', 'Audit log', 'audit.read'],
];

export function SettingsTabs() {
  const { path } = useLocation();
  const can = useCan();
  return (
    <nav className="row tabs" aria-label="Settings sections">
      {TABS.filter(([, , action]) => can(action)).map(([to, name]) => (
        <Link key={to} to={to} aria-current={path === to ? 'page' : undefined}>
          {name}
        </Link>
      ))}
    </nav>
  );
}
