import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flush, render, type Rendered } from '../test-utils';
import { DestinationEditor, DestinationList } from './RelayDestinations';
import RelayDeliveries, { filterFromHash } from './RelayDeliveries';
import RelaySink from './RelaySink';
import { destinationFromForm, emptyForm, formFromDestination, sampleRecord } from './model';
import type { Destination, DestinationView } from './api';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A fetch stub answering by "METHOD path" prefix; records the calls. */
function server(routes: Record<string, (body: unknown) => [number, unknown]>) {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    const key = Object.keys(routes)
      .filter((k) => `${method} ${url}`.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (!key) return json(404, { error: { code: 'ENOTFOUND', message: `no stub for ${method} ${url}` } });
    const [status, out] = routes[key](body);
    return status === 204 ? new Response(null, { status }) : json(status, out);
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

const crm: Destination = {
  id: 'crm', importer: 'contacts', url: 'https://crm.example.com/v1', method: 'PUT', batch: 100, timeout: '5s',
  headers: { Authorization: 'Bearer {{ secret "CRM_API_KEY" }}' }, params: { user_id: '{{ user_id }}' },
  query_param_fields: { user_id: 'uid', team: 'team' }, header_fields: { source: 'X-Source' },
  map: { email: 'contact.email' }, keep_unmapped: false, session_token_field: 'session_token', retry: ['1s', '1m'],
  rate_limit: '20/s', concurrency: 2, signing_secret: 'CRM_SIGNING', inbound: { route: 'crm', allowed_urls: ['https://api.example.com/'], secret: 'ROUTE_KEY' },
};

const crmView: DestinationView = {
  destination: crm, origin: 'workspace', enabled: true, secrets: [{ name: 'CRM_API_KEY', set: true, declared: true }, { name: 'CRM_SIGNING', set: false, declared: true }],
  counts: { delivered: 12, failed: 1, dead: 2, discarded: 3 }, pending_jobs: 1, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  window.location.hash = '';
});

describe('relayModel', () => {
  it('round-trips a destination through the form', () => {
    expect(destinationFromForm(formFromDestination(crm))).toEqual(crm);
    const minimal: Destination = { id: 'x', url: '/sink/x', batch: 'all' };
    expect(destinationFromForm(formFromDestination(minimal))).toEqual(minimal);
  });

  it('keeps plain query fields as a list and builds a sample from the fields', () => {
    const f = { ...emptyForm(), id: 'a', url: '/x', queryParamFields: 'user_id, team', map: [{ key: 'email', value: 'contact.email' }] };
    expect(destinationFromForm(f).query_param_fields).toEqual(['user_id', 'team']);
    expect(sampleRecord(f)).toEqual({ email: 'ada@example.com', user_id: 'sample-user_id', team: 'sample-team' });
  });

  it('reads delivery filters from the hash', () => {
    expect(filterFromHash('#/relay/deliveries?destination=crm&status=failed,dead')).toEqual({ destination: 'crm', status: 'failed,dead', import: '', uid: '', from: '', to: '' });
    expect(filterFromHash('#/relay/deliveries?status=held&from=2026-03-01&to=2026-03-03')).toMatchObject({ status: 'held', from: '2026-03-01', to: '2026-03-03' });
  });
});

describe('DestinationList', () => {
  it('shows each destination with its secrets (name and whether set only) and counts, and toggles it', async () => {
    const calls = server({
      'GET /api/admin/relay/destinations': () => [200, { destinations: [crmView] }],
      'POST /api/admin/relay/destinations/crm/enabled': () => [200, { ...crmView, enabled: false }],
    });
    view = await render(<DestinationList />);
    await flush();
    const row = view.container.querySelector('tr[data-id="crm"]')!;
    expect(row.textContent).toContain('imports of contacts');
    expect(row.textContent).toContain('POST /relay/crm');
    expect(row.textContent).toContain('✓ CRM_API_KEY');
    expect(row.textContent).toContain('✗ CRM_SIGNING');
    expect(row.textContent).toContain('12 delivered');
    expect(row.textContent).toContain('3 failed');
    expect(row.textContent).toContain('(+1 imports)');
    await act(async () => (row.querySelector('button[aria-label="Disable crm"]') as HTMLButtonElement).click());
    await flush();
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/crm/enabled') && (c.body as { enabled: boolean }).enabled === false)).toBe(true);
  });
});

describe('DestinationEditor', () => {
  it('previews the exact outbound request and saves, showing the server error', async () => {
    const calls = server({
      'GET /api/admin/relay/destinations/crm': () => [200, crmView],
      'POST /api/admin/relay/preview': () => [200, {
        requests: [{ method: 'PUT', url: 'https://crm.example.com/v1?uid=user-123', headers: [['Authorization', 'Bearer «secret CRM_API_KEY: set»']], body: '[\n  {"contact": {"email": "ada@example.com"}}\n]', records: 1 }],
        discarded: [{ record: '{"n":2}', reason: 'invalid session token: the signature does not match' }],
        secrets: crmView.secrets, problems: ['secret CRM_SIGNING is not set in the environment: deliveries will fail until it is'],
      }],
      'PUT /api/admin/relay/destinations/crm': () => [422, { error: { code: 'EINVALID', message: 'destination "crm": batch: 200001; want 0 …' } }],
    });
    view = await render(<DestinationEditor id="crm" />);
    await flush();
    const c = view.container;
    expect(c.textContent).toContain('CRM_SIGNING: not set');
    const preview = [...c.querySelectorAll('button')].find((b) => b.textContent === 'Preview')!;
    await act(async () => preview.click());
    await flush();
    const sent = calls.find((x) => x.url === '/api/admin/relay/preview')!.body as { destination: Destination; records: Record<string, unknown> };
    expect(sent.destination.id).toBe('crm');
    expect(sent.records).toHaveProperty('session_token');
    const req = c.querySelector('[data-testid="preview-request"]')!;
    expect(req.textContent).toContain('PUT https://crm.example.com/v1?uid=user-123');
    expect(req.textContent).toContain('Bearer «secret CRM_API_KEY: set»');
    expect(c.textContent).toContain('Discarded: invalid session token');
    expect(c.textContent).toContain('CRM_SIGNING is not set');

    const save = [...c.querySelectorAll('button')].find((b) => b.textContent === 'Save')!;
    await act(async () => save.click());
    await flush();
    expect(c.querySelector('[role=alert]')?.textContent).toContain('batch: 200001');
  });
});

describe('RelayDeliveries', () => {
  it('filters, opens the attempt log, replays one and retries the failed ones', async () => {
    window.location.hash = '#/relay/deliveries?destination=crm&status=failed,dead';
    const calls = server({
      'GET /api/admin/relay/deliveries?': () => [200, { deliveries: [
        { id: 7, uid: 'msg_abc', destination_id: 'crm', source: 'import', import_slug: 'imp_1', seq: 3, records: 100, status: 'dead', reason: 'HTTP 500 Internal Server Error; gave up after 3 attempts', attempts: 3, in_flight: false, last_code: 500, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' },
      ] }],
      'GET /api/admin/relay/destinations': () => [200, { destinations: [crmView] }],
      'GET /api/admin/relay/jobs': () => [200, { jobs: [] }],
      'GET /api/admin/relay/deliveries/7': () => [200, {
        id: 7, uid: 'msg_abc', destination_id: 'crm', source: 'import', seq: 3, records: 100, status: 'dead', attempts: 3, in_flight: false, created_at: '', updated_at: '',
        attempt_log: [
          { n: 1, started_at: '2026-01-01T00:00:00Z', duration_ms: 12, status_code: 500, outcome: 'retry', error: 'HTTP 500 Internal Server Error', response: 'oops' },
          { n: 2, started_at: '2026-01-01T00:00:01Z', duration_ms: 2000, status_code: 0, outcome: 'retry', error: 'timed out after 2s' },
        ],
        request: { method: 'PUT', url: 'https://crm.example.com/v1', headers: [['webhook-id', 'msg_abc']], body: '[]', records: 100 }, body_truncated: false,
      }],
      'POST /api/admin/relay/deliveries/7/replay': () => [200, {}],
      'POST /api/admin/relay/deliveries/retry': () => [200, { retried: 4 }],
    });
    view = await render(<RelayDeliveries />);
    await flush();
    const c = view.container;
    const list = calls.find((x) => x.url.startsWith('/api/admin/relay/deliveries?'))!;
    expect(list.url).toContain('destination=crm');
    expect(list.url).toContain('status=failed%2Cdead');
    const row = c.querySelector('tr[data-id="7"]') as HTMLElement;
    expect(row.textContent).toContain('gave up after 3 attempts');
    await act(async () => row.click());
    await flush();
    const panel = c.querySelector('aside[aria-label="Delivery 7"]')!;
    expect(panel.textContent).toContain('msg_abc');
    expect(panel.querySelectorAll('.rly-attempts tbody tr')).toHaveLength(2);
    expect(panel.textContent).toContain('timed out after 2s');
    await act(async () => ([...panel.querySelectorAll('button')].find((b) => b.textContent === 'Replay') as HTMLButtonElement).click());
    await flush();
    expect(calls.some((x) => x.method === 'POST' && x.url.endsWith('/deliveries/7/replay'))).toBe(true);
    await act(async () => ([...c.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Retry all failed')) as HTMLButtonElement).click());
    await flush();
    const retry = calls.find((x) => x.url.endsWith('/deliveries/retry'))!;
    expect(retry.body).toEqual({ destination_id: 'crm', statuses: ['failed', 'dead'] });
    expect(c.textContent).toContain('4 deliveries queued again.');
  });
});

describe('RelayDeliveries date range', () => {
  it('lists the days the address names, shows them, and clears them', async () => {
    window.location.hash = '#/relay/deliveries?status=delivered&from=2026-03-01&to=2026-03-03';
    const calls = server({
      'GET /api/admin/relay/deliveries?': () => [200, { deliveries: [] }],
      'GET /api/admin/relay/destinations': () => [200, { destinations: [] }],
    });
    view = await render(<RelayDeliveries />);
    await flush();
    const c = view.container;
    const lists = () => calls.filter((x) => x.url.startsWith('/api/admin/relay/deliveries?')).map((x) => x.url);
    expect(lists()[0]).toContain('status=delivered');
    expect(lists()[0]).toContain('from=2026-03-01&to=2026-03-03');
    expect(c.querySelector('[data-testid="deliveries-filter"]')?.textContent).toBe('created 2026-03-01 to 2026-03-03 (UTC) · clear dates');
    expect(c.querySelector('a[download]')?.getAttribute('href')).toContain('from=2026-03-01&to=2026-03-03');
    expect([...c.querySelectorAll('button')].some((b) => b.textContent === 'Retry all failed, any day')).toBe(true);
    await act(async () => ([...c.querySelectorAll('button')].find((b) => b.textContent === 'clear dates') as HTMLButtonElement).click());
    await flush();
    expect(lists().at(-1)).not.toContain('from=');
    expect(lists().at(-1)).toContain('status=delivered');
    expect(c.querySelector('[data-testid="deliveries-filter"]')).toBeNull();
    expect(window.location.hash).toBe('#/relay/deliveries?status=delivered');
  });
});

describe('RelaySink', () => {
  it('shows what a sink received, newest first', async () => {
    server({
      'GET /api/admin/relay/sinks/demo-crm': () => [200, { sink: { name: 'demo-crm', total: 2, kept: 2, last_seen: '2026-01-01T00:00:01Z' }, requests: [
        { id: 2, received_at: '2026-01-01T00:00:01Z', method: 'POST', url: '/sink/demo-crm?user_id=u1', headers: [['Authorization', 'Bearer «secret FUSEBOX_DEMO_CRM_KEY»']], body: '[{"contact":{"email":"a@x.io"}}]', body_bytes: 31, truncated: false },
        { id: 1, received_at: '2026-01-01T00:00:00Z', method: 'POST', url: '/sink/demo-crm?user_id=u1', headers: [], body: '{}', body_bytes: 2, truncated: false },
      ] }],
      'GET /api/admin/relay/sinks': () => [200, { sinks: [{ name: 'demo-crm', total: 2, kept: 2, last_seen: '2026-01-01T00:00:01Z' }] }],
    });
    view = await render(<RelaySink name="demo-crm" />);
    await flush();
    const items = view.container.querySelectorAll('.rly-sink li');
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain('/sink/demo-crm?user_id=u1');
    expect(items[0].textContent).toContain('Bearer ••••••'); // credentials masked until revealed (RelaySink.test.tsx)
    expect(items[0].textContent).toContain('"email": "a@x.io"');
    expect(view.container.textContent).toContain('2 received, 2 kept');
  });
});
