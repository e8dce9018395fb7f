import { useEffect, useRef, useState } from 'react';
import { getHealth, getWhoami, reportReady } from './api';
import { routes } from './routes';
import { navigate, useHashRoute } from './router';
import { EmptyState, PageHeader } from './components';
import DesktopInbox from './desktop/DesktopInbox';

export default function App() {
  const { match } = useHashRoute();
  const [version, setVersion] = useState('');
  const reported = useRef(false);
  const firstPage = useRef(match?.route.key ?? 'unknown');

  // Once per load: learn the server version and tell the server the console
  // rendered (POST /api/admin/ready). The desktop smoke test waits for the
  // server's log line for this call coming through the window.
  useEffect(() => {
    if (reported.current) return;
    reported.current = true;
    getHealth()
      .then((h) => {
        setVersion(h.version);
        return reportReady(firstPage.current, h.version);
      })
      .catch((err: unknown) => {
        console.warn('fusebox: console readiness report failed:', err);
      });
    // The desktop window started with --open ROUTE opens that page once.
    getWhoami()
      .then((me) => {
        if (me.open_route) navigate(me.open_route);
      })
      .catch(() => {
        // Not logged in (the page shows that itself) or an older server: stay where we are.
      });
  }, []);

  const Page = match?.route.page;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Console">
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Fusebox</span>
        </a>
        <ul className="nav">
          {routes.map((r) => (
            <li key={r.key}>
              <a
                href={'#' + r.path}
                className={match?.route.key === r.key ? 'nav-link active' : 'nav-link'}
                aria-current={match?.route.key === r.key ? 'page' : undefined}
              >
                {r.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">{version ? `Fusebox ${version}` : ''}</div>
      </nav>
      <main className="content">
        {Page ? (
          <Page />
        ) : (
          <>
            <PageHeader title="Not found" />
            <EmptyState title="There is no console page at this address.">
              <p><a href="#/">Go to the dashboard</a></p>
            </EmptyState>
          </>
        )}
      </main>
      <DesktopInbox />
    </div>
  );
}
