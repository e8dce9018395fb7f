import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App';
import { flush, render, type Rendered } from './test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let view: Rendered | undefined;
let calls: { url: string; init: RequestInit }[];

beforeEach(() => {
  calls = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    if (url === '/healthz') return json(200, { status: 'ok', version: 'v9.9.9' });
    if (url === '/api/admin/ready') return new Response(null, { status: 204 });
    if (url === '/api/admin/dashboard') {
      return json(200, {
        version: 'v9.9.9', data_dir: '/d', db_path: '/d/fusebox.db', schema_version: 1,
        uptime_seconds: 1, db_size_bytes: 1, stats: [],
      });
    }
    return json(404, { error: { code: 'ENOTFOUND', message: 'no route' } });
  });
});

afterEach(() => {
  view?.unmount();
  view = undefined;
  window.location.hash = '';
  vi.unstubAllGlobals();
});

describe('App', () => {
  it('reports readiness once with the page and server version', async () => {
    window.location.hash = '#/';
    view = await render(<App />);
    await flush();
    const ready = calls.filter((c) => c.url === '/api/admin/ready');
    expect(ready).toHaveLength(1);
    expect(JSON.parse(String(ready[0].init.body))).toEqual({ page: 'dashboard', version: 'v9.9.9' });
    expect(view.container.querySelector('.sidebar-foot')?.textContent).toBe('Fusebox v9.9.9');
  });

  it('switches pages on hash change and marks the active link', async () => {
    window.location.hash = '#/';
    view = await render(<App />);
    await flush();
    await act(async () => {
      window.location.hash = '#/relay';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(view.container.querySelector('h1')?.textContent).toBe('Relay');
    expect(view.container.querySelector('[aria-current="page"]')?.textContent).toBe('Relay');
    expect(view.container.querySelector('nav[aria-label="Relay sections"]')?.textContent).toContain('Destinations');
  });

  it('shows a not-found page for unknown routes', async () => {
    window.location.hash = '#/does-not-exist';
    view = await render(<App />);
    await flush();
    expect(view.container.querySelector('h1')?.textContent).toBe('Not found');
    expect(view.container.querySelector('[aria-current="page"]')).toBeNull();
  });

  it('opens the route the desktop window was started with (--open), once', async () => {
    let whoami = { admin: true, door: 'window', version: 'v9.9.9', open_route: 'settings' };
    const base = fetch;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      if (url === '/api/admin/whoami') return json(200, whoami);
      return base(url, init);
    });
    window.location.hash = '#/';
    view = await render(<App />);
    await flush();
    await act(async () => {
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(window.location.hash).toBe('#/settings');
    expect(calls.filter((c) => c.url === '/api/admin/ready')).toHaveLength(1);
    whoami = { admin: true, door: 'port', version: 'v9.9.9', open_route: '' };
    await act(async () => {
      window.location.hash = '#/relay';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    await flush();
    expect(window.location.hash).toBe('#/relay');
  });

  it('stays on its page when whoami names no route', async () => {
    window.location.hash = '#/relay';
    view = await render(<App />);
    await flush();
    expect(window.location.hash).toBe('#/relay');
    expect(calls.some((c) => c.url === '/api/admin/whoami')).toBe(true);
  });
});
