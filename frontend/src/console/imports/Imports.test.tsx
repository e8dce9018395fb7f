import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Imports from './Imports';
import { flush, render, type Rendered } from '../test-utils';
import { importsQueryString, parseImportsQuery, type ImportItem } from './api';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const imp = (slug: string, status: ImportItem['status'], user: number): ImportItem => ({
  slug,
  row_count: 1200,
  created_at: '2026-03-04T10:00:00Z',
  updated_at: '2026-03-04T10:05:00Z',
  status,
  template: { name: 'Contacts', slug: 'contacts' },
  metadata: { user_id: user },
});

describe('imports query', () => {
  it('writes metadata filters the way the API reads them and reads them back', () => {
    const q = { status: 'completed' as const, importer: 'contacts', metadata: [['user_id', '123'], ['team', 'a b']] as [string, string][], page: 2 };
    const s = importsQueryString(q);
    expect(s).toBe('status=completed&importer=contacts&metadata[user_id]=123&metadata[team]=a%20b&page=2');
    expect(parseImportsQuery('?' + s)).toEqual(q);
    expect(parseImportsQuery('status=bogus&page=0')).toEqual({ metadata: [] });
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
      if (url.startsWith('/api/v1/imports?')) {
        const p = new URL(url, 'http://x').searchParams;
        let data = [imp('imp_a', 'completed', 123), imp('imp_b', 'failed', 456)];
        if (p.get('metadata[user_id]')) data = data.filter((d) => String(d.metadata.user_id) === p.get('metadata[user_id]'));
        if (p.get('status')) data = data.filter((d) => d.status === p.get('status'));
        return json(200, { data, pagination: { current: 1, previous: null, next: null, limit: 25, total_pages: 1, total_count: data.length } });
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
  it('lists imports with status, rows, metadata and export links', async () => {
    window.location.hash = '#/imports';
    view = await render(<Imports />);
    await flush();
    expect(urls).toContain('/api/v1/imports?per_page=25');
    const rows = tableRows();
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[4]])).toEqual([
      ['imp_a', 'Contacts', 'completed', '1,200', '{"user_id":123}'],
      ['imp_b', 'Contacts', 'failed', '1,200', '{"user_id":456}'],
    ]);
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
    expect(urls.at(-1)).toBe('/api/v1/imports?status=completed&metadata[user_id]=123&per_page=25');
    expect(tableRows().map((r) => r[0])).toEqual(['imp_a']);
  });

  it('reads the filters of a bookmarked address', async () => {
    window.location.hash = '#/imports?metadata[user_id]=456';
    view = await render(<Imports />);
    await flush();
    expect(urls).toContain('/api/v1/imports?metadata[user_id]=456&per_page=25');
    expect(tableRows().map((r) => r[0])).toEqual(['imp_b']);
    expect((view.container.querySelector('input[aria-label="Metadata value 1"]') as HTMLInputElement).value).toBe('456');
  });
});
