import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Imports from './Imports';
import { flush, render, type Rendered } from '../test-utils';
import { importsQueryString, parseImportsQuery, type ImportItem } from './api';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const imp = (slug: string, state: ImportItem['state'], user: number, more: Partial<ImportItem> = {}): ImportItem => ({
  slug,
  row_count: 1200,
  created_at: '2026-03-04T10:00:00Z',
  updated_at: '2026-03-04T10:05:00Z',
  last_activity_at: '2026-03-04T10:05:00Z',
  status: state === 'abandoned' || state === 'cancelled' ? 'created' : state,
  state,
  step: 'done',
  template: { name: 'Contacts', slug: 'contacts' },
  metadata: { user_id: user },
  who: String(user),
  file_name: `${slug}.csv`,
  error_rows: 3,
  duration_seconds: 125,
  ...more,
});

describe('imports query', () => {
  it('writes metadata filters the way the API reads them and reads them back', () => {
    const q = { status: 'completed', importer: 'contacts', metadata: [['user_id', '123'], ['team', 'a b']] as [string, string][], page: 2 };
    const s = importsQueryString(q);
    expect(s).toBe('status=completed&importer=contacts&metadata[user_id]=123&metadata[team]=a%20b&page=2');
    expect(parseImportsQuery('?' + s)).toEqual(q);
    expect(parseImportsQuery('status=bogus&page=0&from=yesterday')).toEqual({ metadata: [] });
  });

  it('carries state lists, the hidden states and a date range', () => {
    const q = { status: 'submitted,completed', importer: 'leads', from: '2026-03-01', to: '2026-03-30', metadata: [] };
    expect(importsQueryString(q)).toBe('status=submitted,completed&importer=leads&from=2026-03-01&to=2026-03-30');
    expect(parseImportsQuery(importsQueryString(q))).toEqual(q);
    expect(importsQueryString({ hidden: true })).toBe('hidden=1');
    expect(parseImportsQuery('hidden=1')).toEqual({ hidden: true, metadata: [] });
    expect(importsQueryString({ hidden: true, status: 'failed' })).toBe('status=failed'); // a status says it all
  });
});

let view: Rendered | undefined;
let urls: string[] = [];
beforeEach(() => {
  urls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      urls.push(url);
      if (url === '/api/admin/importers') return json(200, { importers: [{ slug: 'contacts' }, { slug: 'orders' }] });
      if (url.startsWith('/api/admin/imports?')) {
        const p = new URL(url, 'http://x').searchParams;
        let data = [imp('imp_a', 'completed', 123), imp('imp_b', 'failed', 456), imp('imp_c', 'abandoned', 123, { who: '', error_rows: 0 })];
        if (p.get('metadata[user_id]')) data = data.filter((d) => String(d.metadata?.user_id) === p.get('metadata[user_id]'));
        if (p.get('status')) data = data.filter((d) => p.get('status')!.split(',').includes(d.state));
        else if (p.get('hidden') !== '1') data = data.filter((d) => d.state !== 'abandoned' && d.state !== 'cancelled');
        return json(200, { imports: data, total: data.length, page: 1, pagination: { current: 1, previous: null, next: null, limit: 25, total_pages: 1, total_count: data.length } });
      }
      return json(404, { error: { code: 'ENOTFOUND', message: url } });
    }),
  );
});
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  window.location.hash = '';
});

function tableRows(): string[][] {
  return [...view!.container.querySelectorAll('table[aria-label="Imports"] tbody tr')].map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
  );
}

describe('Imports page', () => {
  it('lists imports with state, file, rows, errors, who, duration and export links', async () => {
    window.location.hash = '#/imports';
    view = await render(<Imports />);
    await flush();
    expect(urls).toContain('/api/admin/imports?per_page=25');
    const rows = tableRows();
    expect(rows.map((r) => r.slice(0, 8))).toEqual([
      ['imp_a', 'Contacts', 'completed', 'imp_a.csv', '1,200', '3', '123', '2m 5s'],
      ['imp_b', 'Contacts', 'failed', 'imp_b.csv', '1,200', '3', '456', '2m 5s'],
    ]);
    // The who cell shows the metadata on hover; dates are the one formatter's <time> with the exact time.
    expect(view.container.querySelector('tr[data-import="imp_a"] td[data-col="who"]')!.getAttribute('title')).toBe('{"user_id":123}');
    expect(view.container.querySelector('tr[data-import="imp_a"] time')!.getAttribute('title')).toMatch(/2026/);
    const links = [...view.container.querySelectorAll('tr[data-import="imp_a"] a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['#/imports/imp_a', '/api/v1/imports/imp_a/records.csv', '/api/v1/imports/imp_a/records.ndjson']);
  });

  it('filters by status and metadata through the address', async () => {
    window.location.hash = '#/imports';
    view = await render(<Imports />);
    await flush();
    const form = view.container.querySelector('form[aria-label="Filter imports"]') as HTMLFormElement;
    const status = form.querySelector('select[aria-label="Import status"]') as HTMLSelectElement;
    const value = form.querySelector('input[aria-label="Metadata value 1"]') as HTMLInputElement;
    await act(async () => {
      status.value = 'completed';
      status.dispatchEvent(new Event('change', { bubbles: true }));
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(value, '123');
      value.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => form.requestSubmit());
    await flush();
    expect(window.location.hash).toBe('#/imports?status=completed&metadata[user_id]=123');
    expect(urls.at(-1)).toBe('/api/admin/imports?status=completed&metadata[user_id]=123&per_page=25');
    expect(tableRows().map((r) => r[0])).toEqual(['imp_a']);
  });

  it('reads the filters of a bookmarked address', async () => {
    window.location.hash = '#/imports?metadata[user_id]=456';
    view = await render(<Imports />);
    await flush();
    expect(urls).toContain('/api/admin/imports?metadata[user_id]=456&per_page=25');
    expect(tableRows().map((r) => r[0])).toEqual(['imp_b']);
    expect((view.container.querySelector('input[aria-label="Metadata value 1"]') as HTMLInputElement).value).toBe('456');
  });

  it('hides abandoned and cancelled imports until asked', async () => {
    window.location.hash = '#/imports';
    view = await render(<Imports />);
    await flush();
    expect(tableRows().map((r) => r[0])).toEqual(['imp_a', 'imp_b']);
    const show = view.container.querySelector('[data-testid="hidden-note"] a') as HTMLAnchorElement;
    expect(show.getAttribute('href')).toBe('#/imports?hidden=1');
    window.location.hash = '#/imports?hidden=1';
    view.unmount();
    view = await render(<Imports />);
    await flush();
    expect(urls).toContain('/api/admin/imports?hidden=1&per_page=25');
    expect(tableRows().map((r) => [r[0], r[2], r[6]])).toEqual([['imp_a', 'completed', '123'], ['imp_b', 'failed', '456'], ['imp_c', 'abandoned', '—']]);
    expect(view.container.querySelector('[data-testid="hidden-note"]')).toBeNull();
  });
});
