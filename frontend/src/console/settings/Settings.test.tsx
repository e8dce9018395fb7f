import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Settings from './Settings';
import { flush, render, type Rendered } from '../test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const dash = { version: 'v-test', data_dir: '/d', db_path: '/d/fusebox.db', schema_version: 1, uptime_seconds: 1, db_size_bytes: 1, stats: [] };

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
});

function stub(demo: () => Response, put?: (body: unknown) => Response) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/admin/dashboard') return json(200, dash);
    if (url === '/api/admin/demo' && init?.method === 'PUT') return put!(JSON.parse(String(init.body)));
    if (url === '/api/admin/demo') return demo();
    return json(404, { error: { code: 'ENOTFOUND', message: url } });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const demoSwitch = (v: Rendered) => v.container.querySelector<HTMLInputElement>('input[role="switch"]')!;
const demoText = (v: Rendered) => v.container.querySelector('[data-testid="demo-state"]')?.textContent ?? '';

describe('Settings: demo app switch', () => {
  it('shows the demo on with its URL and turns it off with a JSON PUT', async () => {
    const fetch = stub(
      () => json(200, { on: true, enabled: true, available: true, reason: '', url: 'http://127.0.0.1:8787/demo' }),
      () => json(200, { on: false, enabled: false, available: true, reason: 'switched off in the console (Settings)' }),
    );
    view = await render(<Settings />);
    await flush();
    expect(view.container.textContent).toContain('Demo app routes (/demo)');
    expect(demoSwitch(view).checked).toBe(true);
    expect(demoText(view)).toContain('On: http://127.0.0.1:8787/demo');

    await act(async () => demoSwitch(view!).click());
    await flush();
    const put = fetch.mock.calls.find(([u, i]) => u === '/api/admin/demo' && i?.method === 'PUT');
    expect(put?.[1]?.body).toBe('{"enabled":false}');
    expect((put?.[1]?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(demoSwitch(view).checked).toBe(false);
    expect(demoText(view)).toContain('Off: switched off in the console');
  });

  it('says why the demo is off and disables the switch when it cannot be turned on', async () => {
    stub(() => json(200, { on: false, enabled: true, available: false, reason: 'a workspace of your own was applied (acme.yaml)' }));
    view = await render(<Settings />);
    await flush();
    expect(demoSwitch(view).checked).toBe(false);
    expect(demoSwitch(view).disabled).toBe(true);
    expect(demoText(view)).toContain('Off: a workspace of your own was applied (acme.yaml)');
  });
});

describe('Settings', () => {
  it('applies the pasted file as a plain string body and lists the changes', async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/api/admin/dashboard') {
        return json(200, { version: 'v1', data_dir: '/d', db_path: '/d/fusebox.db', schema_version: 5, uptime_seconds: 3, db_size_bytes: 2048, stats: [] });
      }
      if (url.startsWith('/api/admin/workspace') && init?.method === 'POST') {
        bodies.push(init.body);
        return json(200, { changes: ['created importer tags'] });
      }
      return json(404, { error: { code: 'ENOTFOUND', message: url } });
    }));
    view = await render(<Settings />);
    await flush();
    expect(view.container.querySelector('[data-testid="server-facts"]')?.textContent).toContain('/d/fusebox.db');

    const box = view.container.querySelector('textarea[aria-label="Workspace file"]') as HTMLTextAreaElement;
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    await act(async () => {
      setter.call(box, 'importers: []\n');
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const apply = [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Apply') as HTMLButtonElement;
    await act(async () => apply.click());
    await flush();
    expect(bodies).toEqual(['importers: []\n']); // a string: never FormData or a Blob (WebKitGTK)
    expect(view.container.querySelector('[aria-label="Changes"]')?.textContent).toBe('created importer tags');
  });
});
