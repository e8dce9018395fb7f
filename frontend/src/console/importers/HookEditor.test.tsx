import { act, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import HookEditor, { hookProblems, initialRows, parseCSV, toCSV } from './HookEditor';
import ImportersEditor from './ImportersEditor';
import type { Hooks, Importer } from './model';
import { flush, render, type Rendered } from '../test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const orders: Importer = {
  slug: 'orders',
  name: 'Orders',
  columns: [
    { key: 'sku', label: 'SKU', type: 'string', example: 'ab-1' },
    { key: 'qty', label: 'Quantity', type: 'integer', example: '2' },
  ],
};

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

/** The editor with its hooks in state, as the importer editor holds them. */
function Harness({ initial, problems = [], onHooks }: { initial: Hooks; problems?: string[]; onHooks?: (h: Hooks) => void }) {
  const [hooks, setHooks] = useState(initial);
  return (
    <HookEditor
      definition={{ ...orders, hooks }}
      hooks={hooks}
      problems={problems}
      onChange={(h) => {
        setHooks(h);
        onHooks?.(h);
      }}
    />
  );
}

/** Sets a textarea's or input's value the way typing does (React listens to input events). */
function type(el: HTMLTextAreaElement | HTMLInputElement, value: string) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const byText = (root: HTMLElement, sel: string, text: string) =>
  [...root.querySelectorAll<HTMLElement>(sel)].find((b) => b.textContent === text);

describe('hookProblems', () => {
  it('reads the hook and line of each problem, leaving other problems out', () => {
    expect(hookProblems('importer "orders": hook "row": syntax error at line 2: Unexpected token ; (x); importer "orders": name: is required')).toEqual([
      { hook: 'row', line: 2, message: 'syntax error at line 2: Unexpected token ; (x)' },
    ]);
    expect(hookProblems('hook "column.qty": syntax error at line 4: Unexpected end of input; hook "column.zip": no column with key "zip"')).toEqual([
      { hook: 'column.qty', line: 4, message: 'syntax error at line 4: Unexpected end of input' },
      { hook: 'column.zip', line: null, message: 'no column with key "zip"' },
    ]);
  });
});

describe('sample rows', () => {
  it('start from the columns\' examples and two empty rows', () => {
    expect(initialRows(orders.columns)).toEqual([{ sku: 'ab-1', qty: '2' }, { sku: '', qty: '' }, { sku: '', qty: '' }]);
  });

  it('go to CSV and back, quotes included; an unknown key is named', () => {
    const rows = [{ sku: 'a, "b"', qty: '1' }, { sku: ' x', qty: '' }];
    const csv = toCSV(rows, ['sku', 'qty']);
    expect(csv).toBe('sku,qty\n"a, ""b""",1\n" x",\n');
    expect(parseCSV(csv, ['sku', 'qty'])).toEqual({ rows, error: '' });
    expect(parseCSV('sku,price\n1,2\n', ['sku', 'qty']).error).toBe('Not a column key: price (the first line names the columns by key: sku, qty).');
  });
});

describe('HookEditor', () => {
  it('edits the row hook, runs it on the sample rows and shows errors, warnings and changed values', async () => {
    const calls: { url: string; body: { definition: Importer; rows: Record<string, string>[] } }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, body: JSON.parse(init?.body as string) });
      return json(200, {
        hooks: ['row'],
        rows: [
          { row: 1, values: { sku: 'AB-1', qty: '2' }, changed: ['sku'], errors: [], warnings: [] },
          { row: 2, values: { sku: 'X-9', qty: '500' }, changed: [], errors: [{ column: 'sku', message: 'this SKU is discontinued' }], warnings: [{ column: 'qty', message: 'a large order' }] },
        ],
      });
    }));
    let last: Hooks = {};
    view = await render(<Harness initial={{}} onHooks={(h) => (last = h)} />);
    const c = view.container;

    // The code area: labelled, line numbers follow the text.
    const code = c.querySelector<HTMLTextAreaElement>('textarea[aria-label="Source of the row hook"]')!;
    expect(code).not.toBeNull();
    const src = 'function (row) {\n  return {values: {sku: row.sku.toUpperCase()}}\n}';
    await act(async () => type(code, src));
    expect(last.row).toBe(src);
    expect([...c.querySelectorAll('.hk-gutter > div')].map((d) => d.textContent)).toEqual(['1', '2', '3']);

    // Sample rows start from the examples; the second row is typed, the third removed.
    expect(c.querySelector<HTMLInputElement>('input[aria-label="Row 1 sku"]')!.value).toBe('ab-1');
    await act(async () => type(c.querySelector<HTMLInputElement>('input[aria-label="Row 2 sku"]')!, 'X-9'));
    await act(async () => type(c.querySelector<HTMLInputElement>('input[aria-label="Row 2 qty"]')!, '500'));
    await act(async () => c.querySelector<HTMLButtonElement>('button[aria-label="Remove row 3"]')!.click());

    await act(async () => byText(c, 'button', 'Run hooks')!.click());
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('/api/admin/importers/hooks/try');
    expect(calls[0].body.definition.hooks?.row).toBe(src); // the unsaved source
    expect(calls[0].body.rows).toEqual([{ sku: 'ab-1', qty: '2' }, { sku: 'X-9', qty: '500' }]);

    const results = c.querySelector('[data-testid="hook-results"]')!;
    expect(results.querySelector('.hk-summary')?.textContent).toBe('Hook row on 2 rows: 1 with errors, 1 with warnings, 1 with changed values.');
    const r1 = results.querySelector('tr[data-row="1"]')!;
    expect(r1.querySelector('td[data-col="sku"]')?.className).toContain('changed');
    expect(r1.querySelector('td[data-col="sku"]')?.textContent).toBe('AB-1 (changed by a hook)');
    expect(r1.querySelector('.hk-findings')?.textContent).toBe('Changed sku → “AB-1”');
    const r2 = results.querySelector('tr[data-row="2"]')!;
    expect(r2.querySelector('td[data-col="sku"]')?.className).toContain('bad');
    expect(r2.querySelector('td[data-col="qty"]')?.className).toContain('warn');
    expect([...r2.querySelectorAll('.hk-findings li')].map((li) => li.textContent)).toEqual([
      'Error sku: this SKU is discontinued',
      'Warning qty: a large order',
    ]);

    // An edit after the run says the results are for older text.
    await act(async () => type(code, src + '\n'));
    expect(c.textContent).toContain('The hooks or rows changed since this run.');

    // The sample rows survive leaving the tab (the editor unmounts it) and coming back.
    view.unmount();
    view = await render(<Harness initial={{}} />);
    expect(view.container.querySelector<HTMLInputElement>('input[aria-label="Row 2 sku"]')!.value).toBe('X-9');
    expect(view.container.querySelector('input[aria-label="Row 3 sku"]')).toBeNull();
  });

  it('marks the line of a syntax error from the live check and from a run', async () => {
    view = await render(<Harness initial={{ row: 'function (row) {\n  if (row.sku === ) return "x"\n}' }} problems={['importer "orders": hook "row": syntax error at line 2: Unexpected token )']} />);
    const c = view.container;
    const code = c.querySelector<HTMLTextAreaElement>('textarea[aria-label="Source of the row hook"]')!;
    expect(code.getAttribute('aria-invalid')).toBe('true');
    expect(c.querySelector('.hk-gutter > div.bad')?.textContent).toBe('2');
    expect(c.querySelector('#hk-problem')?.textContent).toBe('Line 2: syntax error: Unexpected token )');
    view.unmount();

    // A run answered with a 422 naming a column hook opens that hook and marks its line.
    vi.stubGlobal('fetch', vi.fn(async () => json(422, { error: { code: 'EINVALID', message: 'hook "column.qty": syntax error at line 3: Unexpected end of input' } })));
    view = await render(<Harness initial={{ row: 'function (row) {}', column: { qty: 'function (value) {\n  if (value) {\n' } }} />);
    const c2 = view.container;
    await act(async () => byText(c2, 'button', 'Run hooks')!.click());
    await flush();
    expect(c2.querySelector('button[role="tab"][aria-selected="true"]')?.textContent).toBe('Column qty');
    expect(c2.querySelector('.hk-gutter > div.bad')?.textContent).toBe('3');
    expect(c2.querySelector('#hk-problem')?.textContent).toBe('Line 3: syntax error: Unexpected end of input');
    expect(c2.querySelector('[data-testid="hook-results"]')).toBeNull();
  });

  it('adds and removes a column hook, and runs rows typed as CSV', async () => {
    const calls: { rows: Record<string, string>[] }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init?: RequestInit) => {
      calls.push(JSON.parse(init?.body as string));
      return json(200, { hooks: ['column.qty'], rows: [{ row: 1, values: { sku: 'a', qty: '0' }, changed: [], errors: [{ column: 'qty', message: 'hook "column.qty" threw Error: zero (line 2)' }], warnings: [] }] });
    }));
    let last: Hooks = {};
    view = await render(<Harness initial={{ validate: { url: 'https://app.example.com/validate' } }} onHooks={(h) => (last = h)} />);
    const c = view.container;
    expect(c.querySelector('[data-testid="validate-note"]')?.textContent).toBe('During imports this importer also sends rows to its validation service (https://app.example.com/validate); a run here does not call it.');
    const add = c.querySelector<HTMLSelectElement>('select[aria-label="Add a column hook"]')!;
    await act(async () => {
      add.value = 'qty';
      add.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(last.column?.qty).toContain('function (value, row)');
    expect(c.querySelector('textarea[aria-label="Source of the column hook of qty"]')).not.toBeNull();
    // Arrow keys move between the hook tabs; the code area is the tab's panel.
    const tablist = c.querySelector('[role="tablist"]')!;
    await act(async () => tablist.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })));
    expect(c.querySelector('button[role="tab"][aria-selected="true"]')?.textContent).toBe('Row hook');
    expect(c.querySelector('#hk-panel')?.getAttribute('aria-labelledby')).toBe('hk-tab-row');
    await act(async () => tablist.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true })));
    expect(c.querySelector('button[role="tab"][aria-selected="true"]')?.textContent).toBe('Column qty');

    await act(async () => byText(c, 'button', 'CSV')!.click());
    const csv = c.querySelector<HTMLTextAreaElement>('textarea[aria-label="Sample rows as CSV (first line: column keys)"]')!;
    expect(csv.value).toBe('sku,qty\nab-1,2\n,\n,\n');
    await act(async () => type(csv, 'sku,qty\na,0\n'));
    await act(async () => byText(c, 'button', 'Run hooks')!.click());
    await flush();
    expect(calls[0].rows).toEqual([{ sku: 'a', qty: '0' }]);
    expect(c.querySelector('tr[data-row="1"] .hk-findings')?.textContent).toBe('Error qty: hook "column.qty" threw Error: zero (line 2)');

    await act(async () => byText(c, 'button', 'Remove this hook')!.click());
    expect(last.column).toEqual({});
    expect(c.querySelector('button[role="tab"][aria-selected="true"]')?.textContent).toBe('Row hook');
  });

  it('refuses more sample rows than the server takes, before sending', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    view = await render(<Harness initial={{ row: 'function (row) {}' }} />);
    const c = view.container;
    await act(async () => byText(c, 'button', 'CSV')!.click());
    const csv = c.querySelector<HTMLTextAreaElement>('textarea.hk-csv')!;
    await act(async () => type(csv, 'sku\n' + Array.from({ length: 101 }, (_, i) => `s${i}`).join('\n')));
    await act(async () => byText(c, 'button', 'Run hooks')!.click());
    await flush();
    expect(fetch).not.toHaveBeenCalled();
    expect(c.querySelector('.hk-run-error')?.textContent).toBe('Could not run the hooks. At most 100 sample rows can be run at once (there are 101).');
  });
});

describe('the importer editor\'s Hooks tab', () => {
  it('shows the saved hooks, a syntax error from the live check, and saves the edited hook with match_on kept', async () => {
    window.location.hash = '#/importers/orders';
    const saved = { ...orders, hooks: { row: 'function (row) {\n  return\n}' }, match_on: ['sku'] };
    const puts: Importer[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (url === '/api/admin/importers/orders' && method === 'GET') return json(200, saved);
      if (url === '/api/admin/importers/orders/refused-origins') return json(200, { origins: [] });
      if (url === '/api/admin/importers/validate') {
        const def = JSON.parse(init?.body as string) as Importer;
        if (def.hooks?.row?.includes('=== )')) return json(422, { error: { code: 'EINVALID', message: 'importer "orders": hook "row": syntax error at line 2: Unexpected token )' } });
        return json(200, { valid: true });
      }
      if (url === '/api/admin/importers/orders' && method === 'PUT') {
        puts.push(JSON.parse(init?.body as string));
        return json(200, JSON.parse(init?.body as string));
      }
      return json(404, { error: { code: 'ENOTFOUND', message: url } });
    }));
    view = await render(<ImportersEditor slug="orders" />);
    await flush();
    const c = view.container;
    const tab = byText(c, 'button[role="tab"]', 'Hooks (1)')!;
    expect(tab).toBeDefined();
    await act(async () => tab.click());
    const code = c.querySelector<HTMLTextAreaElement>('textarea[aria-label="Source of the row hook"]')!;
    expect(code.value).toBe(saved.hooks.row);

    await act(async () => type(code, 'function (row) {\n  if (row.sku === ) return "x"\n}'));
    await act(async () => new Promise((r) => setTimeout(r, 350))); // the live check's debounce
    await flush();
    expect(c.querySelector('#hk-problem')?.textContent).toBe('Line 2: syntax error: Unexpected token )');
    expect(c.querySelector('.hk-gutter > div.bad')?.textContent).toBe('2');

    await act(async () => type(code, 'function (row) {\n  if (row.sku === "") return {errors: {sku: "empty"}}\n}'));
    await act(async () => byText(c, 'button', 'Save')!.click());
    await flush();
    expect(puts).toHaveLength(1);
    expect(puts[0].hooks).toEqual({ row: 'function (row) {\n  if (row.sku === "") return {errors: {sku: "empty"}}\n}' });
    expect(puts[0].match_on).toEqual(['sku']);
    window.location.hash = '';
  }, 20_000); // the whole editor renders: slow on a loaded machine
});
