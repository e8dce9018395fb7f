// Row selection of the review grid: single rows (click), ranges (shift-click from the last clicked
// row) and "all rows of the view" (the header checkbox), which stays exact for an import far larger
// than the rows on screen: it is kept as "all except these", not as a list of every row.

export interface Selection {
  /** true: every row of the view is selected except `ids`; false: exactly `ids`. */
  all: boolean;
  ids: ReadonlySet<number>;
  /** The index (position in the view) of the last row clicked without shift: a range starts there. */
  anchor: number | null;
}

export const noSelection: Selection = { all: false, ids: new Set(), anchor: null };

export function isSelected(s: Selection, row: number): boolean {
  return s.all ? !s.ids.has(row) : s.ids.has(row);
}

function setRows(s: Selection, rows: readonly number[], on: boolean): Set<number> {
  // in "all" mode ids are the exceptions: selecting removes an exception
  const ids = new Set(s.ids);
  const add = s.all ? !on : on;
  for (const r of rows) {
    if (add) ids.add(r);
    else ids.delete(r);
  }
  return ids;
}

/** A click on a row's checkbox: flips the row; the row becomes the anchor of a later range. */
export function toggleRow(s: Selection, row: number, index: number): Selection {
  return { all: s.all, ids: setRows(s, [row], !isSelected(s, row)), anchor: index };
}

/**
 * A shift-click: every row from the anchor to the clicked one (`rows`, in view order) takes the
 * anchor row's state (selected, unless the anchor is unselected). Without an anchor it is a click.
 */
export function selectRange(s: Selection, anchorSelected: boolean, rows: readonly number[], index: number): Selection {
  if (s.anchor === null) return toggleRow(s, rows[rows.length - 1], index);
  return { all: s.all, ids: setRows(s, rows, anchorSelected), anchor: s.anchor };
}

/** The header checkbox: every row of the view, or none. */
export function selectAll(on: boolean): Selection {
  return on ? { all: true, ids: new Set(), anchor: null } : noSelection;
}

/** How many rows are selected in a view of `total` rows. */
export function selectedCount(s: Selection, total: number): number {
  return s.all ? Math.max(0, total - s.ids.size) : s.ids.size;
}

/** The header checkbox's state. */
export function allState(s: Selection, total: number): 'none' | 'some' | 'all' {
  const n = selectedCount(s, total);
  if (n === 0) return 'none';
  return n >= total ? 'all' : 'some';
}

/** Indices from a to b inclusive, in order. */
export function span(a: number, b: number): number[] {
  const out: number[] = [];
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}
