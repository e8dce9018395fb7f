// Console: one importer's imports (#/importers/<slug>/imports) from GET /api/admin/imports?importer=,
// and a preview of the records of the chosen one (#/importers/<slug>/imports/<import>) from
// GET /api/admin/imports/{slug}/records. The full import page is the Imports section's (#/imports/<slug>).
import { useEffect, useState } from 'react';
import { api } from '../api';
import { EmptyState, PageHeader } from '../components';
import { formatCount } from '../format';
import './ImporterEditor.css';
import { When } from '../../shared/When';

export interface ImportRow {
  slug: string;
  row_count: number;
  created_at: string;
  status: string;
  step?: string;
  file_name?: string;
  failure_reason?: string;
  metadata?: Record<string, unknown>;
}

interface RecordRow {
  slug: string;
  data: Record<string, unknown>;
  sort?: number;
}

interface RecordsPage {
  records: RecordRow[];
  total: number;
  page: number;
  per_page: number;
}

const PER_PAGE = 25;
const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export default function ImportDetail({ importer, importSlug }: { importer: string; importSlug: string }) {
  const [imports, setImports] = useState<ImportRow[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');

  useEffect(() => {
    let stale = false; // not aborted: a page left quickly would log a failed request
    const q = new URLSearchParams({ importer, per_page: '50', hidden: '1' });
    api.get<{ imports: ImportRow[]; total: number }>(`/api/admin/imports?${q}`).then(
      (r) => {
        if (stale) return;
        setImports(r.imports ?? []);
        setTotal(r.total ?? 0);
      },
      (e: unknown) => !stale && setError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [importer]);

  const base = `#/importers/${encodeURIComponent(importer)}`;
  return (
    <div className="ied">
      <PageHeader
        title={`Imports of ${importer}`}
        subtitle={imports ? `${formatCount(total)} import${total === 1 ? '' : 's'}${total > 50 ? ' (latest 50 shown)' : ''}` : undefined}
        actions={<a className="button" href={base}>Back to the importer</a>}
      />
      {error && (
        <div className="notice notice-error" role="alert">
          <strong>Could not load the imports.</strong>
          <p>{error}</p>
        </div>
      )}
      {!imports && !error && <p className="muted" role="status">Loading imports…</p>}
      {imports && imports.length === 0 && (
        <EmptyState title="No imports yet.">
          <p>Imports appear here once someone uploads a file through this importer.</p>
        </EmptyState>
      )}
      {imports && imports.length > 0 && (
        <table className="imp-table ied-imports" aria-label="Imports">
          <thead>
            <tr>
              <th scope="col">Import</th>
              <th scope="col">Status</th>
              <th scope="col">Rows</th>
              <th scope="col">File</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {imports.map((imp) => (
              <tr key={imp.slug} className={imp.slug === importSlug ? 'selected' : ''} data-import={imp.slug}>
                <td><a href={`${base}/imports/${encodeURIComponent(imp.slug)}`}><code>{imp.slug}</code></a></td>
                <td>
                  <span className={`ied-status-pill s-${imp.status}`}>{imp.status}</span>
                  {imp.failure_reason && <div className="ied-hint">{imp.failure_reason}</div>}
                </td>
                <td>{formatCount(imp.row_count)}</td>
                <td>{imp.file_name || <span className="muted">—</span>}</td>
                <td><When iso={imp.created_at} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {importSlug && <Records key={importSlug} slug={importSlug} />}
    </div>
  );
}

function Records({ slug }: { slug: string }) {
  const [page, setPage] = useState(1);
  const [data, setData] = useState<RecordsPage | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stale = false; // an older page's late answer is dropped
    api.get<RecordsPage>(`/api/admin/imports/${encodeURIComponent(slug)}/records?page=${page}&per_page=${PER_PAGE}`).then(
      (d) => !stale && setData(d),
      (e: unknown) => !stale && setError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [slug, page]);

  const keys = data ? [...new Set(data.records.flatMap((r) => Object.keys(r.data ?? {})))] : [];
  const pages = data ? Math.max(1, Math.ceil(data.total / PER_PAGE)) : 1;
  return (
    <section className="card ied-records" aria-label="Records">
      <div className="ied-list-head">
        <h2>Records of <code>{slug}</code></h2>
        <a className="button small" href={`#/imports/${encodeURIComponent(slug)}`}>Open import</a>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!data && !error && <p className="muted" role="status">Loading records…</p>}
      {data && data.total === 0 && <p className="muted">No records: the import has not been submitted (or every row was excluded).</p>}
      {data && data.total > 0 && (
        <>
          <div className="ied-scroll">
            <table className="imp-table">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  {keys.map((k) => <th key={k} scope="col">{k}</th>)}
                </tr>
              </thead>
              <tbody>
                {data.records.map((r, i) => (
                  <tr key={r.slug}>
                    <td className="muted">{(page - 1) * PER_PAGE + i + 1}</td>
                    {keys.map((k) => <td key={k}>{cell(r.data?.[k])}</td>)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="ied-pager">
            <button type="button" className="button small" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>Previous</button>
            <span className="muted">Page {page} of {pages} · {formatCount(data.total)} records</span>
            <button type="button" className="button small" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>Next</button>
          </div>
        </>
      )}
    </section>
  );
}
