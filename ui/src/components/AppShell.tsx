import { NavLink, Outlet } from 'react-router';
import { useApprovals, useUiConfig } from '../api/queries';
import { useCatchUpOnReconnect } from '../api/socket';
import { ApiBanner } from './ApiBanner';
import { RegressionAlerts } from './RegressionAlerts';
import { isSignedOut, SignInNotice } from './SignInNotice';
import { ThemeToggle } from './ThemeToggle';

const links = [
  { to: '/runs', label: 'Runs' },
  { to: '/chat', label: 'Chat' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/start', label: 'Start' },
  { to: '/specs', label: 'Specs' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/agents', label: 'Agents' },
  { to: '/models', label: 'Models' },
  { to: '/dashboards', label: 'Dashboards' },
] as const;

/** The frame of every page: navigation (with the approvals count), the API banner and the theme. */
export function AppShell() {
  useCatchUpOnReconnect();
  const approvals = useApprovals();
  const waiting = approvals.data?.approvals.length ?? 0;
  // Every page needs the API; without a session, say how to sign in instead of showing their 401s.
  const config = useUiConfig();
  const signedOut = isSignedOut(config.error);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/runs" className="brand">
          Troupe
        </NavLink>
        <nav aria-label="Main">
          <ul className="nav">
            {links.map(({ to, label }) => (
              <li key={to}>
                <NavLink to={to}>
                  {label}
                  {to === '/approvals' && waiting > 0 && (
                    <span className="count" data-testid="approvals-count" aria-label={`${waiting} waiting`}>
                      {waiting}
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <ThemeToggle />
      </header>
      <ApiBanner />
      <RegressionAlerts />
      <main id="main" className="content">
        {signedOut ? (
          <SignInNotice message={config.error?.message ?? ''} onRetry={() => void config.refetch()} />
        ) : (
          <Outlet />
        )}
      </main>
    </div>
  );
}
