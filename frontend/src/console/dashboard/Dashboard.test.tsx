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
    { name: 'Importers', count: 3 },
    { name: 'API keys', count: 1200 },
  ],
};

const charts = {
  from: '2026-03-01',
  to: '2026-03-03',
  importer: '',
  days: ['2026-03-01', '2026-03-02', '2026-03-03'],
  imports: {
    started: 6, submitted: 3, failed: 1, in_flight: 2, rows: 300, error_rows: 30, records: 250, error_rate: 0.1,
    per_day: [
      { day: '2026-03-01', started: 1, submitted: 1, failed: 0, rows: 100, error_rows: 0, records: 100 },
      { day: '2026-03-02', started: 0, submitted: 0, failed: 0, rows: 0, error_rows: 0, records: 0 },
      { day: '2026-03-03', started: 5, submitted: 2, failed: 1, rows: 200, error_rows: 30, records: 150 },
    ],
  },
  funnel: {
    steps: ['upload', 'header', 'mapping', 'review', 'submit'], started: 6, overall: [5, 5, 4, 4, 3],
    by_importer: [{ importer: 'contacts', name: 'Contacts', started: 6, counts: [5, 5, 4, 4, 3] }],
  },
  deliveries: {
    deliveries: 12, delivered: 9, failed: 2, backlog: 1,
    destinations: [{
      id: 'crm', origin: 'console', deliveries: 12, delivered: 9, failed: 2, held: 0, attempts: 15,
      success_rate: 9 / 11, p50_ms: 4, p95_ms: 30, latency_n: 11, backlog: 1, last_error: 'HTTP 500', last_error_at: '2026-03-03T10:00:00Z',
      delivered_per_day: [3, 0, 6], failed_per_day: [0, 0, 2],
    }],
  },
  marketplace: {
    installs: 2, installs_now: 2, end_users: 2, new_end_users: 2, limit_hits: 1, installs_refused: 1, held_deliveries: 0,
    per_day: [{ day: '2026-03-01', installs: 0 }, { day: '2026-03-02', installs: 1 }, { day: '2026-03-03', installs: 1 }],
    by_listing_plan: [{ listing: 'acme', listing_name: 'Acme CRM', plan: 'free', installs: 1 }, { listing: 'acme', listing_name: 'Acme CRM', plan: 'pro', installs: 1 }],
  },
  activity: [
    { kind: 'import', at: '2026-03-03T10:00:00Z', text: 'Contacts: import completed', ref: 'imp_1', status: 'completed' },
    { kind: 'delivery_failed', at: '2026-03-03T09:00:00Z', text: 'Delivery to crm failed: HTTP 500', ref: 'd-uid', status: 'failed' },
  ],
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Answers each console URL the dashboard asks for. */
function server(over: Partial<Record<'dashboard' | 'charts' | 'importers', () => Response>> = {}) {
  return vi.fn(async (url: string) => {
    if (url.startsWith('/api/admin/dashboard/charts')) return (over.charts ?? (() => json(200, charts)))();
    if (url.startsWith('/api/admin/dashboard')) return (over.dashboard ?? (() => json(200, sample)))();
    if (url.startsWith('/api/admin/importers')) return (over.importers ?? (() => json(200, { importers: [{ slug: 'contacts' }] })))();
    return json(404, { error: { code: 'ENOTFOUND', message: url } });
  });
}

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
});

const cell = (root: Element, sel: string) => root.querySelector(sel)?.textContent;

describe('Dashboard', () => {
  it('shows the server facts and the all-time counters, each linking to its list', async () => {
    vi.stubGlobal('fetch', server());
    view = await render(<Dashboard />);
    await flush();
    expect(view.container.querySelector('[data-testid="version"]')?.textContent).toBe('v0.3.0-test');
    expect(view.container.textContent).toContain('1h 2m');
    expect(view.container.textContent).toContain('2.0 MB');
    const cards = [...view.container.querySelectorAll('[data-stat]')].map((c) => [c.getAttribute('data-stat'), c.getAttribute('href'), c.querySelector('.stat-value')?.textContent]);
    expect(cards).toEqual([
      ['Importers', '#/importers', '3'],
      ['API keys', '#/keys', '1,200'],
    ]);
  });

  it('asks for the last 30 days and draws every chart with its table view', async () => {
    const fetch = server();
    vi.stubGlobal('fetch', fetch);
    view = await render(<Dashboard />);
    await flush();
    const url = fetch.mock.calls.map((c) => c[0]).find((u) => u.startsWith('/api/admin/dashboard/charts'))!;
    const q = new URLSearchParams(url.split('?')[1]);
    const days = (Date.parse(q.get('to')!) - Date.parse(q.get('from')!)) / 86400_000 + 1;
    expect(days).toBe(30);

    const c = view.container;
    for (const id of ['imports-per-day', 'rows-per-day', 'funnel', 'installs-per-day']) {
      const fig = c.querySelector(`[data-chart="${id}"]`)!;
      expect(fig, id).not.toBeNull();
      expect(fig.querySelector('[role="img"]')?.getAttribute('aria-label')).toBeTruthy();
      expect(fig.querySelector('details table')).not.toBeNull();
    }
    const imports = c.querySelector('[data-chart="imports-per-day"]')!;
    expect(cell(imports, 'tr[data-day="2026-03-03"] td[data-col="started"]')).toBe('5');
    expect(cell(imports, 'tr[data-day="total"] td[data-col="failed"]')).toBe('1');
    expect(cell(c, '[data-chart="funnel"] tr[data-importer="contacts"] td[data-col="mapping"]')).toBe('4');
    const health = c.querySelector('tr[data-destination="crm"]')!;
    expect(cell(health, '[data-col="success_rate"]')).toBe('81.8%');
    expect(cell(health, '[data-col="latency"]')).toBe('4 / 30 ms');
    expect(health.querySelector('svg.sparkline')?.getAttribute('aria-label')).toBe('crm: 9 delivered, 2 failed over 3 days');
    // Delivery tiles and a destination's links open the deliveries made on the range's days; the backlog is any day.
    expect(c.querySelector('[data-tile="deliveries-failed"]')?.getAttribute('href')).toBe('#/relay/deliveries?status=failed,dead&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="deliveries-delivered"]')?.getAttribute('href')).toBe('#/relay/deliveries?status=delivered&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="backlog"]')?.getAttribute('href')).toBe('#/relay/deliveries?status=pending');
    expect(health.querySelector('a[data-col="failed"]')?.getAttribute('href')).toBe('#/relay/deliveries?destination=crm&status=failed,dead&from=2026-03-01&to=2026-03-03');
    expect(health.querySelector('a[data-col="delivered"]')?.getAttribute('href')).toBe('#/relay/deliveries?destination=crm&status=delivered&from=2026-03-01&to=2026-03-03');
    // Plan-limit hits: two tiles, each opening the list it counts.
    expect(c.querySelector('[data-tile="installs-refused"] .stat-value')?.textContent).toBe('1');
    expect(c.querySelector('[data-tile="installs-refused"]')?.getAttribute('href')).toBe('#/marketplace/limit-hits?from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="deliveries-held"] .stat-value')?.textContent).toBe('0');
    expect(c.querySelector('[data-tile="deliveries-held"]')?.getAttribute('href')).toBe('#/relay/deliveries?status=held&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="limit-hits"]')).toBeNull();
    // Tiles open the list they count: same range, and every import for "started" (abandoned and cancelled too).
    expect(c.querySelector('[data-tile="imports-failed"]')?.getAttribute('href')).toBe('#/imports?status=failed&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="imports-started"]')?.getAttribute('href')).toBe('#/imports?hidden=1&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="imports-submitted"]')?.getAttribute('href')).toBe('#/imports?status=submitted,completed&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="installs"]')?.getAttribute('href')).toBe('#/marketplace/installs?removed=1&from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-tile="error-rate"] .stat-value')?.textContent).toBe('10.0%');
    const activity = [...c.querySelectorAll('.activity a')].map((a) => a.getAttribute('href'));
    expect(activity).toEqual(['#/imports/imp_1', '#/relay/deliveries?uid=d-uid']);
    expect(c.querySelector('.activity time')?.getAttribute('title')).toBeTruthy();
  });

  it('asks again for one importer and links its tiles to that importer', async () => {
    const fetch = server();
    vi.stubGlobal('fetch', fetch);
    view = await render(<Dashboard />);
    await flush();
    const select = view.container.querySelector('select[aria-label="Importer"]') as HTMLSelectElement;
    await act(async () => {
      select.value = 'contacts';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
    const last = fetch.mock.calls.map((c) => c[0]).filter((u) => u.startsWith('/api/admin/dashboard/charts')).at(-1)!;
    expect(last).toContain('importer=contacts');
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
    let fail = true;
    vi.stubGlobal('fetch', server({ charts: () => (fail ? json(500, { error: { code: 'EINTERNAL', message: 'internal error' } }) : json(200, charts)) }));
    view = await render(<Dashboard />);
    await flush();
    const alert = view.container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('internal error');
    expect(alert?.textContent).toContain('EINTERNAL');
    fail = false;
    const retry = [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Try again');
    await act(async () => retry!.click());
    await flush();
    expect(view.container.querySelector('[role="alert"]')).toBeNull();
    expect(view.container.querySelector('[data-chart="funnel"]')).not.toBeNull();
  });
});
