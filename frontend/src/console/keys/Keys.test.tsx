import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Keys from './Keys';
import { flush, render, type Rendered } from '../test-utils';
import type { ApiKey, Session } from './api';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const secretKey: ApiKey = {
  id: 'key_secret1',
  name: 'billing backend',
  kind: 'secret',
  prefix: 'fbx_sk_AbCd',
  importers: [],
  origins: [],
  active: true,
  created_at: '2026-03-04T10:00:00Z',
  last_used_at: '2026-03-04T11:00:00Z',
};
const pubKey: ApiKey = {
  id: 'key_pub1',
  name: 'admin tool',
  kind: 'publishable',
  prefix: 'fbx_pk_WxYz',
  importers: ['contacts'],
  origins: ['http://localhost:*'],
  active: false,
  created_at: '2026-03-04T09:00:00Z',
  deactivated_at: '2026-03-04T12:00:00Z',
};
const session: Session = {
  id: 'ses_one',
  importer_slug: 'contacts',
  metadata: { user_id: 123 },
  key_id: 'key_secret1',
  origin: '',
  created_at: '2026-03-04T10:00:00Z',
  expires_at: '2026-03-04T11:00:00Z',
  status: 'active',
};
const sessionsPage = (data: Session[]) => ({
  data,
  pagination: { current: 1, previous: null, next: null, limit: 20, total_pages: data.length ? 1 : 0, total_count: data.length },
});

interface Call {
  url: string;
  method: string;
  body?: unknown;
}

/** A fetch stub that answers the console's keys/sessions API from in-memory state. */
function server(opts: { keys?: ApiKey[]; sessions?: Session[]; status?: number } = {}) {
  const keys = [...(opts.keys ?? [secretKey, pubKey])];
  const sessions = [...(opts.sessions ?? [session])];
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ url, method, body });
    if (opts.status) return json(opts.status, { error: { code: 'EUNAUTHORIZED', message: 'admin login required' } });
    if (url === '/api/admin/keys' && method === 'GET') return json(200, { data: keys });
    if (url === '/api/admin/keys' && method === 'POST') {
      if (!body.name) return json(422, { error: { code: 'EINVALID', message: 'name is required' } });
      const created = { ...secretKey, id: 'key_new', name: body.name, kind: body.kind, importers: body.importers, origins: body.origins, prefix: 'fbx_sk_NeWk', secret: 'fbx_sk_NeWkTheWholeSecretKeyText0123456789abcdefgh' };
      keys.unshift(created);
      return json(201, created);
    }
    const deact = /^\/api\/admin\/keys\/(.+)\/deactivate$/.exec(url);
    if (deact && method === 'POST') {
      const k = keys.find((x) => x.id === deact[1])!;
      k.active = false;
      return json(200, k);
    }
    if (url.startsWith('/api/admin/sessions?') && method === 'GET') {
      const status = new URL(url, 'http://x').searchParams.get('status');
      return json(200, sessionsPage(sessions.filter((s) => !status || s.status === status)));
    }
    const rev = /^\/api\/admin\/sessions\/(.+)$/.exec(url);
    if (rev && method === 'DELETE') {
      const s = sessions.find((x) => x.id === rev[1])!;
      s.status = 'revoked';
      return json(200, s);
    }
    return json(404, { error: { code: 'ENOTFOUND', message: `no route ${method} ${url}` } });
  });
  vi.stubGlobal('fetch', fetch);
  return { calls, fetch };
}

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
});

function button(name: string): HTMLButtonElement {
  const b = [...view!.container.querySelectorAll('button')].find((x) => x.textContent === name);
  if (!b) throw new Error(`no button ${name}; page: ${view!.container.textContent}`);
  return b as HTMLButtonElement;
}

function setInput(el: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  setter.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

function rows(label: string): string[][] {
  return [...view!.container.querySelectorAll(`table[aria-label="${label}"] tbody tr`)].map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
  );
}

describe('Keys & Sessions', () => {
  it('lists keys by prefix and sessions with importer, metadata, origin, key and status', async () => {
    server();
    view = await render(<Keys />);
    await flush();
    const keyRows = rows('API keys');
    expect(keyRows.map((r) => [r[0], r[1], r[2], r[6]])).toEqual([
      ['billing backend', 'secret', 'fbx_sk_AbCd…', 'active'],
      ['admin tool', 'publishable', 'fbx_pk_WxYz…', 'deactivated'],
    ]);
    expect(keyRows[1][3]).toContain('http://localhost:*');
    const sess = rows('Sessions');
    expect(sess).toHaveLength(1);
    expect(sess[0].slice(0, 5)).toEqual(['ses_one', 'contacts', '{"user_id":123}', 'server', 'billing backend']);
    expect(sess[0][7]).toBe('active');
  });

  it('creates a key, reveals it once with a copy button, then forgets it', async () => {
    const { calls } = server();
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    view = await render(<Keys />);
    await flush();
    await act(async () => button('Create key').click());
    const form = view.container.querySelector('form[aria-label="Create API key"]') as HTMLFormElement;
    await act(async () => setInput(form.querySelector('input[name="name"]')!, 'ci job'));
    await act(async () => form.requestSubmit());
    await flush();

    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ name: 'ci job', kind: 'secret', importers: [], origins: [] });
    const shown = view.container.querySelector('[data-testid="new-key"]') as HTMLInputElement;
    expect(shown.value).toBe('fbx_sk_NeWkTheWholeSecretKeyText0123456789abcdefgh');
    expect(view.container.textContent).toContain('will not be shown again');
    await act(async () => button('Copy').click());
    await flush();
    expect(writeText).toHaveBeenCalledWith('fbx_sk_NeWkTheWholeSecretKeyText0123456789abcdefgh');
    expect(view.container.textContent).toContain('Copied to the clipboard.');
    // The list was reloaded and shows the new key by its prefix only.
    expect(rows('API keys')[0].slice(0, 3)).toEqual(['ci job', 'secret', 'fbx_sk_NeWk…']);

    await act(async () => button('I have stored it').click());
    expect(view.container.querySelector('[data-testid="new-key"]')).toBeNull();
    expect(view.container.innerHTML).not.toContain('TheWholeSecretKeyText');
  });

  it('asks for importers and origins for a publishable key, with the client-side warning', async () => {
    const { calls } = server();
    view = await render(<Keys />);
    await flush();
    await act(async () => button('Create key').click());
    const form = view.container.querySelector('form[aria-label="Create API key"]') as HTMLFormElement;
    await act(async () => setInput(form.querySelector('input[name="name"]')!, 'tool'));
    await act(async () => (form.querySelector('input[value="publishable"]') as HTMLInputElement).click());
    expect(form.textContent).toContain('trusted internal tools and testing');
    await act(async () => setInput(form.querySelector('input[name="importers"]')!, 'contacts, orders'));
    await act(async () => setInput(form.querySelector('input[name="origins"]')!, 'https://a.example.com http://localhost:*'));
    await act(async () => form.requestSubmit());
    await flush();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      name: 'tool',
      kind: 'publishable',
      importers: ['contacts', 'orders'],
      origins: ['https://a.example.com', 'http://localhost:*'],
    });
  });

  it('shows the server error when creating fails and keeps the form', async () => {
    server();
    view = await render(<Keys />);
    await flush();
    await act(async () => button('Create key').click());
    const form = view.container.querySelector('form[aria-label="Create API key"]') as HTMLFormElement;
    (form.querySelector('input[name="name"]') as HTMLInputElement).required = false;
    await act(async () => form.requestSubmit());
    await flush();
    expect(form.querySelector('[role="alert"]')?.textContent).toBe('name is required');
    expect(view.container.querySelector('[data-testid="new-key"]')).toBeNull();
  });

  it('deactivates a key only after confirming', async () => {
    const { calls } = server();
    view = await render(<Keys />);
    await flush();
    await act(async () => button('Deactivate').click());
    expect(calls.some((c) => c.url.endsWith('/deactivate'))).toBe(false);
    await act(async () => button('Yes, deactivate').click());
    await flush();
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/admin/keys/key_secret1/deactivate']);
    expect(rows('API keys')[0][6]).toBe('deactivated');
  });

  it('revokes a session and filters sessions by status', async () => {
    const { calls } = server();
    view = await render(<Keys />);
    await flush();
    await act(async () => button('Revoke').click());
    await flush();
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/admin/sessions/ses_one')).toBe(true);
    expect(rows('Sessions')[0][7]).toBe('revoked');

    const select = view.container.querySelector('select[aria-label="Session status"]') as HTMLSelectElement;
    await act(async () => {
      select.value = 'active';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
    expect(calls.at(-1)?.url).toBe('/api/admin/sessions?status=active&per_page=20');
    expect(view.container.textContent).toContain('No sessions match these filters.');
  });

  it('tells a signed-out browser how to sign in', async () => {
    server({ status: 401 });
    view = await render(<Keys />);
    await flush();
    expect(view.container.querySelector('[role="alert"]')?.textContent).toContain('Open the login URL printed by fusebox serve');
  });
});
