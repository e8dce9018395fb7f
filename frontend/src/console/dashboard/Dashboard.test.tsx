import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Dashboard from './Dashboard';
import { flush, render, type Rendered } from '../test-utils';

const sample = {
  version: 'v0.3.0-test',
  data_dir: '/tmp/fusebox-data',
  db_path: '/tmp/fusebox-data/fusebox.db',
  schema_version: 5,
  uptime_seconds: 3725,
  db_size_bytes: 2 * 1024 * 1024,
  stats: [
    { name: 'importers', count: 3 },
    { name: 'api_keys', count: 1200 },
  ],
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
});

describe('Dashboard', () => {
  it('shows loading, then the server facts and one card per stat', async () => {
    let answer!: (r: Response) => void;
    const fetch = vi.fn((_url: string) => new Promise<Response>((r) => (answer = r)));
    vi.stubGlobal('fetch', fetch);

    view = await render(<Dashboard />);
    expect(view.container.textContent).toContain('Loading dashboard');
    expect(fetch).toHaveBeenCalledWith('/api/admin/dashboard', expect.objectContaining({ credentials: 'same-origin' }));

    answer(json(200, sample));
    await flush();

    const text = view.container.textContent ?? '';
    expect(text).not.toContain('Loading dashboard');
    expect(view.container.querySelector('[data-testid="version"]')?.textContent).toBe('v0.3.0-test');
    expect(text).toContain('/tmp/fusebox-data/fusebox.db');
    expect(text).toContain('1h 2m');
    expect(text).toContain('2.0 MB');
    const cards = [...view.container.querySelectorAll('.stat-card')].map((c) => [
      c.getAttribute('data-stat'),
      c.querySelector('.stat-label')?.textContent,
      c.querySelector('.stat-value')?.textContent,
    ]);
    expect(cards).toEqual([
      ['importers', 'Importers', '3'],
      ['api_keys', 'API keys', '1,200'],
    ]);
  });

  it('tells a signed-out browser to open the login URL on 401', async () => {
    vi.stubGlobal('fetch', async () => json(401, { error: { code: 'EUNAUTHORIZED', message: 'admin login required' } }));
    view = await render(<Dashboard />);
    await flush();
    const alert = view.container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('Open the login URL printed by fusebox serve');
    expect(view.container.querySelector('.stat-card')).toBeNull();
  });

  it('shows other errors with their code and retries on demand', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(500, { error: { code: 'EINTERNAL', message: 'internal error' } }))
      .mockResolvedValueOnce(json(200, { ...sample, stats: [] }));
    vi.stubGlobal('fetch', fetch);
    view = await render(<Dashboard />);
    await flush();
    const alert = view.container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('internal error');
    expect(alert?.textContent).toContain('EINTERNAL');

    const retry = [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Try again');
    expect(retry).toBeDefined();
    await act(async () => retry!.click());
    await flush();
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(view.container.querySelector('[role="alert"]')).toBeNull();
    expect(view.container.textContent).toContain('No statistics are reported yet.');
  });
});
