// Console: the importers of the workspace, each with "Try" (the end user's flow, run in the console).
// Sub-routes: #/importers/<slug>/try (ImportersTry.tsx); #/importers/<slug> opens the importer editor
// (ImportersEditor.tsx, loaded on demand).
import { lazy, Suspense, useEffect, useState } from 'react';
import { api } from '../api';
import { EmptyState, PageHeader } from '../components';
import { useHashRoute } from '../router';
import { listImporters, type ImporterSummary } from './api';
import ImportersTry from './ImportersTry';
import './Importers.css';
import { askConfirm } from '../../shared/askConfirm';

const Editor = lazy(() => import('./ImportersEditor'));

export default function Importers() {
  const { match } = useHashRoute();
  // This component's hashchange listener can run before the shell's when the address leaves
  // #/importers: render nothing then, rather than briefly mounting (and fetching) the list.
  if (match && match.route.path !== '/' && match.route.key !== 'importers') return null;
  const parts = (match?.rest ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length >= 2 && parts[1] === 'try') return <ImportersTry slug={parts[0]} />;
  if (parts.length >= 1) {
    return (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Editor slug={parts[0]} />
      </Suspense>
    );
  }
  return <ImportersList />;
}

function ImportersList() {
  const [list, setList] = useState<ImporterSummary[] | null>(null);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);
  const [counts, setCounts] = useState<Record<string, number>>({});

  useEffect(() => {
    // Not aborted on unmount (a page left quickly would log a failed request): a late answer is dropped.
    let stale = false;
    listImporters().then(
      (l) => !stale && setList(l),
      (e: unknown) => !stale && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      stale = true;
    };
  }, [reload]);

  // Imports per importer: the total of GET /api/admin/imports?importer=<slug>.
  useEffect(() => {
    if (!list?.length) return;
    let stale = false;
    for (const imp of list) {
      api
        .get<{ total?: number }>(`/api/admin/imports?${new URLSearchParams({ importer: imp.slug, per_page: '1', hidden: '1' })}`)
        .then((r) => !stale && typeof r?.total === 'number' && setCounts((c) => ({ ...c, [imp.slug]: r.total as number })))
        .catch(() => {});
    }
    return () => {
      stale = true;
    };
  }, [list]);

  async function remove(imp: ImporterSummary) {
    if (!(await askConfirm({ title: `Delete the importer "${imp.slug}"?`, body: 'Its imports are deleted with it.', confirm: 'Delete importer' }))) return;
    try {
      await api.del(`/api/admin/importers/${encodeURIComponent(imp.slug)}`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <>
      <PageHeader
        title="Importers"
        subtitle="CSV and Excel importers that host apps embed with the importer SDK."
        actions={<a className="button primary" href="#/importers/new">New importer</a>}
      />
      {error && (
        <div className="notice notice-error" role="alert">
          <strong>Could not load the importers.</strong>
          <p>{error}</p>
        </div>
      )}
      {!list && !error && <p className="muted" role="status">Loading importers…</p>}
      {list && list.length === 0 && (
        <EmptyState title="No importers yet.">
          <p>Add an <code>importers:</code> section to the workspace file and apply it (<code>fusebox apply</code>).</p>
        </EmptyState>
      )}
      {list && list.length > 0 && (
        <table className="imp-table" aria-label="Importers">
          <thead>
            <tr>
              <th scope="col">Importer</th>
              <th scope="col">Columns</th>
              <th scope="col">Rows with errors</th>
              <th scope="col">Files</th>
              <th scope="col">Imports</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.map((imp) => (
              <tr key={imp.slug} data-slug={imp.slug}>
                <td>
                  <div className="imp-name">{imp.name}</div>
                  <div className="imp-desc">
                    <code>{imp.slug}</code>
                    {imp.description ? ` · ${imp.description}` : ''}
                  </div>
                </td>
                <td>
                  <span className="muted imp-count">{imp.columns.length} ·</span>{' '}
                  {imp.columns.slice(0, 6).map((c) => (
                    <span key={c.key} className="imp-chip" title={c.required ? 'required' : undefined}>
                      {c.label || c.key}
                      {c.required ? ' *' : ''}
                    </span>
                  ))}
                  {imp.columns.length > 6 && <span className="muted"> +{imp.columns.length - 6}</span>}
                </td>
                <td>{imp.settings?.invalid_rows ?? 'block'}</td>
                <td>
                  {(imp.settings?.allowed_file_types?.length ? imp.settings.allowed_file_types : ['any']).join(', ')}
                  {imp.settings?.max_file_size ? ` · ≤ ${imp.settings.max_file_size}` : ''}
                </td>
                <td>
                  {counts[imp.slug] === undefined ? <span className="muted">—</span> : (
                    <a href={`#/importers/${encodeURIComponent(imp.slug)}/imports`}>{counts[imp.slug].toLocaleString('en-US')}</a>
                  )}
                </td>
                <td>
                  <div className="imp-actions">
                    <a className="button" href={`#/importers/${encodeURIComponent(imp.slug)}`}>
                      Edit
                    </a>
                    <a className="button primary" href={`#/importers/${encodeURIComponent(imp.slug)}/try`} aria-label={`Try ${imp.name}`}>
                      Try
                    </a>
                    <button type="button" className="button" aria-label={`Delete ${imp.name}`} onClick={() => remove(imp)}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
