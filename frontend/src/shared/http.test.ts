// The shared client's per-surface options. The console's use of it (JSON content type on every
// write, error shapes, ENETWORK, EBADRESPONSE) is covered in console/api.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, errorFrom, request } from './http';

type Call = { url: string; init: RequestInit };

function stubFetch(respond: () => Response) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return respond();
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('request options', () => {
  it('sends the surface credentials and headers (the marketplace: no cookies, its session header)', async () => {
    const calls = stubFetch(() => new Response('{"ok":true}', { status: 200 }));
    await expect(
      request('/api/marketplace/me', { headers: { 'X-Fusebox-Marketplace-Session': 'ms_1' }, credentials: 'omit' }),
    ).resolves.toEqual({ ok: true });
    expect(calls[0].init.credentials).toBe('omit');
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers['X-Fusebox-Marketplace-Session']).toBe('ms_1');
    expect(headers.Accept).toBe('application/json');
  });

  it('words an unreachable server as the surface says', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = await request('/api/importer/importer', { unreachable: (r) => `cannot reach the importer server (${r})` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'ENETWORK', status: 0, message: 'cannot reach the importer server (Failed to fetch)' });
  });

  it('answers text as is when asked (an exported YAML file)', async () => {
    stubFetch(() => new Response('version: 1\n', { status: 200 }));
    await expect(request('/api/admin/workspace', { as: 'text', headers: { Accept: 'text/yaml' } })).resolves.toBe('version: 1\n');
  });
});

describe('errorFrom', () => {
  it('reads what an XMLHttpRequest got (the upload)', async () => {
    const err = await errorFrom({ status: 413, text: '{"error":{"code":"ETOOLARGE","message":"file too large"}}' }, 'upload');
    expect(err).toMatchObject({ code: 'ETOOLARGE', message: 'file too large', status: 413 });
    const plain = await errorFrom({ status: 401, text: '' }, 'upload');
    expect(plain).toMatchObject({ code: 'EUNAUTHORIZED', message: 'upload: HTTP 401', status: 401 });
    expect(plain.unauthorized).toBe(true);
  });
});
