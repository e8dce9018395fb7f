// The demo host app: a stand-in for a customer's web app that embeds the Fusebox importer the way the
// docs show. Its backend (backend/httpapi/demo.go) creates importer sessions with the demo secret key
// (server-side sessions), and lists the signed-in user's imports through the imports API. The
// "client-side session" button uses the demo publishable key in the browser instead.
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import FuseboxImporter, { getClientSideToken, type CompletePayload } from '../sdk/importer';
import { formatLocalDateTime, formatLocalTime } from '../shared/dates';
import { LocaleOptions } from '../shared/locales';
import './demo.css';

interface DemoConfig {
  importers: { slug: string; name: string }[];
  publishable_key: string;
  base_url: string;
  user_id: string;
}

interface ApiImport {
  slug: string;
  row_count: number;
  status: string;
  created_at: string;
  template: { name: string; slug: string };
  metadata: Record<string, unknown>;
}

interface LogEntry {
  at: string;
  type: string;
  detail: string;
}

// The marketplace's "Integrations" tab (Integrations.tsx), loaded on demand.
const IntegrationsTab = lazy(() => import('./Integrations'));

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as T & { error?: { message?: string } };
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** The Fusebox server the SDK talks to: this page's origin, or ?fusebox=<origin> (another host name of it). */
function fuseboxBase(): string {
  const p = new URLSearchParams(window.location.search).get('fusebox');
  if (p) {
    try {
      return new URL(p).origin;
    } catch {
      // ignore a malformed parameter
    }
  }
  return window.location.origin;
}

export default function DemoApp() {
  const [config, setConfig] = useState<DemoConfig | null>(null);
  const [error, setError] = useState('');
  const [tab, setTab] = useState<'importer' | 'integrations'>('importer');
  const [userId, setUserId] = useState(() => new URLSearchParams(window.location.search).get('user') ?? '123');
  const [importerSlug, setImporterSlug] = useState('');
  const [inline, setInline] = useState(false);
  const [locale, setLocale] = useState('');
  const [log, setLog] = useState<LogEntry[]>([]);
  const [imports, setImports] = useState<ApiImport[] | null>(null);
  const [lastComplete, setLastComplete] = useState<CompletePayload | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const importer = useRef<FuseboxImporter | null>(null);
  const base = useMemo(fuseboxBase, []);

  const note = useCallback((type: string, detail: string) => {
    setLog((l) => [{ at: formatLocalTime(), type, detail }, ...l].slice(0, 20));
  }, []);

  useEffect(() => {
    fetch('/demo/api/config')
      .then((r) => json<DemoConfig>(r))
      .then((c) => {
        setConfig(c);
        const preferred = c.importers.find((i) => i.slug === 'contacts') ?? c.importers[0];
        setImporterSlug((s) => s || preferred?.slug || '');
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  const loadImports = useCallback(async () => {
    try {
      const res = await fetch(`/demo/api/imports?user_id=${encodeURIComponent(userId)}`);
      const body = await json<{ data: ApiImport[] }>(res);
      setImports(body.data);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [userId]);

  useEffect(() => {
    void loadImports();
  }, [loadImports]);

  function open(clientSide: boolean) {
    setError('');
    importer.current?.close();
    const imp = new FuseboxImporter({
      baseUrl: base,
      modal: !inline,
      container: inline ? container.current ?? undefined : undefined,
      locale: locale || undefined,
    });
    if (clientSide) {
      // Client-side session: the publishable key is in the page. Trusted internal tools and testing only.
      imp.getSessionToken = getClientSideToken({
        importer_slug: importerSlug,
        api_key: config?.publishable_key ?? '',
        metadata: { user_id: userId },
      });
    } else {
      // Server-side session: this app's backend creates it with its secret key.
      imp.getSessionToken = async () => {
        const res = await fetch('/demo/api/session', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ importer_slug: importerSlug, user_id: userId }),
        });
        return (await json<{ token: string }>(res)).token;
      };
    }
    imp.onComplete = (result) => {
      setLastComplete(result);
      note('complete', `${result.import}: ${result.counts.records} records (${result.counts.rows} rows)`);
      void loadImports();
    };
    imp.onCancel = () => note('cancel', 'the user cancelled');
    imp.onError = (e) => note('error', `${e.code}: ${e.message}`);
    importer.current = imp;
    imp.setCustomStyles({ colors: { primaryColor: '#0b7285', secondaryColor: '#e3fafc' } });
    imp.show();
    note('show', `${clientSide ? 'client-side' : 'server-side'} session, ${inline ? 'inline' : 'modal'}`);
  }

  // Expose the last complete event for the end-to-end tests (and curious developers).
  useEffect(() => {
    (window as unknown as { fuseboxDemo?: unknown }).fuseboxDemo = { lastComplete, log };
  }, [lastComplete, log]);

  return (
    <div className="demo">
      <header className="demo-top">
        <div className="demo-brand">
          <span className="demo-logo" aria-hidden="true">A</span>
          <div>
            <h1>Fusebox Demo App</h1>
            <p className="demo-sub">Acme CRM — a stand-in for your web app, embedding the Fusebox importer.</p>
          </div>
        </div>
        <label className="demo-user">
          <span>Signed in as user</span>
          <input value={userId} onChange={(e) => setUserId(e.target.value.trim() || '123')} aria-label="User id" size={8} />
        </label>
      </header>

      <nav className="demo-tabs" role="tablist" aria-label="Demo">
        <button role="tab" aria-selected={tab === 'importer'} className={tab === 'importer' ? 'active' : ''} onClick={() => setTab('importer')}>
          Importer
        </button>
        <button
          role="tab"
          aria-selected={tab === 'integrations'}
          className={tab === 'integrations' ? 'active' : ''}
          onClick={() => setTab('integrations')}
        >
          Integrations
        </button>
      </nav>

      {error && (
        <p className="demo-error" role="alert">
          {error}
        </p>
      )}

      {tab === 'integrations' ? (
        <Suspense fallback={<p className="demo-muted">Loading…</p>}>
          <IntegrationsTab userId={userId} />
        </Suspense>
      ) : (
        <main className="demo-main">
          <section className="demo-card">
            <h2>Import contacts</h2>
            <p className="demo-muted">
              Upload a CSV or Excel file. The importer runs in an iframe served by Fusebox at <code>{base}</code>; this page only gets the
              events.
            </p>
            <div className="demo-form">
              <label>
                <span>Importer</span>
                <select value={importerSlug} onChange={(e) => setImporterSlug(e.target.value)} aria-label="Importer">
                  {config?.importers.map((i) => (
                    <option key={i.slug} value={i.slug}>
                      {i.name} ({i.slug})
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span>Language</span>
                <select value={locale} onChange={(e) => setLocale(e.target.value)} aria-label="Language">
                  <option value="">Browser default</option>
                  <LocaleOptions />
                </select>
              </label>
              <label className="demo-check">
                <input type="checkbox" checked={inline} onChange={(e) => setInline(e.target.checked)} />
                <span>Inline (in the page) instead of a modal</span>
              </label>
            </div>
            <div className="demo-actions">
              <button className="demo-button primary" onClick={() => open(false)} disabled={!importerSlug}>
                Import data
              </button>
              <button className="demo-button" onClick={() => open(true)} disabled={!importerSlug || !config?.publishable_key}>
                Import data (client-side session)
              </button>
            </div>
            <p className="demo-muted demo-small">
              “Import data” asks this app’s backend (<code>POST /demo/api/session</code>), which calls{' '}
              <code>POST /api/v1/importer/sessions</code> with the secret key and <code>metadata: {'{'} user_id {'}'}</code>. The client-side
              button uses the publishable key in the browser — for trusted internal tools and testing only.
            </p>
          </section>

          <div ref={container} className={inline ? 'demo-inline' : 'demo-inline hidden'} />

          <section className="demo-card">
            <div className="demo-card-head">
              <h2>Your imports</h2>
              <button className="demo-button" onClick={() => void loadImports()}>
                Refresh
              </button>
            </div>
            <p className="demo-muted demo-small">
              From <code>GET /api/v1/imports?metadata[user_id]={userId}</code>, called by this app’s backend.
            </p>
            {imports === null ? (
              <p className="demo-muted">Loading…</p>
            ) : imports.length === 0 ? (
              <p className="demo-muted">No imports yet for user {userId}.</p>
            ) : (
              <div className="demo-table-scroll">
                <table className="demo-table" aria-label="Your imports">
                  <thead>
                    <tr>
                      <th>Import</th>
                      <th>Importer</th>
                      <th>Rows</th>
                      <th>Status</th>
                      <th>Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {imports.map((i) => (
                      <tr key={i.slug} data-slug={i.slug}>
                        <td>
                          <code>{i.slug}</code>
                        </td>
                        <td>{i.template?.name}</td>
                        <td>{i.row_count.toLocaleString()}</td>
                        <td>
                          <span className={`demo-status ${i.status}`}>{i.status}</span>
                        </td>
                        <td>{formatLocalDateTime(i.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="demo-card">
            <h2>Events from the importer</h2>
            {log.length === 0 ? (
              <p className="demo-muted">Nothing yet. Events arrive through postMessage, checked against the importer’s origin.</p>
            ) : (
              <ul className="demo-log" aria-label="Events">
                {log.map((l, i) => (
                  <li key={i}>
                    <span className="demo-muted">{l.at}</span> <strong>{l.type}</strong> {l.detail}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </main>
      )}
    </div>
  );
}
