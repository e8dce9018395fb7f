import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Importers from './Importers';
import ImportersTry from './ImportersTry';
import { flush, render, type Rendered } from '../test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  window.location.hash = '';
});

describe('Importers', () => {
  it('lists the importers with a Try link each', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json(200, {
          importers: [
            { slug: 'contacts', name: 'Contacts', columns: [{ key: 'email', label: 'Email', required: true }], settings: { invalid_rows: 'exclude' } },
          ],
        }),
      ),
    );
    view = await render(<Importers />);
    await flush();
    const row = view.container.querySelector('tr[data-slug="contacts"]');
    expect(row?.textContent).toContain('Contacts');
    expect(row?.textContent).toContain('Email *');
    expect(row?.textContent).toContain('exclude');
    expect(row?.querySelector('a[aria-label="Try Contacts"]')?.getAttribute('href')).toBe('#/importers/contacts/try');
  });

  it('says how to add an importer when there is none, and shows API errors', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(200, { importers: [] })));
    view = await render(<Importers />);
    await flush();
    expect(view.container.textContent).toContain('No importers yet.');
    view.unmount();
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'EUNAUTHORIZED', message: 'admin login required' } })));
    view = await render(<Importers />);
    await flush();
    expect(view.container.querySelector('[role=alert]')?.textContent).toContain('admin login required');
  });
});

describe('ImportersTry', () => {
  const deliver = (data: unknown, origin: string, source: unknown) =>
    window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));

  it('answers ready from its iframe with init (no token) and shows the result of complete', async () => {
    // happy-dom does not load iframes and says so; keep other errors visible
    const realError = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
      if (!String(a[0]).includes('Iframe page loading is disabled')) realError(...a);
    });
    view = await render(<ImportersTry slug="contacts" />);
    const frame = view.container.querySelector('iframe') as HTMLIFrameElement;
    const src = new URL(frame.getAttribute('src') ?? '', window.location.origin);
    expect(src.pathname).toBe('/embed/importer');
    expect(src.searchParams.get('importer')).toBe('contacts');
    expect(src.searchParams.get('origin')).toBe(window.location.origin);
    const win = { postMessage: vi.fn() };
    Object.defineProperty(frame, 'contentWindow', { configurable: true, get: () => win });

    const ready = { source: 'fusebox', version: 1, type: 'ready', payload: { version: 1 } };
    deliver(ready, 'https://evil.example', win); // wrong origin: ignored
    deliver(ready, window.location.origin, window); // wrong window: ignored
    expect(win.postMessage).not.toHaveBeenCalled();
    deliver(ready, window.location.origin, win);
    expect(win.postMessage).toHaveBeenCalledWith(
      { source: 'fusebox', version: 1, type: 'init', payload: { importer: 'contacts', locale: undefined } },
      window.location.origin,
    );

    act(() =>
      deliver(
        { source: 'fusebox', version: 1, type: 'complete', payload: { import: 'imp_1', importer: 'contacts', status: 'completed', counts: { rows: 5, records: 4, error_rows: 1, excluded_rows: 1 } } },
        window.location.origin,
        win,
      ),
    );
    await flush();
    const result = view.container.querySelector('[data-testid=try-result]');
    expect(result?.textContent).toContain('Imported 4 records (5 rows)');
    expect(result?.querySelector('a')?.getAttribute('href')).toBe('#/imports/imp_1');
  });
});
