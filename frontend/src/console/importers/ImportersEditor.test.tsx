import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ImportersEditor from './ImportersEditor';
import { flush, render, type Rendered } from '../test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const contacts = {
  slug: 'contacts',
  name: 'Contacts',
  columns: [
    { key: 'email', label: 'Email', type: 'email', validations: [{ type: 'regex', value: '([' }] },
    { key: 'plan', label: 'Plan', type: 'enum', values: [{ value: 'free' }] },
  ],
};

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  vi.useRealTimers();
  window.location.hash = '';
});

// The editor checks a draft with the server 300 ms after the last edit. With
// fake timers the test runs exactly that long: no request at 299 ms, one at
// 300 ms; then real timers again for the answer to settle.
async function passDebounce(validations: () => number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(299);
  });
  expect(validations()).toBe(0);
  await act(async () => {
    await vi.advanceTimersByTimeAsync(1);
  });
  expect(validations()).toBe(1);
  vi.useRealTimers();
  await flush();
}

describe('ImportersEditor', () => {
  it('shows each server problem next to the field it names and saves with PUT', async () => {
    window.location.hash = '#/importers/contacts';
    const calls: { method: string; url: string; body?: string }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ method: init?.method ?? 'GET', url, body: init?.body as string | undefined });
      if (url === '/api/admin/importers/contacts' && (init?.method ?? 'GET') === 'GET') return json(200, contacts);
      if (url === '/api/admin/importers/validate') {
        return json(422, { error: { code: 'EINVALID', message: 'importer "contacts": column "email": validations[0].regex: invalid regex "([": missing closing ]; importer "contacts": settings.session_ttl: "5s" must be a duration between 1m and 720h' } });
      }
      if (url === '/api/admin/importers/contacts' && init?.method === 'PUT') return json(200, JSON.parse(init.body as string));
      return json(404, { error: { code: 'ENOTFOUND', message: url } });
    }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    view = await render(<ImportersEditor slug="contacts" />);
    await passDebounce(() => calls.filter((c) => c.url === '/api/admin/importers/validate').length);

    const email = view.container.querySelector('section[data-column="email"]')!;
    expect(email.querySelector('[data-validation="0"] .field-error')?.textContent).toBe('validations[0].regex: invalid regex "([": missing closing ]');
    expect(view.container.querySelector('section[data-column="plan"] .field-error')).toBeNull();
    const ttl = [...view.container.querySelectorAll('label.ied-field')].find((l) => l.querySelector('.ied-label')?.textContent === 'Session TTL');
    expect(ttl?.querySelector('.field-error')?.textContent).toContain('must be a duration');
    expect(view.container.querySelector('.ied-status')?.textContent).toContain('2 problems');

    // Reorder: plan moves up; the save sends the new order.
    const up = view.container.querySelector('button[aria-label="Move plan up"]') as HTMLButtonElement;
    await act(async () => up.click());
    expect([...view.container.querySelectorAll('section[data-column]')].map((s) => s.getAttribute('data-column'))).toEqual(['plan', 'email']);
    const save = [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Save') as HTMLButtonElement;
    await act(async () => save.click());
    await flush();
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.url).toBe('/api/admin/importers/contacts');
    expect(JSON.parse(put!.body!).columns.map((c: { key: string }) => c.key)).toEqual(['plan', 'email']);
    expect(view.container.textContent).toContain('Saved.');
  });
});
