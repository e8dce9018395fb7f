// The review grid: virtualized rows paged from the server through a PageCache, invalid cells
// highlighted with their message, inline editing, keyboard navigation (arrows, Page Up/Down,
// Home/End, Enter/F2 to edit, typing to replace, Delete to clear, Ctrl+Z / Ctrl+Y), row selection
// (click, shift-click ranges, the header checkbox for all rows). Cells show the value submit stores
// (the server's cleaned value: "George" for "george"), with the file's value on hover and in the
// status line ("george → George").
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ColumnInfo, GridRow, RowQuery } from '../api';
import { findingText } from '../i18n';
import { useI18n } from '../ui';
import { scrollTopFor, viewport, type PageCache } from './pageCache';
import { allState, isSelected, type Selection } from './selection';

export const ROW_H = 32;
const HEADER_H = 44;
const ROWNUM_W = 86;
const CHECK_W = 36;
const OVERSCAN = 6;

function widthOf(c: ColumnInfo): number {
  switch (c.type) {
    case 'boolean':
      return 110;
    case 'integer':
    case 'float':
    case 'date':
    case 'time':
      return 140;
    case 'email':
    case 'url':
      return 230;
    default:
      return Math.min(260, Math.max(150, c.label.length * 9 + 60));
  }
}

export interface GridProps {
  columns: ColumnInfo[];
  /** Errors per column key (header badges). */
  columnErrors: Record<string, number>;
  cache: PageCache<RowQuery, GridRow>;
  /** Bumped by the owner whenever the cache changed (re-render). */
  tick: number;
  selection: Selection;
  /** A row's checkbox (or Shift+Space): `shift` extends from the last clicked row. */
  onSelectRow: (row: number, index: number, shift: boolean) => void;
  /** The header checkbox: every row of the view, or none. */
  onSelectAll: (on: boolean) => void;
  onEdit: (row: GridRow, col: number, value: string) => Promise<void>;
  onFilterColumn: (key: string) => void;
  columnFilter?: string;
  onUndo: () => void;
  onRedo: () => void;
  emptyText: string;
  /** No edits, no column filters, no select-all (the import is still being checked). */
  readOnly?: boolean;
}

interface Cell {
  index: number;
  col: number;
}

export function Grid(props: GridProps) {
  const { columns, cache, tick, selection } = props;
  const { t, num } = useI18n();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(400);
  const [viewW, setViewW] = useState(0);
  const [active, setActive] = useState<Cell>({ index: 0, col: 0 });
  const [editing, setEditing] = useState<{ index: number; col: number; value: string } | null>(null);
  const [pending, setPending] = useState<Map<string, string>>(new Map());
  // Columns get their natural width; when they do not fill the grid, the rest is shared out.
  const widths = useMemo(() => {
    const base = columns.map(widthOf);
    const sum = ROWNUM_W + CHECK_W + base.reduce((a, b) => a + b, 0);
    const extra = viewW - sum - 2;
    if (extra <= 0 || base.length === 0) return base;
    const each = Math.floor(extra / base.length);
    return base.map((w) => w + each);
  }, [columns, viewW]);
  const lefts = useMemo(() => {
    const out: number[] = [];
    let x = ROWNUM_W + CHECK_W;
    for (const w of widths) {
      out.push(x);
      x += w;
    }
    return out;
  }, [widths]);
  const totalWidth = ROWNUM_W + CHECK_W + widths.reduce((a, b) => a + b, 0);
  const colIndex = useMemo(() => new Map(columns.map((c, i) => [c.key, i])), [columns]);

  const total = cache.total ?? 0;
  const vp = viewport(total, ROW_H, scrollTop, viewH);
  const start = Math.max(0, vp.first - OVERSCAN);
  const end = Math.min(total - 1, vp.last + OVERSCAN);

  // Measure the viewport.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => {
      setViewH(Math.max(ROW_H, el.clientHeight - HEADER_H));
      setViewW(el.clientWidth);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Ask for the rows on screen (and a margin) whenever the window moves or the data changed.
  useEffect(() => {
    cache.ensure(start, Math.max(start, end));
  }, [cache, start, end, tick]);

  // Keep the active cell inside the grid when the row count shrinks.
  useEffect(() => {
    if (total > 0 && active.index >= total) setActive((a) => ({ ...a, index: total - 1 }));
  }, [total, active.index]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el) setScrollTop(el.scrollTop);
  }, []);

  /** Scrolls so the cell is visible (vertical through the scaled geometry, horizontal directly). */
  const reveal = useCallback(
    (c: Cell) => {
      const el = scroller.current;
      if (!el) return;
      const v = viewport(total, ROW_H, el.scrollTop, viewH);
      const fullRows = Math.max(1, Math.floor(viewH / ROW_H));
      if (c.index < v.first || (c.index === v.first && v.offsetTop < el.scrollTop)) {
        el.scrollTop = scrollTopFor(c.index, total, ROW_H, viewH);
      } else if (c.index >= v.first + fullRows) {
        el.scrollTop = scrollTopFor(c.index - fullRows + 1, total, ROW_H, viewH) + 1;
      }
      const left = lefts[c.col] ?? 0;
      const right = left + (widths[c.col] ?? 0);
      const sticky = ROWNUM_W + CHECK_W;
      if (left - sticky < el.scrollLeft) el.scrollLeft = left - sticky;
      else if (right > el.scrollLeft + el.clientWidth) el.scrollLeft = right - el.clientWidth;
      setScrollTop(el.scrollTop);
    },
    [total, viewH, lefts, widths],
  );

  const move = (index: number, col: number) => {
    if (total === 0) return;
    const c = { index: Math.min(total - 1, Math.max(0, index)), col: Math.min(columns.length - 1, Math.max(0, col)) };
    setActive(c);
    reveal(c);
  };

  const valueAt = (row: GridRow | undefined, col: number): string => {
    if (!row) return '';
    const p = pending.get(`${row.row}:${col}`);
    return p ?? row.values[col] ?? '';
  };

  /** What the cell shows: the value submit stores (cleaned), or an edit on its way to the server. */
  const shownAt = (row: GridRow, col: number): string => {
    const p = pending.get(`${row.row}:${col}`);
    if (p !== undefined) return p;
    const raw = row.values[col] ?? '';
    // a cell with a finding keeps the text to fix
    if (row.issues.some((i) => i.column === columns[col]?.key)) return raw;
    return row.cleaned?.[col] ?? raw;
  };

  // The editor commits once: Enter/Tab and the blur that follows the input's removal must not both save.
  const editingRef = useRef(editing);
  editingRef.current = editing;

  function finishEdit(save: boolean) {
    const ed = editingRef.current;
    if (!ed) return;
    editingRef.current = null;
    setEditing(null);
    if (save) void commit(ed.index, ed.col, ed.value);
  }

  async function commit(index: number, col: number, value: string) {
    const row = cache.row(index);
    if (!row || (row.values[col] ?? '') === value) return;
    const key = `${row.row}:${col}`;
    setPending((m) => new Map(m).set(key, value));
    try {
      await props.onEdit(row, col, value);
    } finally {
      setPending((m) => {
        const n = new Map(m);
        n.delete(key);
        return n;
      });
    }
  }

  function startEdit(index: number, col: number, initial?: string) {
    if (props.readOnly) return;
    const row = cache.row(index);
    if (!row) return;
    setEditing({ index, col, value: initial ?? valueAt(row, col) });
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (editing) return; // the editor handles its keys
    const { index, col } = active;
    const page = Math.max(1, Math.floor(viewH / ROW_H) - 1);
    const mod = e.ctrlKey || e.metaKey;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        move(index + 1, col);
        break;
      case 'ArrowUp':
        move(index - 1, col);
        break;
      case 'ArrowRight':
        move(index, col + 1);
        break;
      case 'ArrowLeft':
        move(index, col - 1);
        break;
      case 'PageDown':
        move(index + page, col);
        break;
      case 'PageUp':
        move(index - page, col);
        break;
      case 'Home':
        move(mod ? 0 : index, 0);
        break;
      case 'End':
        move(mod ? total - 1 : index, columns.length - 1);
        break;
      case 'Tab':
        if (e.shiftKey ? col > 0 : col < columns.length - 1) move(index, col + (e.shiftKey ? -1 : 1));
        else handled = false;
        break;
      case 'Enter':
      case 'F2':
        startEdit(index, col);
        break;
      case 'Delete':
      case 'Backspace':
        void commit(index, col, '');
        break;
      case ' ':
        if (e.shiftKey) {
          const row = cache.row(index);
          if (row) props.onSelectRow(row.row, index, false);
        } else handled = false;
        break;
      default:
        if (mod && (e.key === 'z' || e.key === 'Z')) {
          if (e.shiftKey) props.onRedo();
          else props.onUndo();
        } else if (mod && (e.key === 'y' || e.key === 'Y')) {
          props.onRedo();
        } else if (!mod && !e.altKey && e.key.length === 1) {
          startEdit(index, col, e.key);
        } else {
          handled = false;
        }
    }
    if (handled) e.preventDefault();
  }

  const activeRow = cache.row(active.index);
  const activeIssue = activeRow?.issues.find((i) => colIndex.get(i.column) === active.col);
  const activeRaw = activeRow ? activeRow.values[active.col] ?? '' : '';
  const activeClean = activeRow ? shownAt(activeRow, active.col) : '';
  const headState = allState(selection, total);
  const rowsOnScreen = [];
  for (let i = start; i <= end; i++) rowsOnScreen.push(i);
  const blockTop = HEADER_H + vp.offsetTop - (vp.first - start) * ROW_H;
  const activeId = total > 0 ? `fbx-cell-${active.index}-${active.col}` : undefined;

  return (
    <div className="fbx-grid-wrap">
      <div
        ref={scroller}
        className="fbx-grid-scroll"
        role="grid"
        aria-label={t('review.grid')}
        aria-rowcount={total + 1}
        aria-colcount={columns.length + 2}
        aria-readonly={props.readOnly || undefined}
        aria-activedescendant={editing ? undefined : activeId}
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        data-testid="grid"
        data-total={total}
        data-first={vp.first}
        data-last={vp.last}
      >
        <div style={{ height: HEADER_H + vp.scrollHeight, width: totalWidth, position: 'relative' }}>
          <div className="fbx-grid-header" role="row" aria-rowindex={1} style={{ height: HEADER_H, width: totalWidth }}>
            <div role="columnheader" className="fbx-gh fbx-sticky" style={{ width: ROWNUM_W, left: 0 }}>
              {t('review.rowNumber')}
            </div>
            <div role="columnheader" className="fbx-gh fbx-sticky fbx-check" style={{ width: CHECK_W, left: ROWNUM_W }} aria-label={t('review.selection')}>
              <input
                type="checkbox"
                tabIndex={-1}
                checked={headState === 'all'}
                ref={(el) => {
                  if (el) el.indeterminate = headState === 'some';
                }}
                disabled={total === 0 || props.readOnly}
                onChange={(e) => props.onSelectAll(e.target.checked)}
                aria-label={t('review.selectAll')}
                data-testid="select-all"
              />
            </div>
            {columns.map((c, ci) => {
              const errs = props.columnErrors[c.key] ?? 0;
              return (
                <div role="columnheader" key={c.key} className="fbx-gh" style={{ width: widths[ci] }} title={c.description || c.label}>
                  <span className="fbx-gh-label">
                    {c.label}
                    {c.required && <span className="fbx-req" aria-label={t('mapping.required')}>*</span>}
                  </span>
                  {errs > 0 && (
                    <button
                      type="button"
                      className={props.columnFilter === c.key ? 'fbx-err-badge active' : 'fbx-err-badge'}
                      onClick={() => props.onFilterColumn(c.key)}
                      disabled={props.readOnly}
                      aria-pressed={props.columnFilter === c.key}
                      title={t('review.columnFilter', { field: c.label })}
                      data-testid={`col-errors-${c.key}`}
                    >
                      {t('review.errorsCount', { n: errs })}
                    </button>
                  )}
                </div>
              );
            })}
          </div>
          {total === 0 && cache.total !== null && <div className="fbx-grid-empty">{props.emptyText}</div>}
          <div className="fbx-grid-body" style={{ top: blockTop, width: totalWidth }}>
            {rowsOnScreen.map((index) => {
              const row = cache.row(index);
              const issues = new Map<number, GridRow['issues'][number]>();
              for (const is of row?.issues ?? []) {
                const ci = colIndex.get(is.column);
                if (ci !== undefined && (issues.get(ci)?.severity !== 'error' || is.severity === 'error')) issues.set(ci, is);
              }
              const isSel = row ? isSelected(selection, row.row) : false;
              return (
                <div
                  key={index}
                  role="row"
                  aria-rowindex={index + 2}
                  aria-selected={isSel}
                  className={`fbx-gr${row ? '' : ' loading'}${isSel ? ' selected' : ''}${row && row.errors > 0 ? ' has-errors' : ''}`}
                  style={{ height: ROW_H }}
                  data-row={row?.row}
                >
                  <div role="rowheader" className="fbx-gc fbx-rownum fbx-sticky" style={{ width: ROWNUM_W, left: 0 }}>
                    {row && row.errors > 0 && (
                      // on a narrow screen the cells with errors may be off to the right: the
                      // row number says the row has some and goes to the first
                      <button
                        type="button"
                        tabIndex={-1}
                        className="fbx-row-err"
                        aria-label={t('review.rowErrorsJump', { n: row.row })}
                        title={t('review.rowErrorsJump', { n: row.row })}
                        onClick={() => {
                          move(index, firstErrorCol(issues));
                          scroller.current?.focus();
                        }}
                      >
                        !
                      </button>
                    )}
                    {row ? num(row.row) : ''}
                  </div>
                  <div role="gridcell" className="fbx-gc fbx-check fbx-sticky" style={{ width: CHECK_W, left: ROWNUM_W }}>
                    {row && (
                      <input
                        type="checkbox"
                        tabIndex={-1}
                        checked={isSel}
                        onChange={(e) => props.onSelectRow(row.row, index, (e.nativeEvent as MouseEvent).shiftKey === true)}
                        aria-label={t('review.selectRow', { n: row.row })}
                      />
                    )}
                  </div>
                  {columns.map((c, ci) => {
                    const issue = issues.get(ci);
                    const isActive = active.index === index && active.col === ci;
                    const isEditing = editing && editing.index === index && editing.col === ci;
                    const value = valueAt(row, ci);
                    const shown = row ? shownAt(row, ci) : '';
                    const cleaned = !!row && shown !== value && value !== '';
                    const message = issue ? findingText(t, issue) : undefined;
                    const changed = row?.match === 'update' && !!row.changed?.includes(c.key);
                    const cls =
                      'fbx-gc' +
                      (issue ? (issue.severity === 'error' ? ' invalid' : ' warning') : '') +
                      (isActive ? ' active' : '') +
                      (cleaned ? ' cleaned' : '') +
                      (changed ? ' changed' : '') +
                      (row && pending.has(`${row.row}:${ci}`) ? ' pending' : '');
                    return (
                      <div
                        key={c.key}
                        id={`fbx-cell-${index}-${ci}`}
                        role="gridcell"
                        aria-colindex={ci + 3}
                        aria-invalid={issue?.severity === 'error' ? true : undefined}
                        aria-label={message ? `${value || '∅'} — ${message}` : cleaned ? `${shown} (${t('review.original', { value })})` : undefined}
                        className={cls}
                        style={{ width: widths[ci] }}
                        title={message ?? (cleaned ? t('review.original', { value }) : changed ? t('match.changed') : undefined)}
                        data-col={c.key}
                        onMouseDown={() => setActive({ index, col: ci })}
                        onDoubleClick={() => startEdit(index, ci)}
                      >
                        {isEditing ? (
                          <input
                            className="fbx-cell-input"
                            autoFocus
                            aria-label={t('review.editing', { field: c.label, n: row?.row ?? index + 1 })}
                            value={editing.value}
                            onChange={(e) => {
                              const next = { ...editing, value: e.target.value };
                              editingRef.current = next;
                              setEditing(next);
                            }}
                            onBlur={() => finishEdit(true)}
                            onKeyDown={(e) => {
                              if (e.key === 'Enter') {
                                e.preventDefault();
                                finishEdit(true);
                                move(index + 1, ci);
                                scroller.current?.focus();
                              } else if (e.key === 'Tab') {
                                e.preventDefault();
                                finishEdit(true);
                                move(index, ci + (e.shiftKey ? -1 : 1));
                                scroller.current?.focus();
                              } else if (e.key === 'Escape') {
                                e.preventDefault();
                                finishEdit(false);
                                scroller.current?.focus();
                              }
                            }}
                          />
                        ) : (
                          <span className="fbx-cell-text">{shown}</span>
                        )}
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      <div className="fbx-grid-status" aria-live="polite" data-testid="cell-status">
        {activeRow && columns[active.col] ? (
          <>
            <strong>
              {t('review.rowNumber')} {num(activeRow.row)} · {columns[active.col].label}
            </strong>
            {activeIssue ? (
              <span className={activeIssue.severity === 'error' ? 'fbx-status-error' : 'fbx-status-warn'} data-testid="cell-issue">
                {findingText(t, activeIssue)}
              </span>
            ) : activeClean !== activeRaw && activeRaw !== '' ? (
              <span className="fbx-muted" data-testid="cell-cleaned">
                {t('review.cleanedHint', { raw: activeRaw, clean: activeClean })}
              </span>
            ) : (
              <span className="fbx-muted">{t('review.help')}</span>
            )}
          </>
        ) : (
          <span className="fbx-muted">{t('review.help')}</span>
        )}
      </div>
    </div>
  );
}

/** The first column (by position) with an error among a row's findings; 0 when none is on a column. */
function firstErrorCol(issues: Map<number, { severity: string }>): number {
  let first = -1;
  for (const [ci, is] of issues) {
    if (is.severity === 'error' && (first < 0 || ci < first)) first = ci;
  }
  return Math.max(0, first);
}
