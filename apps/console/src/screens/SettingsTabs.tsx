// The sections of Settings, as links: each is its own address.
import { Link, useLocation } from '../router.tsx';

const TABS: Array<[string, string]> = [
  ['/settings', 'Account'],
  ['/settings/members', 'Members'],
  ['/settings/audit-log', 'Audit log'],
];

export function SettingsTabs() {
  const { path } = useLocation();
  return (
    <nav className="row tabs" aria-label="Settings sections">
      {TABS.map(([to, name]) => (
        <Link key={to} to={to} aria-current={path === to ? 'page' : undefined}>
          {name}
        </Link>
      ))}
    </nav>
  );
}
