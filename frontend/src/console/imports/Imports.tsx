import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Pager, type Page } from '../../shared/table';
import { LoadError, PageHeader } from '../components';
import { compactJSON, formatDuration } from '../format';
import { useHashRoute, navigate } from '../router';
import type { components } from '../../shared/api-types/v1';

import {
  hiddenStates,
  importStates,
  importsQueryString,
  listImporterSlugs,
  listImports,
  parseImportsQuery,
  type ImportItem,
  type ImportQuery,
} from './api';
import './Imports.css';
import { When } from '../../shared/When';

/** An import as the public API shows it (the detail view reads it there). */
type PublicImport = components['schemas']['Import'];

/** The query part of the console address: "#/imports?status=completed" -> "status=completed". */
function hashQuery(hash: string): string {
  const i = hash.indexOf('?');
  return i < 0 ? '' : hash.slice(i + 1);
}

export default function Imports() {
  const { hash, match } = useHashRoute();
  const slug = decodeURIComponent((match?.rest ?? '').replace(/^\//, ''));
  if (slug) return <ImportDetail slug={slug} />;
  return <ImportsList search={hashQuery(hash)} />;
}

function ImportsList({ search }: { search: string }) {
  const query = parseImportsQuery(search);
  const [data, setData] = useState<Page<ImportItem> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [reload, setReload] = useState(0);
  const [importers, setImporters] = useState<string[]>([]);

  useEffect(() => {
    const ctl = new AbortController();
    setData(null);
    listImports(parseImportsQuery(search), ctl.signal).then(
      (r) => {
        setData(r);
        setError(null);
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return () => ctl.abort();
  }, [search, reload]);

  useEffect(() => {
    const ctl = new AbortController();
    listImporterSlugs(ctl.signal).then(setImporters, () => setImporters([]));
    return () => ctl.abort();
  }, []);

  const go = (q: ImportQuery) => {
    const qs = importsQueryString(q);
    navigate('/imports' + (qs ? '?' + qs : ''));
  };
  const filtered = Boolean(query.status || query.importer || query.from || query.to || query.metadata?.length);

  return (
    <>
      <PageHeader
        title="Imports"
        subtitle="Files that end users imported through an importer, with the metadata of their session."
        actions={<button type="button" className="button" onClick={() => setReload((n) => n + 1)}>Refresh</button>}
      />
      <ImportFilters key={search} initial={query} importers={importers} onApply={(q) => go({ ...q, page: 1 })} />
      {error && <LoadError error={error} onRetry={() => setReload((n) => n + 1)} what="imports" />}
      {!data && !error && <p className="muted" role="status">Loading imports…</p>}
      {data && data.data.length === 0 && (
        <p className="ks-empty">
          {filtered ? 'No imports match these filters.' : 'No imports yet. They appear here when end users submit files through an importer.'}
        </p>
      )}
      {data && data.data.length > 0 && <ImportsTable imports={data.data} />}
      {!query.status && !query.hidden && data && (
        <p className="muted ks-hidden-note" data-testid="hidden-note">
          Abandoned imports (never submitted, idle for more than a day) and cancelled ones are hidden.{' '}
          <a href={'#/imports?' + importsQueryString({ ...query, hidden: true, page: 1 })}>Show them</a>
        </p>
      )}
      {data && data.pagination.total_count > 0 && (
        <Pager pagination={data.pagination} noun="import" onPage={(n) => go({ ...query, page: n })} />
      )}
    </>
  );
}

function ImportFilters({ initial, importers, onApply }: { initial: ImportQuery; importers: string[]; onApply: (q: ImportQuery) => void }) {
  const [status, setStatus] = useState(initial.status ?? '');
  const [importer, setImporter] = useState(initial.importer ?? '');
  const [hidden, setHidden] = useState(!!initial.hidden);
  const [from, setFrom] = useState(initial.from ?? '');
  const [to, setTo] = useState(initial.to ?? '');
  const [meta, setMeta] = useState<[string, string][]>(initial.metadata?.length ? initial.metadata : [['user_id', '']]);

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply({ status, importer, hidden, from, to, metadata: meta.filter(([k, v]) => k.trim() && v !== '') });
  }

  // A state list from a dashboard link ("submitted,completed") is offered as it came.
  const options: string[] = status && !(importStates as string[]).includes(status) ? [...importStates, status] : importStates;
  return (
    <form className="ks-filters" onSubmit={submit} aria-label="Filter imports">
      <label>
        Status{' '}
        <select aria-label="Import status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">All</option>
          {options.map((s) => (
            <option key={s} value={s}>
              {s.replace(/,/g, ' or ')}
            </option>
          ))}
        </select>
      </label>
      <label className="ks-check">
        <input type="checkbox" checked={hidden || (hiddenStates as string[]).includes(status)} disabled={!!status} onChange={(e) => setHidden(e.target.checked)} />{' '}
        Show abandoned and cancelled
      </label>
      <label>
        Importer{' '}
        <select aria-label="Importer" value={importer} onChange={(e) => setImporter(e.target.value)}>
          <option value="">All</option>
          {[...new Set([...importers, ...(importer ? [importer] : [])])].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        From <input type="date" aria-label="Started from" value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        to <input type="date" aria-label="Started to" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      {meta.map(([k, v], i) => (
        <span className="ks-meta-filter" key={i}>
          <label>
            metadata[
            <input
              aria-label={`Metadata key ${i + 1}`}
              value={k}
              onChange={(e) => setMeta(meta.map((m, j) => (j === i ? [e.target.value, m[1]] : m)))}
            />
            ] =
          </label>
          <input
            aria-label={`Metadata value ${i + 1}`}
            value={v}
            placeholder="value"
            onChange={(e) => setMeta(meta.map((m, j) => (j === i ? [m[0], e.target.value] : m)))}
          />
          {meta.length > 1 && (
            <button type="button" className="button" aria-label={`Remove metadata filter ${i + 1}`} onClick={() => setMeta(meta.filter((_, j) => j !== i))}>
              ×
            </button>
          )}
        </span>
      ))}
      <button type="button" className="button" onClick={() => setMeta([...meta, ['', '']])}>
        Add metadata filter
      </button>
      <button type="submit" className="button ks-primary">
        Apply
      </button>
    </form>
  );
}

function ImportsTable({ imports }: { imports: ImportItem[] }) {
  // data-label names each cell's column where a phone shows a row as a card (Imports.css).
  return (
    <div className="table-scroll ks-imports">
      <table className="ks-table" aria-label="Imports">
        <thead>
          <tr>
            <th>Import</th>
            <th>Importer</th>
            <th>Status</th>
            <th>File</th>
            <th>Rows</th>
            <th>Errors</th>
            <th>Who</th>
            <th>Duration</th>
            <th>Started</th>
            <th>Export</th>
          </tr>
        </thead>
        <tbody>
          {imports.map((imp) => (
            <tr key={imp.slug} data-import={imp.slug} data-state={imp.state}>
              <td className="ks-slug" data-label="Import">
                <a href={`#/imports/${encodeURIComponent(imp.slug)}`} title={imp.slug}>
                  <code>{imp.slug}</code>
                </a>
              </td>
              <td data-label="Importer">{imp.template.name}</td>
              <td data-label="Status">
                <span className={`ks-badge ks-status-${imp.state}`} title={imp.failure_reason}>
                  {imp.state}
                </span>
              </td>
              <td className="ks-file" data-col="file" data-label="File">{imp.file_name || <span className="muted">—</span>}</td>
              <td data-col="rows" data-label="Rows">{imp.row_count.toLocaleString('en-US')}</td>
              <td data-col="errors" data-label="Errors">{imp.error_rows > 0 ? <span className="ks-errors">{imp.error_rows.toLocaleString('en-US')}</span> : '0'}</td>
              <td data-col="who" data-label="Who" title={compactJSON(imp.metadata)}>{imp.who || <span className="muted">—</span>}</td>
              <td data-col="duration" data-label="Duration" title={imp.submitted_at ? 'started to submitted' : imp.cancelled_at ? 'started to cancelled' : 'started to last activity'}>
                {formatDuration(imp.duration_seconds)}
              </td>
              <td className="ks-when" data-label="Started"><When iso={imp.created_at} /></td>
              <td className="ks-row-actions" data-label="Export">
                {imp.state === 'completed' || imp.state === 'submitted' ? <ExportLinks slug={imp.slug} /> : <span className="muted">—</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExportLinks({ slug }: { slug: string }) {
  const base = `/api/v1/imports/${encodeURIComponent(slug)}/records`;
  return (
    <>
      <a href={`${base}.csv`} download>
        CSV
      </a>{' '}
      ·{' '}
      <a href={`${base}.ndjson`} download>
        NDJSON
      </a>
    </>
  );
}

interface RecordItem {
  slug: string;
  sort: number;
  data: Record<string, unknown>;
}

/** One import and its first records (the public API's view of it). */
function ImportDetail({ slug }: { slug: string }) {
  const [imp, setImp] = useState<PublicImport | null>(null);
  const [records, setRecords] = useState<Page<RecordItem> | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<Error | null>(null);
  const [reload, setReload] = useState(0);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [file, setFile] = useState<{ name: string; step: string } | null>(null);

  // The importer's column labels and the import's file name (console API).
  useEffect(() => {
    const ctl = new AbortController();
    api.get<{ import: { file_name?: string; step: string; template: { slug: string } } }>(`/api/admin/imports/${encodeURIComponent(slug)}`, ctl.signal).then(
      (r) => {
        setFile({ name: r.import.file_name ?? '', step: r.import.step });
        return api.get<{ columns?: { key: string; label?: string }[] }>(`/api/admin/importers/${encodeURIComponent(r.import.template.slug)}`, ctl.signal);
      },
    ).then(
      (def) => setLabels(Object.fromEntries((def.columns ?? []).map((c) => [c.key, c.label || c.key]))),
      () => undefined, // labels are a nicety: keys stay shown without them
    );
    return () => ctl.abort();
  }, [slug]);

  useEffect(() => {
    const ctl = new AbortController();
    const base = `/api/v1/imports/${encodeURIComponent(slug)}`;
    Promise.all([
      api.get<PublicImport>(base, ctl.signal),
      api.get<Page<RecordItem>>(`${base}/records?page=${page}&per_page=25`, ctl.signal),
    ]).then(
      ([i, r]) => {
        setImp(i);
        setRecords(r);
        setError(null);
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return () => ctl.abort();
  }, [slug, page, reload]);

  const columns = records?.data.length ? Object.keys(records.data[0].data) : [];
  return (
    <>
      <PageHeader
        title="Import"
        subtitle={slug}
        actions={<a className="button" href="#/imports">All imports</a>}
      />
      {error && <LoadError error={error} onRetry={() => setReload((n) => n + 1)} what="import" />}
      {imp && (
        <section className="card ks-section" aria-label="Import">
          <dl className="facts">
            <dt>Importer</dt>
            <dd>
              {imp.template.name} (<code>{imp.template.slug}</code>)
            </dd>
            <dt>Status</dt>
            <dd>
              <span className={`ks-badge ks-status-${imp.status}`}>{imp.status}</span>
              {imp.failure_reason ? <span className="muted"> — {imp.failure_reason}</span> : null}
            </dd>
            <dt>Rows</dt>
            <dd>{imp.row_count.toLocaleString('en-US')}</dd>
            <dt>Metadata</dt>
            <dd>
              <code>{compactJSON(imp.metadata)}</code>
            </dd>
            <dt>Created</dt>
            <dd><When iso={imp.created_at} /></dd>
            <dt>Updated</dt>
            <dd><When iso={imp.updated_at} /></dd>
            <dt>File</dt>
            <dd data-testid="original-file">
              {file?.name ? (
                <a href={`/api/admin/imports/${encodeURIComponent(imp.slug)}/file`} download={file.name}>{file.name}</a>
              ) : (
                <span className="muted">no file uploaded</span>
              )}
            </dd>
            <dt>Records</dt>
            <dd>
              <a href="#records" onClick={(e) => { e.preventDefault(); document.getElementById('records')?.scrollIntoView(); }}>Records below</a>
              {' · '}
              <ExportLinks slug={imp.slug} />
            </dd>
            <dt>Deliveries</dt>
            <dd>
              <a href={`#/relay/deliveries?import=${encodeURIComponent(imp.slug)}`} data-testid="import-deliveries">Deliveries this import caused</a>
            </dd>
          </dl>
        </section>
      )}
      {records && records.data.length === 0 && <p className="ks-empty">No records: the import has not been submitted.</p>}
      {records && records.data.length > 0 && (
        <>
          <div className="table-scroll ks-records" id="records">
          <table className="ks-table" aria-label="Records">
            <thead>
              <tr>
                <th>#</th>
                {columns.map((c) => (
                  <th key={c} data-key={c} title={c}>{labels[c] ?? c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {records.data.map((r) => (
                <tr key={r.slug}>
                  <td>{r.sort}</td>
                  {columns.map((c) => (
                    <td key={c}>{r.data[c] === null || r.data[c] === undefined ? <span className="muted">—</span> : typeof r.data[c] === 'string' ? (r.data[c] as string) : compactJSON(r.data[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          <Pager pagination={records.pagination} noun="record" onPage={setPage} />
        </>
      )}
    </>
  );
}
