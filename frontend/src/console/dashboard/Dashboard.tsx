import { isoDay } from '../../shared/dates';
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api';
import { getCharts, getDashboard, type Charts, type ChartsQuery, type Dashboard as DashboardData } from './api';
import { PageHeader } from '../components';
import { formatBytes, formatCount, formatDuration, humanize } from '../format';
import { BarChart, ChartFigure, DayTable, FunnelBars, Sparkline, percent, type Series } from './charts';
import { When } from '../../shared/When';
import { listImporterSlugs } from '../imports/api';
import './Dashboard.css';

type State<T> =
  | { kind: 'loading' }
  | { kind: 'error'; error: ApiError | Error }
  | { kind: 'ready'; data: T };

const toError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/** The console's list page each all-time counter counts. */
const statLinks: Record<string, string> = {
  Importers: '#/importers',
  Imports: '#/imports',
  'Marketplace listings': '#/marketplace/listings',
  'Marketplace end users': '#/marketplace/end-users',
  'Marketplace installs': '#/marketplace/installs',
  'Relay destinations': '#/relay',
  'Relay deliveries': '#/relay/deliveries',
  'API keys': '#/keys',
  'Active sessions': '#/keys',
};

const ranges = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];


function rangeQuery(days: number, importer: string): ChartsQuery {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86400_000);
  return { from: isoDay(from), to: isoDay(to), importer };
}

export default function Dashboard() {
  const [state, setState] = useState<State<DashboardData>>({ kind: 'loading' });
  const [charts, setCharts] = useState<State<Charts>>({ kind: 'loading' });
  const [reload, setReload] = useState(0);
  const [days, setDays] = useState(30);
  const [importer, setImporter] = useState('');
  const [importers, setImporters] = useState<string[]>([]);

  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => (s.kind === 'ready' ? s : { kind: 'loading' }));
    getDashboard(ctl.signal).then(
      (data) => setState({ kind: 'ready', data }),
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ kind: 'error', error: toError(error) });
      },
    );
    return () => ctl.abort();
  }, [reload]);

  useEffect(() => {
    const ctl = new AbortController();
    setCharts((s) => (s.kind === 'ready' ? s : { kind: 'loading' }));
    getCharts(rangeQuery(days, importer), ctl.signal).then(
      (data) => setCharts({ kind: 'ready', data }),
      (error: unknown) => {
        if (!ctl.signal.aborted) setCharts({ kind: 'error', error: toError(error) });
      },
    );
    return () => ctl.abort();
  }, [reload, days, importer]);

  useEffect(() => {
    const ctl = new AbortController();
    listImporterSlugs(ctl.signal).then(setImporters, () => setImporters([]));
    return () => ctl.abort();
  }, []);

  const refresh = useCallback(() => setReload((n) => n + 1), []);

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle="Imports, deliveries and installs over the chosen range; every figure links to the list it counts."
        actions={
          <div className="dash-controls">
            <label>
              <span className="sr-only">Range</span>
              <select aria-label="Range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
                {ranges.map((r) => <option key={r.days} value={r.days}>{r.label}</option>)}
              </select>
            </label>
            <label>
              <span className="sr-only">Importer</span>
              <select aria-label="Importer" value={importer} onChange={(e) => setImporter(e.target.value)}>
                <option value="">All importers</option>
                {importers.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <button type="button" className="button" onClick={refresh}>Refresh</button>
          </div>
        }
      />
      {state.kind === 'error' && <DashboardError error={state.error} onRetry={refresh} />}
      {charts.kind === 'loading' && <p className="muted" role="status">Loading dashboard…</p>}
      {charts.kind === 'error' && !(state.kind === 'error') && <DashboardError error={charts.error} onRetry={refresh} what="charts" />}
      {charts.kind === 'ready' && <ChartsView data={charts.data} />}
      {state.kind === 'ready' && <DashboardView data={state.data} />}
    </>
  );
}

function DashboardError({ error, onRetry, what = 'dashboard' }: { error: Error; onRetry: () => void; what?: string }) {
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
      <strong>The {what} could not be loaded.</strong>
      <p>
        {error.message}
        {error instanceof ApiError && error.code ? <span className="error-code"> ({error.code})</span> : null}
      </p>
      <button type="button" className="button" onClick={onRetry}>Try again</button>
    </div>
  );
}

function Tile({ id, label, value, href, note }: { id: string; label: string; value: string; href: string; note?: string }) {
  return (
    <a className="card stat-card tile" data-tile={id} href={href}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {note && <div className="tile-note">{note}</div>}
    </a>
  );
}

const C = { started: '#3b5bdb', submitted: '#2f9e44', failed: '#e03131', rows: '#1971c2', errors: '#f08c00', installs: '#7048e8' };

function ChartsView({ data }: { data: Charts }) {
  const imp = data.imports;
  const del = data.deliveries;
  const mp = data.marketplace;
  // Each tile opens the list it counts: the same range (UTC days) and importer. "Started" counts every
  // import, the abandoned and cancelled ones too (the list hides them unless hidden=1).
  const days = `from=${data.from}&to=${data.to}`;
  const q = data.importer ? `importer=${encodeURIComponent(data.importer)}` : '';
  const importsHref = (status?: string) => '#/imports?' + [status ? `status=${status}` : 'hidden=1', q, days].filter(Boolean).join('&');
  const installsHref = (more = '') => `#/marketplace/installs?${more}removed=1&${days}`;
  const importSeries: Series[] = [
    { key: 'started', label: 'Started', color: C.started, values: imp.per_day.map((d) => d.started) },
    { key: 'submitted', label: 'Submitted', color: C.submitted, values: imp.per_day.map((d) => d.submitted) },
    { key: 'failed', label: 'Failed', color: C.failed, values: imp.per_day.map((d) => d.failed) },
  ];
  const rowSeries: Series[] = [
    { key: 'rows', label: 'Rows staged', color: C.rows, values: imp.per_day.map((d) => d.rows) },
    { key: 'error_rows', label: 'Rows with errors', color: C.errors, values: imp.per_day.map((d) => d.error_rows) },
    { key: 'records', label: 'Records imported', color: C.submitted, values: imp.per_day.map((d) => d.records) },
  ];
  const installSeries: Series[] = [
    { key: 'installs', label: 'Installs', color: C.installs, values: mp.per_day.map((d) => d.installs) },
  ];
  const rangeText = `${data.from} to ${data.to}${data.importer ? `, importer ${data.importer}` : ''}`;
  return (
    <div className="dashboard">
      <p className="muted dash-range" data-testid="range">{rangeText} (UTC days)</p>
      <section aria-label="Figures for the range" className="stat-grid tiles">
        <Tile id="imports-started" label="Imports started" value={formatCount(imp.started)} href={importsHref()} />
        <Tile id="imports-submitted" label="Imports submitted" value={formatCount(imp.submitted)} href={importsHref('submitted,completed')} />
        <Tile id="imports-failed" label="Imports failed" value={formatCount(imp.failed)} href={importsHref('failed')} />
        <Tile id="records" label="Records imported" value={formatCount(imp.records)} href={importsHref('submitted,completed')} />
        <Tile id="error-rate" label="Row error rate" value={percent(imp.rows ? imp.error_rate : -1)} href={importsHref()}
          note={`${formatCount(imp.error_rows)} of ${formatCount(imp.rows)} rows`} />
        <Tile id="deliveries-delivered" label="Deliveries delivered" value={formatCount(del.delivered)} href={`#/relay/deliveries?status=delivered&${days}`} />
        <Tile id="deliveries-failed" label="Deliveries failed" value={formatCount(del.failed)} href={`#/relay/deliveries?status=failed,dead&${days}`} />
        <Tile id="backlog" label="Delivery backlog" value={formatCount(del.backlog)} href="#/relay/deliveries?status=pending" note="pending now" />
        <Tile id="installs" label="Installs" value={formatCount(mp.installs)} href={installsHref()} />
        <Tile id="end-users" label="End users" value={formatCount(mp.end_users)} href="#/marketplace/end-users" note={`${formatCount(mp.new_end_users)} new`} />
        <Tile id="installs-refused" label="Installs refused" value={formatCount(mp.installs_refused)} href={`#/marketplace/limit-hits?${days}`} note="by a plan limit" />
        <Tile id="deliveries-held" label="Deliveries held" value={formatCount(mp.held_deliveries)} href={`#/relay/deliveries?status=held&${days}`} note="by a plan limit" />
      </section>

      <div className="chart-grid">
        <ChartFigure id="imports-per-day" title="Imports per day" legend={importSeries}
          summary={`${imp.started} started, ${imp.submitted} submitted, ${imp.failed} failed`}
          table={<DayTable days={data.days} series={importSeries} caption="Imports per day (by the day they started)" />}>
          <BarChart days={data.days} series={importSeries} />
        </ChartFigure>
        <ChartFigure id="rows-per-day" title="Rows per day" legend={rowSeries}
          summary={`${imp.rows} rows staged, ${imp.error_rows} with errors (${percent(imp.rows ? imp.error_rate : -1)}), ${imp.records} records imported`}
          table={<DayTable days={data.days} series={rowSeries} caption="Rows per day" />}>
          <BarChart days={data.days} series={rowSeries} />
        </ChartFigure>
      </div>

      <ChartFigure id="funnel" title="Drop-off funnel" summary={data.funnel.steps.map((s, i) => `${s} ${data.funnel.overall[i]}`).join(', ')}
        table={<FunnelTable data={data} />}>
        <div className="funnel-grid">
          <div>
            <h3 className="funnel-title">All importers <span className="muted">({data.funnel.started} started)</span></h3>
            <FunnelBars steps={data.funnel.steps} counts={data.funnel.overall} started={data.funnel.started} />
          </div>
          {data.funnel.by_importer.length > 1 && data.funnel.by_importer.map((f) => (
            <div key={f.importer}>
              <h3 className="funnel-title">{f.name} <span className="muted">({f.started} started)</span></h3>
              <FunnelBars steps={data.funnel.steps} counts={f.counts} started={f.started} />
            </div>
          ))}
        </div>
      </ChartFigure>

      <section className="card" aria-labelledby="health-heading" data-chart="delivery-health">
        <h2 id="health-heading" className="chart-title">Delivery health per destination</h2>
        {del.destinations.length === 0 ? (
          <p className="muted">No relay destinations yet.</p>
        ) : (
          <div className="table-scroll">
            <DeliveryHealthTable data={data} />
          </div>
        )}
      </section>

      <div className="chart-grid">
        <ChartFigure id="installs-per-day" title="Marketplace installs per day" summary={`${mp.installs} installs`}
          table={<DayTable days={data.days} series={installSeries} caption="Installs per day" />}>
          <BarChart days={data.days} series={installSeries} height={120} />
        </ChartFigure>
        <section className="card" aria-labelledby="lp-heading" data-chart="installs-by-listing-plan">
          <h2 id="lp-heading" className="chart-title">Installs by listing and plan</h2>
          {mp.by_listing_plan.length === 0 ? <p className="muted">No installs in this range.</p> : (
            <table className="chart-data visible">
              <thead><tr><th scope="col">Listing</th><th scope="col">Plan</th><th scope="col">Installs</th></tr></thead>
              <tbody>
                {mp.by_listing_plan.map((r) => (
                  <tr key={r.listing + '/' + r.plan} data-listing={r.listing} data-plan={r.plan}>
                    <td>{r.listing_name || r.listing}</td><td>{r.plan || '—'}</td><td data-col="installs"><a href={installsHref(`listing=${encodeURIComponent(r.listing)}&plan=${encodeURIComponent(r.plan)}&`)}>{r.installs}</a></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="activity-heading">
        <h2 id="activity-heading" className="chart-title">Recent activity</h2>
        {data.activity.length === 0 ? <p className="muted">Nothing has happened yet.</p> : (
          <ul className="activity">
            {data.activity.map((a) => (
              <li key={a.kind + a.ref} data-kind={a.kind} className={`activity-${a.kind}`}>
                <span className="activity-kind">{activityKind[a.kind] ?? a.kind}</span>
                <a href={activityHref(a)}>{a.text}</a>
                <When iso={a.at} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

const activityKind: Record<string, string> = { import: 'Import', install: 'Install', delivery_failed: 'Delivery' };

function activityHref(a: Charts['activity'][number]): string {
  switch (a.kind) {
    case 'import':
      return '#/imports/' + encodeURIComponent(a.ref);
    case 'install':
      return '#/marketplace/installs';
    default:
      return '#/relay/deliveries?uid=' + encodeURIComponent(a.ref);
  }
}

function FunnelTable({ data }: { data: Charts }) {
  const f = data.funnel;
  return (
    <table className="chart-data">
      <caption>Imports started in the range that reached each step</caption>
      <thead>
        <tr>
          <th scope="col">Importer</th>
          <th scope="col">Started</th>
          {f.steps.map((s) => <th key={s} scope="col" data-col={s}>{s}</th>)}
        </tr>
      </thead>
      <tbody>
        <tr data-importer="">
          <th scope="row">All importers</th>
          <td data-col="started">{f.started}</td>
          {f.overall.map((n, i) => <td key={f.steps[i]} data-col={f.steps[i]}>{n}</td>)}
        </tr>
        {f.by_importer.map((r) => (
          <tr key={r.importer} data-importer={r.importer}>
            <th scope="row">{r.name}</th>
            <td data-col="started">{r.started}</td>
            {r.counts.map((n, i) => <td key={f.steps[i]} data-col={f.steps[i]}>{n}</td>)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DeliveryHealthTable({ data }: { data: Charts }) {
  // The links open the deliveries the row counts: made on the range's days (the backlog is pending now, any day).
  const list = (id: string, status?: string) =>
    `#/relay/deliveries?destination=${encodeURIComponent(id)}${status ? `&status=${status}` : ''}&from=${data.from}&to=${data.to}`;
  return (
    <table className="chart-data visible health">
      <thead>
        <tr>
          <th scope="col">Destination</th>
          <th scope="col">Per day</th>
          <th scope="col">Success rate</th>
          <th scope="col">Deliveries</th>
          <th scope="col">Attempts</th>
          <th scope="col">p50 / p95</th>
          <th scope="col">Backlog</th>
          <th scope="col">Last error</th>
        </tr>
      </thead>
      <tbody>
        {data.deliveries.destinations.map((d) => (
          <tr key={d.id} data-destination={d.id}>
            <th scope="row"><a href={list(d.id)}>{d.id}</a></th>
            <td><Sparkline ok={d.delivered_per_day} failed={d.failed_per_day} label={d.id} /></td>
            <td data-col="success_rate">{percent(d.success_rate)}</td>
            <td data-col="deliveries">
              <a data-col="delivered" href={list(d.id, 'delivered')}>{d.delivered}</a> delivered, <a data-col="failed" href={list(d.id, 'failed,dead')}>{d.failed} failed</a>
            </td>
            <td data-col="attempts">{d.attempts}</td>
            <td data-col="latency">{d.latency_n ? `${d.p50_ms} / ${d.p95_ms} ms` : '—'}</td>
            <td data-col="backlog"><a href={`#/relay/deliveries?destination=${encodeURIComponent(d.id)}&status=pending`}>{d.backlog}</a></td>
            <td data-col="last_error" className="health-error">
              {d.last_error ? <>{d.last_error} <When iso={d.last_error_at} /></> : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DashboardView({ data }: { data: DashboardData }) {
  return (
    <div className="dashboard dashboard-totals">
      <section aria-label="Statistics" className="stat-grid totals">
        <h2 className="totals-title">All time</h2>
        {data.stats.length === 0 && <p className="muted stat-empty">No statistics are reported yet.</p>}
        {data.stats.map((s) => {
          const href = statLinks[s.name];
          const body = (
            <>
              <div className="stat-label">{humanize(s.name)}</div>
              <div className="stat-value">{formatCount(s.count)}</div>
            </>
          );
          return href ? (
            <a key={s.name} className="card stat-card" data-stat={s.name} href={href}>{body}</a>
          ) : (
            <article key={s.name} className="card stat-card" data-stat={s.name}>{body}</article>
          );
        })}
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
