import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flush, render, type Rendered } from '../test-utils';
import { DROP_EVENT, peekDroppedFile } from '../../shared/desktopDrop';
import DesktopInbox, { importerOnScreen } from './DesktopInbox';

// The window's bindings as the Wails runtime puts them on window (go.app.Shell, runtime.EventsOn).
type Item = { kind: string; files?: string[]; open?: string; notice?: object };
function desktop(batches: Item[][]) {
  const handlers: (() => void)[] = [];
  const w = window as unknown as Record<string, unknown>;
  w.go = { app: { Shell: { Take: vi.fn(async () => batches.shift() ?? []) } } };
  w.runtime = {
    EventsOn: (name: string, cb: () => void) => {
      if (name === 'fusebox:inbox') handlers.push(cb);
      return () => undefined;
    },
  };
  return { fire: () => handlers.forEach((h) => h()) };
}

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  const w = window as unknown as Record<string, unknown>;
  delete w.go;
  delete w.runtime;
  window.location.hash = '';
  vi.unstubAllGlobals();
});

describe('DesktopInbox', () => {
  it('renders nothing in a browser', async () => {
    view = await render(<DesktopInbox />);
    expect(view.container.innerHTML).toBe('');
  });

  it('opens the route a second launch passed, and shows notices the desktop could not', async () => {
    const d = desktop([[{ kind: 'open', open: 'relay' }], [{ kind: 'notice', notice: { id: 'n1', kind: 'import-failed', title: 'Import failed', body: 'Import imp_1 failed: boom', route: 'imports/imp_1' } }]]);
    view = await render(<DesktopInbox />);
    await flush();
    expect(window.location.hash).toBe('#/relay');
    d.fire();
    await flush();
    const notice = view.container.querySelector('[role=status]');
    expect(notice?.textContent).toContain('Import failed');
    expect(notice?.textContent).toContain('boom');
    expect(notice?.querySelector('a')?.getAttribute('href')).toBe('#/imports/imp_1');
  });

  it('imports a dropped file in the Try view of the importer on screen', async () => {
    window.location.hash = '#/importers/contacts';
    const d = desktop([[], [{ kind: 'files', files: ['/data/people.csv'] }]]);
    const seen = vi.fn();
    window.addEventListener(DROP_EVENT, seen);
    view = await render(<DesktopInbox />);
    await flush();
    d.fire();
    await flush();
    window.removeEventListener(DROP_EVENT, seen);
    expect(window.location.hash).toBe('#/importers/contacts/try');
    expect(peekDroppedFile('contacts')?.path).toBe('/data/people.csv');
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('asks which importer when none is on screen', async () => {
    window.location.hash = '#/relay';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ importers: [{ slug: 'contacts', name: 'Contacts' }, { slug: 'deals', name: 'Deals' }] }), { status: 200, headers: { 'Content-Type': 'application/json' } })),
    );
    desktop([[{ kind: 'files', files: ['/data/deals.xlsx'] }]]);
    view = await render(<DesktopInbox />);
    await flush();
    await flush();
    const dialog = view.container.querySelector('[data-testid=drop-choose]');
    expect(dialog?.textContent).toContain('Import deals.xlsx with which importer?');
    const deals = [...(dialog?.querySelectorAll('button') ?? [])].find((b) => b.textContent === 'Deals') as HTMLButtonElement;
    await act(async () => deals.click());
    await flush();
    expect(window.location.hash).toBe('#/importers/deals/try');
    expect(peekDroppedFile('deals')?.path).toBe('/data/deals.xlsx');
  });

  it('knows the importer on screen from the route', () => {
    expect(importerOnScreen('#/importers/contacts/try')).toBe('contacts');
    expect(importerOnScreen('#/importers/a%20b')).toBe('a b');
    expect(importerOnScreen('#/importers')).toBeUndefined();
    expect(importerOnScreen('#/relay')).toBeUndefined();
  });
});
