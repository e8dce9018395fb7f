import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ConfirmDialog } from '../../shared/ConfirmDialog';
import type { ColumnInfo, EmbedApi, GridRow, MappingChange, Progress, ReplaceInput, RowQuery, Summary } from '../api';
import { downloadErrors } from '../download';
import { Grid } from '../grid/Grid';
import { PageCache } from '../grid/pageCache';
import { isSelected, noSelection, selectAll, selectedCount, selectRange, span, toggleRow, type Selection } from '../grid/selection';
import { ErrorBanner, ProgressBar, useI18n } from '../ui';
import '../review.css';
import '../match.css';

export const PAGE_SIZE = 100;
const MAX_PAGES = 30;

/**
 * About how many rows the file has: the rows stored so far scaled by the part of the file read (3
 * digits); null when that says nothing (nothing read yet, or the whole file read ahead at once).
 */
export function estimateRows(p: Pick<Progress, 'rows' | 'bytes_read' | 'bytes_total'>): number | null {
  if (p.rows <= 0 || p.bytes_read <= 0 || p.bytes_total <= p.bytes_read) return null;
  const est = (p.rows * p.bytes_total) / p.bytes_read;
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(est)) - 2);
  return Math.max(p.rows, Math.round(est / unit) * unit);
}

export function ReviewStep({
  api,
  slug,
  columns,
  summary,
  onSummary,
  onContinue,
  onBack,
  remap,
  errorsOnly: startErrorsOnly = false,
  staging = null,
}: {
  api: EmbedApi;
  slug: string;
  columns: ColumnInfo[];
  summary: Summary;
  onSummary: (s: Summary) => void;
  onContinue: () => void;
  /** Back to the mapping (the review's edits of still-mapped columns are kept). */
  onBack?: () => void;
  /** What the last mapping change kept of the edits. */
  remap?: MappingChange | null;
  /** Start with only the rows with errors shown. */
  errorsOnly?: boolean;
  /**
   * Staging's progress while the import is still being checked (summary.partial): the grid shows
   * the rows stored so far, the counts say "so far", and edits, filters, search, find & replace and
   * Continue wait until every row is checked.
   */
  staging?: Progress | null;
}) {
  const { t, num } = useI18n();
  const [tick, bump] = useReducer((x: number) => x + 1, 0);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState(() => {
    if (!remap) return '';
    if (remap.dropped_columns.length > 0) return t('review.remapDropped', { n: remap.dropped_columns.length, columns: remap.dropped_columns.join(', ') });
    return remap.kept_cells + remap.kept_deletes > 0 ? t('review.remapKept') : '';
  });
  const [query, setQuery] = useState<RowQuery>({ filter: startErrorsOnly ? 'errors' : '' });
  const [search, setSearch] = useState('');
  const [selection, setSelection] = useState<Selection>(noSelection);
  const [confirmContinue, setConfirmContinue] = useState(false);
  const fixInput = useRef<HTMLInputElement>(null);
  const [showFind, setShowFind] = useState(false);
  const [find, setFind] = useState<ReplaceInput>({ column: '', find: '', replace: '', regex: false, match_case: false, whole_cell: false });
  const [busy, setBusy] = useState(false);

  const cache = useMemo(
    () =>
      new PageCache<RowQuery, GridRow>(
        { filter: startErrorsOnly ? 'errors' : '' },
        {
          pageSize: PAGE_SIZE,
          maxPages: MAX_PAGES,
          fetchPage: (q, offset, limit, signal) => api.rows(slug, q, offset, limit, signal).then((p) => ({ rows: p.rows, total: p.total })),
          onChange: () => bump(),
          onError: (e) => setError(e instanceof Error ? e.message : String(e)),
        },
      ),
    [api, slug],
  );

  const partial = summary.partial === true;
  const rowsNow = partial ? Math.max(summary.rows, staging?.rows ?? 0) : summary.rows;
  const errorsNow = partial ? Math.max(summary.error_rows, staging?.error_rows ?? 0) : summary.error_rows;
  const warningsNow = partial ? Math.max(summary.warning_rows, staging?.warning_rows ?? 0) : summary.warning_rows;
  const estimate = staging ? estimateRows({ ...staging, rows: rowsNow }) : null;
  // rows keep arriving while staging goes on: the grid grows; when it ends, the pages are fetched
  // again (the first rows of duplicated keys get their finding only then)
  useEffect(() => {
    if (partial) cache.grow(rowsNow);
  }, [cache, partial, rowsNow]);
  const wasPartial = useRef(partial);
  useEffect(() => {
    if (wasPartial.current && !partial) {
      cache.invalidate();
      bump();
    }
    wasPartial.current = partial;
  }, [cache, partial]);

  const firstQuery = useRef(true);
  useEffect(() => {
    if (firstQuery.current) {
      firstQuery.current = false;
      return;
    }
    cache.setQuery(query);
    setSelection(noSelection);
    bump();
  }, [cache, query]);

  // Search as you type, a moment after the last key.
  useEffect(() => {
    const h = setTimeout(() => setQuery((q) => (q.q ?? '') === search ? q : { ...q, q: search || undefined }), 300);
    return () => clearTimeout(h);
  }, [search]);

  const refreshSummary = useCallback(async () => {
    try {
      onSummary(await api.summary(slug));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [api, slug, onSummary]);

  /** After a change on the server: drop cached pages, fetch what is on screen, refresh the counts. */
  const changed = useCallback(async () => {
    cache.invalidate();
    bump();
    await refreshSummary();
  }, [cache, refreshSummary]);

  const onEdit = useCallback(
    async (row: GridRow, col: number, value: string) => {
      setError('');
      try {
        const res = await api.editCell(slug, row.row, columns[col].key, value);
        cache.patchWhere((r) => r.row === res.row.row, res.row);
        for (const a of res.affected ?? []) cache.patchWhere((r) => r.row === a.row, a);
        bump();
        await refreshSummary();
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    [api, slug, columns, cache, refreshSummary],
  );

  async function run(fn: () => Promise<unknown>, after?: (r: unknown) => void) {
    setBusy(true);
    setError('');
    setNotice('');
    try {
      const r = await fn();
      after?.(r);
      await changed();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const undo = () => summary.can_undo && !busy && void run(() => api.undo(slug));
  const redo = () => summary.can_redo && !busy && void run(() => api.redo(slug));

  /** The row numbers of the view's rows from index a to b (from the cache, else from the server). */
  async function rowsAt(a: number, b: number): Promise<number[]> {
    const idx = span(a, b);
    const known = idx.map((i) => cache.row(i)?.row);
    if (known.every((r) => r !== undefined)) return known as number[];
    const out: number[] = [];
    for (let off = Math.min(a, b); off <= Math.max(a, b); off += 1000) {
      const page = await api.rows(slug, query, off, Math.min(1000, Math.max(a, b) - off + 1));
      out.push(...page.rows.map((r) => r.row));
    }
    return out;
  }

  /** Every row number of the current view (for "all selected" with exceptions or a search). */
  async function allRowsOfView(): Promise<number[]> {
    const out: number[] = [];
    for (let off = 0; ; off += 1000) {
      const page = await api.rows(slug, query, off, 1000);
      out.push(...page.rows.map((r) => r.row));
      if (page.rows.length < 1000) return out;
    }
  }

  const onSelectRow = useCallback(
    (row: number, index: number, shift: boolean) => {
      if (!shift || selection.anchor === null) {
        setSelection((s) => toggleRow(s, row, index));
        return;
      }
      const anchorRow = cache.row(selection.anchor)?.row;
      const on = anchorRow === undefined ? true : isSelected(selection, anchorRow);
      const anchor = selection.anchor;
      void rowsAt(anchor, index).then(
        (rows) => setSelection((s) => selectRange(s, on, rows, index)),
        (e) => setError(e instanceof Error ? e.message : String(e)),
      );
    },
    [selection, cache, query],
  );

  function deleteSelected() {
    const sel = selection;
    const plain = !query.column && !query.q && (query.filter === '' || query.filter === 'errors');
    void run(
      async () => {
        // all rows of a view the server can name: one request
        if (sel.all && sel.ids.size === 0 && plain) return query.filter === 'errors' ? api.deleteErrorRows(slug) : api.deleteAllRows(slug);
        let rows = [...sel.ids];
        if (sel.all) {
          const all = await allRowsOfView();
          rows = all.filter((r) => !sel.ids.has(r));
        }
        let deleted = 0;
        for (let i = 0; i < rows.length; i += 100_000) deleted += (await api.deleteRows(slug, rows.slice(i, i + 100_000))).deleted;
        return { deleted };
      },
      (r) => {
        setSelection(noSelection);
        setNotice(t('review.deleted', { n: (r as { deleted: number }).deleted }));
      },
    );
  }

  function deleteErrorRows() {
    void run(
      () => api.deleteErrorRows(slug),
      (r) => {
        setSelection(noSelection);
        setNotice(t('review.deletedErrors', { n: (r as { deleted: number }).deleted }));
      },
    );
  }

  function download(format: 'csv' | 'xlsx') {
    setError('');
    downloadErrors(api, slug, format).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }

  function uploadFixed(file: File) {
    void run(
      () => api.patchErrors(slug, file),
      (r) => {
        const res = r as { rows: number; changed: number };
        setNotice(t('review.patched', { changed: res.changed, rows: res.rows, name: file.name }));
      },
    );
  }

  function next() {
    if (summary.error_rows > 0) setConfirmContinue(true);
    else onContinue();
  }

  function replaceAll() {
    void run(
      () => api.replace(slug, find),
      (r) => {
        const res = r as { cells: number; rows: number };
        setNotice(t('review.replaced', { cells: num(res.cells), rows: num(res.rows) }));
      },
    );
  }


  const columnErrors = useMemo(() => Object.fromEntries(summary.columns.map((c) => [c.key, c.errors])), [summary]);
  const filterLabel = query.column ? columns.find((c) => c.key === query.column)?.label : undefined;
  const errorsOnly = query.filter === 'errors';
  const nSelected = selectedCount(selection, cache.total ?? 0);

  return (
    <section className="fbx-step fbx-review" aria-labelledby="fbx-step-title">
      <div className="fbx-step-head fbx-review-head">
        <h1 id="fbx-step-title" tabIndex={-1}>
          {t('review.title')}
        </h1>
        <div className="fbx-counts" data-testid="counts" data-partial={partial || undefined}>
          {partial ? (
            <>
              <span className="fbx-count partial">{t('review.rowsSoFar', { n: rowsNow })}</span>
              {errorsNow > 0 && <span className="fbx-count errors partial">{t('review.errorRowsSoFar', { n: errorsNow })}</span>}
              {warningsNow > 0 && <span className="fbx-count warnings partial">{t('review.warningRows', { n: warningsNow })}</span>}
            </>
          ) : (
            <>
          <span className="fbx-count">{t('review.rows', { n: summary.rows })}</span>
          {summary.error_rows > 0 ? (
            <span className="fbx-count errors">{t('review.errorRows', { n: summary.error_rows })}</span>
          ) : summary.callback && summary.callback.state !== 'ok' ? (
            <span className="fbx-count warnings">{t('callback.unchecked')}</span>
          ) : (
            <span className="fbx-count ok">{t('review.allValid')}</span>
          )}
          {summary.warning_rows > 0 && <span className="fbx-count warnings">{t('review.warningRows', { n: summary.warning_rows })}</span>}
            </>
          )}
        </div>
      </div>
      {partial && (
        <div className="fbx-staging" data-testid="staging-banner">
          <ProgressBar
            label={estimate === null ? t('review.checkingSoFar', { done: rowsNow }) : t('review.checking', { done: rowsNow, total: estimate })}
            value={estimate === null || !staging ? null : staging.bytes_read / staging.bytes_total}
          />
          <p className="fbx-staging-hint" role="status">
            {t('review.partialHint')}
          </p>
        </div>
      )}
      <div className="fbx-toolbar" role="toolbar" aria-label={t('review.title')}>
        <label className="fbx-switch">
          <input
            type="checkbox"
            checked={errorsOnly}
            disabled={partial}
            title={partial ? t('review.waitAllRows') : undefined}
            onChange={(e) => setQuery((q) => ({ ...q, filter: e.target.checked ? 'errors' : '', column: e.target.checked ? q.column : undefined }))}
          />
          <span>{t('review.errorsOnly')}</span>
        </label>
        {summary.matches && (
          <select
            className="fbx-select"
            data-testid="match-filter"
            aria-label={t('match.label')}
            disabled={partial}
            value={query.filter === 'errors' ? '' : query.filter}
            onChange={(e) => setQuery((q) => ({ ...q, filter: e.target.value as RowQuery['filter'], column: undefined }))}
          >
            <option value="">{t('match.all')}</option>
            {(['new', 'update', 'unchanged'] as const).map((m) => (
              <option key={m} value={m}>
                {t(`match.${m}`, { n: summary.matches?.[m] ?? 0 })}
              </option>
            ))}
          </select>
        )}
        {filterLabel && (
          <button type="button" className="fbx-chip" onClick={() => setQuery((q) => ({ ...q, column: undefined }))} aria-label={t('review.showAll')}>
            {t('review.columnFilter', { field: filterLabel })} ✕
          </button>
        )}
        <input
          type="search"
          className="fbx-search"
          placeholder={t('review.search')}
          aria-label={t('review.search')}
          value={search}
          disabled={partial}
          title={partial ? t('review.waitAllRows') : undefined}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="fbx-spacer" />
        <button type="button" className={showFind ? 'fbx-button active' : 'fbx-button'} aria-expanded={showFind && !partial} onClick={() => setShowFind((v) => !v)} disabled={partial} title={partial ? t('review.waitAllRows') : undefined}>
          {t('review.findReplace')}
        </button>
        <button type="button" className="fbx-button" onClick={undo} disabled={!summary.can_undo || busy} title="Ctrl+Z">
          {t('review.undo')}
        </button>
        <button type="button" className="fbx-button" onClick={redo} disabled={!summary.can_redo || busy} title="Ctrl+Y">
          {t('review.redo')}
        </button>
        {nSelected > 0 && !partial && (
          <button type="button" className="fbx-button danger" onClick={deleteSelected} disabled={busy} data-testid="delete-selected">
            {t('review.delete', { n: nSelected })}
          </button>
        )}
      </div>
      {showFind && !partial && (
        <form
          className="fbx-find"
          onSubmit={(e) => {
            e.preventDefault();
            replaceAll();
          }}
        >
          <label>
            <span>{t('review.find')}</span>
            <input value={find.find} onChange={(e) => setFind({ ...find, find: e.target.value })} />
          </label>
          <label>
            <span>{t('review.replaceWith')}</span>
            <input value={find.replace} onChange={(e) => setFind({ ...find, replace: e.target.value })} />
          </label>
          <label>
            <span>{t('review.inColumn')}</span>
            <select value={find.column} onChange={(e) => setFind({ ...find, column: e.target.value })}>
              <option value="">{t('review.allColumns')}</option>
              {columns.map((c) => (
                <option key={c.key} value={c.key}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label className="fbx-check-label">
            <input type="checkbox" checked={find.match_case} onChange={(e) => setFind({ ...find, match_case: e.target.checked })} />
            <span>{t('review.matchCase')}</span>
          </label>
          <label className="fbx-check-label">
            <input type="checkbox" checked={!!find.whole_cell} onChange={(e) => setFind({ ...find, whole_cell: e.target.checked })} />
            <span>{t('review.wholeCell')}</span>
          </label>
          <label className="fbx-check-label">
            <input type="checkbox" checked={find.regex} onChange={(e) => setFind({ ...find, regex: e.target.checked })} />
            <span>{t('review.regex')}</span>
          </label>
          <button type="submit" className="fbx-button primary" disabled={busy || (!find.find && !find.whole_cell)}>
            {t('review.replaceAll')}
          </button>
        </form>
      )}
      {summary.callback && summary.callback.state !== 'ok' && (
        <div className={`fbx-callback ${summary.callback.state}`} role={summary.callback.state === 'failed' ? 'alert' : 'status'} data-testid="callback-banner">
          {summary.callback.state === 'failed' ? t('callback.failed') : t('callback.running')}
        </div>
      )}
      {summary.error_rows > 0 && !partial && (
        <div className="fbx-errbar" role="group" aria-label={t('review.errorBar', { n: summary.error_rows })} data-testid="error-bar">
          <span className="fbx-errbar-text">{t('review.errorBar', { n: summary.error_rows })}</span>
          <button type="button" className="fbx-button danger" onClick={deleteErrorRows} disabled={busy} data-testid="delete-errors">
            {t('review.deleteErrors', { n: summary.error_rows })}
          </button>
          <button type="button" className="fbx-button" onClick={() => download('csv')} disabled={busy} title={t('review.downloadHint')} data-testid="download-csv">
            {t('review.downloadCsv')}
          </button>
          <button type="button" className="fbx-button" onClick={() => download('xlsx')} disabled={busy} title={t('review.downloadHint')} data-testid="download-xlsx">
            {t('review.downloadXlsx')}
          </button>
          <button type="button" className="fbx-button" onClick={() => fixInput.current?.click()} disabled={busy} data-testid="upload-fixed">
            {t('review.uploadFixed')}
          </button>
        </div>
      )}
      <input
        ref={fixInput}
        type="file"
        accept=".csv,.tsv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        hidden
        aria-label={t('review.uploadFixed')}
        data-testid="fixed-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) uploadFixed(f);
        }}
      />
      {error && <ErrorBanner message={error} onDismiss={() => setError('')} />}
      {notice && (
        <div className="fbx-ok" role="status" data-testid="notice">
          {notice}
        </div>
      )}
      <Grid
        columns={columns}
        columnErrors={columnErrors}
        cache={cache}
        tick={tick}
        selection={selection}
        onSelectRow={onSelectRow}
        onSelectAll={(on) => setSelection(selectAll(on))}
        onEdit={onEdit}
        onFilterColumn={(key) => setQuery((q) => ({ ...q, filter: 'errors', column: q.column === key ? undefined : key }))}
        columnFilter={query.column}
        onUndo={undo}
        onRedo={redo}
        emptyText={errorsOnly ? t('review.noErrors') : t('review.noRows')}
        readOnly={partial}
      />
      <div className="fbx-step-foot">
        {onBack && (
          <button type="button" className="fbx-button" onClick={onBack} disabled={busy || partial}>
            {t('app.back')}
          </button>
        )}
        <span className="fbx-spacer" />
        {partial && (
          <span className="fbx-muted fbx-wait-hint" id="fbx-wait-all">
            {t('review.waitAllRows')}
          </span>
        )}
        <button type="button" className="fbx-button primary" onClick={next} disabled={busy || partial} aria-describedby={partial ? 'fbx-wait-all' : undefined}>
          {t('review.next')}
        </button>
      </div>
      {confirmContinue && (
        <ConfirmDialog
          title={t('review.continueErrors.title', { n: summary.error_rows })}
          body={t(
            summary.invalid_rows === 'exclude'
              ? 'review.continueErrors.exclude'
              : summary.invalid_rows === 'include'
                ? 'review.continueErrors.include'
                : 'review.continueErrors.block',
          )}
          confirm={t('review.continueErrors.yes')}
          dismiss={t('review.continueErrors.no')}
          onConfirm={() => {
            setConfirmContinue(false);
            onContinue();
          }}
          onDismiss={() => setConfirmContinue(false)}
        />
      )}
    </section>
  );
}
