import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { ColumnInfo, EmbedApi, GridRow, ReplaceInput, RowQuery, Summary } from '../api';
import { Grid } from '../grid/Grid';
import { PageCache } from '../grid/pageCache';
import { ErrorBanner, useI18n } from '../ui';

export const PAGE_SIZE = 100;
const MAX_PAGES = 30;

export function ReviewStep({
  api,
  slug,
  columns,
  summary,
  onSummary,
  onContinue,
}: {
  api: EmbedApi;
  slug: string;
  columns: ColumnInfo[];
  summary: Summary;
  onSummary: (s: Summary) => void;
  onContinue: () => void;
}) {
  const { t, num } = useI18n();
  const [tick, bump] = useReducer((x: number) => x + 1, 0);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [query, setQuery] = useState<RowQuery>({ filter: '' });
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [showFind, setShowFind] = useState(false);
  const [find, setFind] = useState<ReplaceInput>({ column: '', find: '', replace: '', regex: false, match_case: false, whole_cell: false });
  const [busy, setBusy] = useState(false);

  const cache = useMemo(
    () =>
      new PageCache<RowQuery, GridRow>(
        { filter: '' },
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

  const firstQuery = useRef(true);
  useEffect(() => {
    if (firstQuery.current) {
      firstQuery.current = false;
      return;
    }
    cache.setQuery(query);
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

  function deleteSelected() {
    const rows = [...selected];
    void run(
      () => api.deleteRows(slug, rows),
      (r) => {
        setSelected(new Set());
        setNotice(t('review.deleted', { n: (r as { deleted: number }).deleted }));
      },
    );
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

  const toggleRow = useCallback((row: number) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(row)) n.delete(row);
      else n.add(row);
      return n;
    });
  }, []);

  const columnErrors = useMemo(() => Object.fromEntries(summary.columns.map((c) => [c.key, c.errors])), [summary]);
  const filterLabel = query.column ? columns.find((c) => c.key === query.column)?.label : undefined;
  const errorsOnly = query.filter === 'errors';

  return (
    <section className="fbx-step fbx-review" aria-labelledby="fbx-step-title">
      <div className="fbx-step-head fbx-review-head">
        <h1 id="fbx-step-title" tabIndex={-1}>
          {t('review.title')}
        </h1>
        <div className="fbx-counts" data-testid="counts">
          <span className="fbx-count">{t('review.rows', { n: summary.rows })}</span>
          {summary.error_rows > 0 ? (
            <span className="fbx-count errors">{t('review.errorRows', { n: summary.error_rows })}</span>
          ) : (
            <span className="fbx-count ok">{t('review.allValid')}</span>
          )}
          {summary.warning_rows > 0 && <span className="fbx-count warnings">{t('review.warningRows', { n: summary.warning_rows })}</span>}
        </div>
      </div>
      <div className="fbx-toolbar" role="toolbar" aria-label={t('review.title')}>
        <label className="fbx-switch">
          <input
            type="checkbox"
            checked={errorsOnly}
            onChange={(e) => setQuery((q) => ({ ...q, filter: e.target.checked ? 'errors' : '', column: e.target.checked ? q.column : undefined }))}
          />
          <span>{t('review.errorsOnly')}</span>
        </label>
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
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="fbx-spacer" />
        <button type="button" className={showFind ? 'fbx-button active' : 'fbx-button'} aria-expanded={showFind} onClick={() => setShowFind((v) => !v)}>
          {t('review.findReplace')}
        </button>
        <button type="button" className="fbx-button" onClick={undo} disabled={!summary.can_undo || busy} title="Ctrl+Z">
          {t('review.undo')}
        </button>
        <button type="button" className="fbx-button" onClick={redo} disabled={!summary.can_redo || busy} title="Ctrl+Y">
          {t('review.redo')}
        </button>
        {selected.size > 0 && (
          <button type="button" className="fbx-button danger" onClick={deleteSelected} disabled={busy}>
            {t('review.delete', { n: selected.size })}
          </button>
        )}
      </div>
      {showFind && (
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
        selected={selected}
        onToggleRow={toggleRow}
        onEdit={onEdit}
        onFilterColumn={(key) => setQuery((q) => ({ ...q, filter: 'errors', column: q.column === key ? undefined : key }))}
        columnFilter={query.column}
        onUndo={undo}
        onRedo={redo}
        emptyText={errorsOnly ? t('review.noErrors') : t('review.noRows')}
      />
      <div className="fbx-step-foot">
        <span className="fbx-spacer" />
        <button type="button" className="fbx-button primary" onClick={onContinue} disabled={busy}>
          {t('review.next')}
        </button>
      </div>
    </section>
  );
}
