import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api';
import { getDashboard, type Dashboard as DashboardData } from './api';
import { PageHeader } from '../components';
import { formatBytes, formatCount, formatDuration, humanize } from '../format';

type State =
  | { kind: 'loading' }
  | { kind: 'error'; error: ApiError | Error }
  | { kind: 'ready'; data: DashboardData };

export default function Dashboard() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => (s.kind === 'ready' ? s : { kind: 'loading' }));
    getDashboard(ctl.signal).then(
      (data) => setState({ kind: 'ready', data }),
      (error: unknown) => {
        if (ctl.signal.aborted) return;
        setState({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => ctl.abort();
  }, [reload]);

  const refresh = useCallback(() => setReload((n) => n + 1), []);

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle="What this Fusebox holds and where it keeps it."
        actions={<button type="button" className="button" onClick={refresh}>Refresh</button>}
      />
      {state.kind === 'loading' && <p className="muted" role="status">Loading dashboard…</p>}
      {state.kind === 'error' && <DashboardError error={state.error} onRetry={refresh} />}
      {state.kind === 'ready' && <DashboardView data={state.data} />}
    </>
  );
}

function DashboardError({ error, onRetry }: { error: Error; onRetry: () => void }) {
  if (error instanceof ApiError && error.unauthorized) {
    return (
      <div className="notice notice-warn" role="alert">
        <strong>You are not signed in to this console.</strong>
        <p>
          Open the login URL printed by <code>fusebox serve</code> (the line starting with <code>Console:</code>).
          It signs this browser in with a one-time code.
        </p>
      </div>
    );
  }
  return (
    <div className="notice notice-error" role="alert">
      <strong>The dashboard could not be loaded.</strong>
      <p>
        {error.message}
        {error instanceof ApiError && error.code ? <span className="error-code"> ({error.code})</span> : null}
      </p>
      <button type="button" className="button" onClick={onRetry}>Try again</button>
    </div>
  );
}

function DashboardView({ data }: { data: DashboardData }) {
  return (
    <div className="dashboard">
      <section aria-label="Statistics" className="stat-grid">
        {data.stats.length === 0 && <p className="muted stat-empty">No statistics are reported yet.</p>}
        {data.stats.map((s) => (
          <article key={s.name} className="card stat-card" data-stat={s.name}>
            <div className="stat-label">{humanize(s.name)}</div>
            <div className="stat-value">{formatCount(s.count)}</div>
          </article>
        ))}
      </section>

      <section className="card server-card" aria-labelledby="server-heading">
        <h2 id="server-heading">Server</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="version">{data.version}</dd>
          <dt>Uptime</dt>
          <dd>{formatDuration(data.uptime_seconds)}</dd>
          <dt>Data directory</dt>
          <dd><code>{data.data_dir}</code></dd>
          <dt>Database</dt>
          <dd><code>{data.db_path}</code></dd>
          <dt>Database size</dt>
          <dd>{formatBytes(data.db_size_bytes)}</dd>
          <dt>Schema version</dt>
          <dd>{data.schema_version}</dd>
        </dl>
      </section>
    </div>
  );
}
