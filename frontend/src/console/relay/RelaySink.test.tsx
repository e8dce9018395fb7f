import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import RelaySink, { isSecretHeader, maskValue } from './RelaySink';
import { flush, render, type Rendered } from '../test-utils';

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
});

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

describe('sink viewer', () => {
  it('knows which headers carry credentials', () => {
    for (const h of ['Authorization', 'authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'X-API_KEY', 'X-Auth-Token', 'Webhook-Signature', 'X-Client-Secret']) {
      expect(isSecretHeader(h), h).toBe(true);
    }
    for (const h of ['Content-Type', 'User-Agent', 'Accept', 'X-Team', 'Idempotency-Key-Id'.replace('-Key-Id', '')]) {
      expect(isSecretHeader(h), h).toBe(false);
    }
    expect(maskValue('Bearer sk_live_123')).toBe('Bearer ••••••');
    expect(maskValue('sk_live_123')).toBe('••••••');
  });

  it('masks credentials by default and reveals them on request', async () => {
    vi.stubGlobal('fetch', async (url: string) => {
      if (url === '/api/admin/relay/sinks') return json({ sinks: [{ name: 'crm', total: 1, kept: 1 }] });
      // The server masks credential headers unless the admin asks to reveal them (?reveal=1).
      const reveal = url.includes('reveal=1');
      return json({
        sink: { name: 'crm', total: 1, kept: 1 },
        requests: [{ id: 1, method: 'POST', url: '/sink/crm', received_at: '2026-03-01T10:00:00Z', body_bytes: 2, truncated: false, body: '{}',
          headers: [['Authorization', reveal ? 'Bearer sk_live_123' : 'Bearer «credential»'], ['X-Api-Key', reveal ? 'k-999' : '«credential»'], ['Content-Type', 'application/json']] }],
      });
    });
    view = await render(<RelaySink name="crm" />);
    await flush();
    const text = () => view!.container.textContent ?? '';
    expect(text()).not.toContain('sk_live_123');
    expect(text()).not.toContain('«credential»'); // masked again here: one look for every credential
    expect(text()).not.toContain('k-999');
    expect(text()).toContain('application/json');
    expect(view.container.querySelector('tr[data-header="authorization"]')?.getAttribute('data-masked')).toBe('true');
    const reveal = [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Reveal credentials')!;
    await act(async () => reveal.click());
    await flush();
    expect(text()).toContain('Bearer sk_live_123');
    expect(text()).toContain('k-999');
  });
});
