import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, reportReady, reportStep, request } from './api';
import { getDashboard } from './dashboard/api';

type Call = { url: string; init: RequestInit };

function stubFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return respond(call);
  });
  return calls;
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('request', () => {
  it('GETs with same-origin credentials and decodes JSON', async () => {
    const calls = stubFetch(() => json(200, { status: 'ok', version: '1.2.3' }));
    await expect(request('/healthz')).resolves.toEqual({ status: 'ok', version: '1.2.3' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('/healthz');
    expect(calls[0].init.method).toBe('GET');
    expect(calls[0].init.credentials).toBe('same-origin');
    expect(calls[0].init.body).toBeUndefined();
  });

  it('sends objects as JSON with a content type', async () => {
    const calls = stubFetch(() => new Response(null, { status: 204 }));
    await expect(reportReady('dashboard', 'v0.1.0')).resolves.toBeUndefined();
    expect(calls[0].url).toBe('/api/admin/ready');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe('{"page":"dashboard","version":"v0.1.0"}');
    expect((calls[0].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('reports an importer step with its element position', async () => {
    const calls = stubFetch(() => new Response(null, { status: 204 }));
    await expect(reportStep('importers', 'upload', 1036, 434)).resolves.toBeUndefined();
    expect(calls[0].url).toBe('/api/admin/ready');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe('{"page":"importers","step":"upload","x":1036,"y":434}');
  });

  it('sends bodiless changes with a JSON content type (the server refuses forms and text/plain)', async () => {
    const calls = stubFetch(() => json(200, {}));
    await api.post('/api/admin/keys/key_1/deactivate');
    await api.del('/api/admin/sessions/ses_1');
    for (const c of calls) {
      expect((c.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
      expect(c.init.credentials).toBe('same-origin');
    }
  });

  it('sends a Uint8Array body as is (no Blob: WebKitGTK in the window crashes on Blob bodies)', async () => {
    const bytes = new TextEncoder().encode('a,b\n1,2\n');
    const calls = stubFetch(() => json(200, {}));
    await request('/api/admin/upload', { method: 'PUT', body: bytes, headers: { 'Content-Type': 'text/csv' } });
    expect(calls[0].init.body).toBe(bytes);
    expect((calls[0].init.headers as Record<string, string>)['Content-Type']).toBe('text/csv');
  });

  it.each([
    {
      name: 'server error shape',
      res: () => json(422, { error: { code: 'EINVALID', message: 'name: must not be empty' } }),
      code: 'EINVALID',
      message: 'name: must not be empty',
      status: 422,
    },
    {
      name: '401 with the error shape',
      res: () => json(401, { error: { code: 'EUNAUTHORIZED', message: 'admin login required' } }),
      code: 'EUNAUTHORIZED',
      message: 'admin login required',
      status: 401,
    },
    {
      name: 'plain text 404',
      res: () => new Response('404 page not found', { status: 404, statusText: 'Not Found' }),
      code: 'ENOTFOUND',
      message: 'GET /api/admin/nope: HTTP 404 Not Found',
      status: 404,
    },
    {
      name: '502 from a proxy with HTML',
      res: () => new Response('<html>bad gateway</html>', { status: 502 }),
      code: 'EINTERNAL',
      message: 'GET /api/admin/nope: HTTP 502',
      status: 502,
    },
    {
      name: 'JSON without the error shape',
      res: () => json(409, { detail: 'exists' }),
      code: 'ECONFLICT',
      message: 'GET /api/admin/nope: HTTP 409',
      status: 409,
    },
  ])('surfaces $name as ApiError', async ({ res, code, message, status }) => {
    stubFetch(res);
    const err = await api.get('/api/admin/nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code, message, status });
    expect((err as ApiError).unauthorized).toBe(status === 401);
  });

  it('reports an unreachable server as ENETWORK', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = await getDashboard().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'ENETWORK', status: 0 });
    expect((err as Error).message).toContain('Failed to fetch');
  });

  it('rejects a 200 answer that is not JSON', async () => {
    stubFetch(() => new Response('<!doctype html>', { status: 200 }));
    await expect(getDashboard()).rejects.toMatchObject({ code: 'EBADRESPONSE' });
  });
});
