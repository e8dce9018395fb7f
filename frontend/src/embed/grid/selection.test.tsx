import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { flush, render, type Rendered } from '../../console/test-utils';
import type { ColumnInfo, EmbedApi, GridRow, RowQuery, Summary } from '../api';
import { translator } from '../i18n';
import { ReviewStep } from '../steps/ReviewStep';
import { I18nContext } from '../ui';
import { allState, isSelected, noSelection, selectAll, selectedCount, selectRange, toggleRow } from './selection';

describe('selection model', () => {
  it('selects single rows, ranges from the anchor, and all rows with exceptions', () => {
    let s = toggleRow(noSelection, 12, 1);
    expect(isSelected(s, 12)).toBe(true);
    s = selectRange(s, true, [12, 13, 15, 16], 4);
    expect([12, 13, 15, 16].every((r) => isSelected(s, r))).toBe(true);
    expect(selectedCount(s, 100)).toBe(4);
    // a range from an unselected anchor clears the range
    s = toggleRow(s, 13, 2);
    s = selectRange(s, false, [13, 15, 16], 4);
    expect(selectedCount(s, 100)).toBe(1);
    s = selectAll(true);
    expect(allState(s, 100)).toBe('all');
    s = toggleRow(s, 50, 49);
    expect(isSelected(s, 50)).toBe(false);
    expect(selectedCount(s, 100)).toBe(99);
    expect(allState(s, 100)).toBe('some');
    expect(allState(selectAll(false), 100)).toBe('none');
  });
});

const columns: ColumnInfo[] = [
  { key: 'first_name', label: 'First name', type: 'string', required: true },
  { key: 'seats', label: 'Seats', type: 'integer', required: false },
];

function gridRow(n: number): GridRow {
  const bad = n === 3;
  return {
    row: n,
    values: [n === 1 ? 'george' : `name${n}`, bad ? 'many' : String(n)],
    cleaned: [n === 1 ? 'George' : `name${n}`, bad ? 'many' : String(n)],
    errors: bad ? 1 : 0,
    warnings: 0,
    issues: bad ? [{ column: 'seats', severity: 'error', message: 'must be a whole number', codes: [{ code: 'type.integer' }] }] : [],
  };
}

/** A stand-in for the server: 10 rows, and a record of the deletes asked for. */
function fakeApi() {
  const deleted: number[][] = [];
  const api = {
    rows: async (_slug: string, _q: RowQuery, offset: number, limit: number) => {
      const rows = Array.from({ length: 10 }, (_, i) => gridRow(i + 1)).slice(offset, offset + limit);
      return { columns: ['first_name', 'seats'], rows, total: 10, offset, next_cursor: 0, version: 1 };
    },
    deleteRows: async (_slug: string, rows: number[]) => {
      deleted.push(rows);
      return { deleted: rows.length, version: 2 };
    },
    deleteAllRows: async () => {
      deleted.push([-1]);
      return { deleted: 10, version: 2 };
    },
    summary: async () => summary,
  } as unknown as EmbedApi;
  return { api, deleted };
}

const summary = { rows: 10, error_rows: 1, warning_rows: 0, columns: [{ key: 'seats', label: 'Seats', errors: 1, warnings: 0 }], can_undo: false, can_redo: false, invalid_rows: 'block' } as unknown as Summary;

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

async function mount(locale: 'en' | 'de' = 'en') {
  const { api, deleted } = fakeApi();
  const t = translator(locale);
  view = await render(
    <I18nContext.Provider value={{ t, locale, num: (n) => String(n) }}>
      <ReviewStep api={api} slug="imp" columns={columns} summary={summary} onSummary={() => {}} onContinue={() => {}} />
    </I18nContext.Provider>,
  );
  await flush();
  await flush();
  return { deleted, container: view.container };
}

const rowBox = (c: HTMLElement, row: number) => c.querySelector(`[data-row="${row}"] input[type=checkbox]`) as HTMLInputElement;
async function click(el: Element, init: MouseEventInit = {}) {
  await act(async () => {
    el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, ...init }));
  });
  await flush();
}
const deleteButton = (c: HTMLElement) => c.querySelector('[data-testid="delete-selected"]') as HTMLButtonElement | null;

describe('review grid selection', () => {
  it('selects a range with shift-click and deletes exactly those rows', async () => {
    const { deleted, container } = await mount();
    expect(rowBox(container, 2)).toBeTruthy();
    await click(rowBox(container, 2));
    await click(rowBox(container, 5), { shiftKey: true });
    expect([2, 3, 4, 5].map((r) => rowBox(container, r).checked)).toEqual([true, true, true, true]);
    expect(rowBox(container, 1).checked).toBe(false);
    expect(deleteButton(container)?.textContent).toBe('Delete 4 rows');
    await click(deleteButton(container)!);
    expect(deleted).toEqual([[2, 3, 4, 5]]);
  });

  it('selects every row with the header checkbox, minus the ones unticked', async () => {
    const { deleted, container } = await mount();
    const all = container.querySelector('[data-testid="select-all"]') as HTMLInputElement;
    await click(all);
    expect(deleteButton(container)?.textContent).toBe('Delete 10 rows');
    expect(rowBox(container, 1).checked).toBe(true);
    await click(rowBox(container, 4));
    expect(all.indeterminate).toBe(true);
    expect(deleteButton(container)?.textContent).toBe('Delete 9 rows');
    await click(deleteButton(container)!);
    expect(deleted).toEqual([[1, 2, 3, 5, 6, 7, 8, 9, 10]]);
  });

  it('deletes every row in one request when all are selected', async () => {
    const { deleted, container } = await mount();
    await click(container.querySelector('[data-testid="select-all"]')!);
    await click(deleteButton(container)!);
    expect(deleted).toEqual([[-1]]); // the server's filter "all", no list of rows
  });

  it('shows the cleaned value with the file value on hover, and findings in the UI language', async () => {
    const { container } = await mount('de');
    const cell = container.querySelector('[data-row="1"] [data-col="first_name"]') as HTMLElement;
    expect(cell.textContent).toBe('George');
    expect(cell.title).toBe('In Ihrer Datei: george');
    const bad = container.querySelector('[data-row="3"] [data-col="seats"]') as HTMLElement;
    expect(bad.textContent).toBe('many');
    expect(bad.title).toBe('muss eine ganze Zahl sein');
  });
});
