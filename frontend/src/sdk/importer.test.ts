import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import FuseboxImporter, { getClientSideToken, getFuseClientSideToken, ImporterError, slugOfToken } from './importer';
import { envelope, isEmbedMessage, isFrom, isHostMessage, originOf, type FromEmbed } from './protocol';

const BASE = 'http://127.0.0.1:8787';

function frameOf(): HTMLIFrameElement {
  const f = document.querySelector<HTMLIFrameElement>('iframe.fusebox-importer-frame');
  if (!f) throw new Error('no importer iframe on the page');
  return f;
}

/**
 * The iframe's window. happy-dom does not load iframes, so each test gives the iframe a stand-in
 * window whose postMessage records what the SDK sends.
 */
function frameWindow(): Window {
  const f = frameOf();
  let w = (f as unknown as { __win?: Window }).__win;
  if (!w) {
    w = { postMessage: () => {} } as unknown as Window;
    (f as unknown as { __win?: Window }).__win = w;
    Object.defineProperty(f, 'contentWindow', { configurable: true, get: () => w });
  }
  return w;
}

/** Dispatches a message event as if posted by `source` from `origin`. */
function deliver(data: unknown, origin: string, source: unknown) {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Lets pending promises (the origin check) settle; works under fake timers too. */
async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** An answer of GET /api/v1/embed/check. */
function checkAnswer(body: Record<string, unknown>, status = 200): Response {
  return new Response(JSON.stringify({ origin: window.location.origin, reason: '', ...body }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('protocol helpers', () => {
  it('recognizes only versioned fusebox envelopes of known types', () => {
    expect(isEmbedMessage(envelope<FromEmbed, 'ready'>('ready', { version: 1 }))).toBe(true);
    expect(isEmbedMessage({ source: 'fusebox', version: 2, type: 'ready', payload: {} })).toBe(false);
    expect(isEmbedMessage({ source: 'other', version: 1, type: 'ready', payload: {} })).toBe(false);
    expect(isEmbedMessage({ source: 'fusebox', version: 1, type: 'init', payload: {} })).toBe(false);
    expect(isEmbedMessage({ source: 'fusebox', version: 1, type: 'ready' })).toBe(false);
    expect(isEmbedMessage('ready')).toBe(false);
    expect(isHostMessage({ source: 'fusebox', version: 1, type: 'init', payload: { token: 't' } })).toBe(true);
    expect(isHostMessage({ source: 'fusebox', version: 1, type: 'complete', payload: {} })).toBe(false);
  });

  it('computes origins and refuses non-http URLs', () => {
    expect(originOf('http://127.0.0.1:8787/embed/importer?x=1')).toBe('http://127.0.0.1:8787');
    expect(originOf('https://example.com')).toBe('https://example.com');
    expect(originOf('javascript:alert(1)')).toBe('');
    expect(originOf('not a url')).toBe('');
  });

  it('isFrom needs both the origin and the source window', () => {
    const w = {};
    expect(isFrom({ origin: BASE, source: w as Window }, BASE, w)).toBe(true);
    expect(isFrom({ origin: 'http://localhost:8787', source: w as Window }, BASE, w)).toBe(false);
    expect(isFrom({ origin: BASE, source: {} as Window }, BASE, w)).toBe(false);
    expect(isFrom({ origin: BASE, source: null }, BASE, null)).toBe(false);
    expect(isFrom({ origin: '', source: w as Window }, '', w)).toBe(false);
  });
});

describe('FuseboxImporter', () => {
  let importer: FuseboxImporter;

  beforeEach(() => {
    document.body.innerHTML = '';
    // The origin check before the frame opens: allowed unless a test says otherwise.
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => checkAnswer({ allowed: true }));
    // happy-dom does not load iframes and says so on console.error; keep every other error visible.
    const realError = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (String(args[0]).includes('Iframe page loading is disabled')) return;
      realError(...args);
    });
  });
  afterEach(() => {
    importer?.close();
    vi.restoreAllMocks();
  });

  it('embeds the iframe with the host origin and locale in the URL, never the token', async () => {
    importer = new FuseboxImporter({ baseUrl: BASE + '/', locale: 'de' });
    importer.getSessionToken = async () => 'secret-session-token';
    importer.show();
    await settle();
    const src = new URL(frameOf().src);
    expect(src.origin + src.pathname).toBe(`${BASE}/embed/importer`);
    expect(src.searchParams.get('origin')).toBe(window.location.origin);
    expect(src.searchParams.get('locale')).toBe('de');
    expect(frameOf().src).not.toContain('secret-session-token');
    expect(document.querySelector('[role="dialog"][aria-modal="true"]')).not.toBeNull();
  });

  it('posts init with the token to the exact embed origin after ready from the iframe', async () => {
    importer = new FuseboxImporter({ baseUrl: BASE, locale: 'fr' });
    importer.getSessionToken = async ({ baseUrl }) => `tok-for-${baseUrl}`;
    importer.setCustomStyles({ colors: { primaryColor: '#ff0000' }, logoURL: 'https://x/logo.png' });
    importer.show();
    await settle();
    const win = frameWindow();
    const post = vi.spyOn(win, 'postMessage').mockImplementation(() => {});
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), BASE, win);
    await flush();
    expect(post).toHaveBeenCalledTimes(1);
    const [msg, target] = post.mock.calls[0] as unknown as [unknown, string];
    expect(target).toBe(BASE);
    expect(msg).toEqual({
      source: 'fusebox',
      version: 1,
      type: 'init',
      payload: { token: `tok-for-${BASE}`, locale: 'fr', styles: { colors: { primaryColor: '#ff0000' }, logoURL: 'https://x/logo.png' }, focus: true },
    });
  });

  it('gives the importer the focus only as a modal: inline, init says nothing of focus', async () => {
    document.body.innerHTML = '<div id="slot"></div>';
    importer = new FuseboxImporter({ baseUrl: BASE, modal: false, container: '#slot' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const win = frameWindow();
    const post = vi.spyOn(win, 'postMessage').mockImplementation(() => {});
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), BASE, win);
    await flush();
    const [msg] = post.mock.calls[0] as unknown as [{ payload: Record<string, unknown> }];
    expect(msg.payload.token).toBe('tok');
    expect('focus' in msg.payload && msg.payload.focus !== undefined).toBe(false);
  });

  it('ignores ready from another origin or another window (no token leaves the page)', async () => {
    importer = new FuseboxImporter({ baseUrl: BASE });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const win = frameWindow();
    const post = vi.spyOn(win, 'postMessage').mockImplementation(() => {});
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), 'http://localhost:8787', win);
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), 'https://evil.example', win);
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), BASE, window);
    deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), BASE, null);
    await flush();
    expect(post).not.toHaveBeenCalled();
  });

  it('calls onComplete only for a complete from the iframe', async () => {
    const onComplete = vi.fn();
    const onClose = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, onComplete, onClose });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const win = frameWindow();
    const payload = { import: 'imp_1', importer: 'contacts', status: 'completed', counts: { rows: 3, records: 3, error_rows: 0, excluded_rows: 0 } };
    deliver(envelope<FromEmbed, 'complete'>('complete', payload), 'https://evil.example', win);
    deliver(envelope<FromEmbed, 'complete'>('complete', payload), BASE, window);
    deliver({ ...envelope<FromEmbed, 'complete'>('complete', payload), version: 2 }, BASE, win);
    expect(onComplete).not.toHaveBeenCalled();
    deliver(envelope<FromEmbed, 'complete'>('complete', payload), BASE, win);
    expect(onComplete).toHaveBeenCalledWith(payload);
    expect(importer.isOpen).toBe(true); // the done screen stays until the user closes it
    expect(onClose).not.toHaveBeenCalled();
    deliver(envelope<FromEmbed, 'close'>('close', {}), BASE, win);
    expect(importer.isOpen).toBe(false);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('cancel closes the importer and calls onCancel', async () => {
    const onCancel = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, onCancel });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const win = frameWindow();
    deliver(envelope<FromEmbed, 'cancel'>('cancel', {}), BASE, win);
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(importer.isOpen).toBe(false);
    expect(document.querySelector('iframe')).toBeNull();
    // after close, messages are not handled any more
    deliver(envelope<FromEmbed, 'cancel'>('cancel', {}), BASE, win);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('reports a failing getSessionToken through onError at once and closes', async () => {
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, onError });
    importer.getSessionToken = async () => {
      throw new Error('backend down');
    };
    importer.show();
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    const err = onError.mock.calls[0][0] as ImporterError;
    expect(err.code).toBe('ESESSION');
    expect(err.message).toContain('backend down');
    expect(importer.isOpen).toBe(false);
  });

  it('passes error events to onError', async () => {
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, onError });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    deliver(envelope<FromEmbed, 'error'>('error', { code: 'EUNAUTHORIZED', message: 'session expired' }), BASE, frameWindow());
    expect(onError.mock.calls[0][0]).toMatchObject({ code: 'EUNAUTHORIZED', message: 'session expired' });
  });

  it('reports an importer that loaded but never said ready (a refused frame)', async () => {
    vi.useFakeTimers();
    try {
      const onError = vi.fn();
      importer = new FuseboxImporter({ baseUrl: BASE, onError });
      importer.getSessionToken = async () => 'tok';
      importer.show();
      await settle();
      frameOf().dispatchEvent(new Event('load'));
      vi.advanceTimersByTime(importer.readyTimeoutMs - 1);
      expect(onError).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0][0]).toMatchObject({ code: 'EEMBED' });
      expect(onError.mock.calls[0][0].message).toContain('publishable key');
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not report a frame that said ready', async () => {
    vi.useFakeTimers();
    try {
      const onError = vi.fn();
      importer = new FuseboxImporter({ baseUrl: BASE, onError });
      importer.getSessionToken = async () => 'tok';
      importer.show();
      await settle();
      deliver(envelope<FromEmbed, 'ready'>('ready', { version: 1 }), BASE, frameWindow());
      frameOf().dispatchEvent(new Event('load'));
      vi.advanceTimersByTime(60_000);
      expect(onError).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps focus in the modal and passes Escape pressed on the host page to the importer', async () => {
    const opener = document.createElement('button');
    const other = document.createElement('input');
    document.body.append(opener, other);
    opener.focus();
    importer = new FuseboxImporter({ baseUrl: BASE });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const win = frameWindow();
    const post = vi.spyOn(win, 'postMessage').mockImplementation(() => {});
    expect(document.activeElement).toBe(frameOf());
    // Focus that lands on the host page behind the modal goes back to the importer.
    other.focus();
    expect(document.activeElement).toBe(frameOf());
    // Tab on the host page does not walk into the page behind the modal.
    const tab = new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true });
    document.body.dispatchEvent(tab);
    expect(tab.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(frameOf());
    // Escape on the host page asks the importer to close (it asks first when there is work to lose).
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    document.body.dispatchEvent(esc);
    expect(esc.defaultPrevented).toBe(true);
    expect(post).toHaveBeenCalledWith({ source: 'fusebox', version: 1, type: 'escape', payload: {} }, BASE);
    importer.close();
    expect(document.activeElement).toBe(opener);
    // Closed: the host page's keys and focus are its own again.
    other.focus();
    expect(document.activeElement).toBe(other);
    const later = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    document.body.dispatchEvent(later);
    expect(later.defaultPrevented).toBe(false);
  });

  it('leaves the host page keys alone when inline', async () => {
    const box = document.createElement('div');
    box.id = 'box';
    const other = document.createElement('input');
    document.body.append(box, other);
    importer = new FuseboxImporter({ baseUrl: BASE, modal: false, container: '#box' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    other.focus();
    expect(document.activeElement).toBe(other);
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    document.body.dispatchEvent(esc);
    expect(esc.defaultPrevented).toBe(false);
  });

  it('renders inside a container when modal is false', async () => {
    document.body.innerHTML = '<div id="slot"></div>';
    importer = new FuseboxImporter({ baseUrl: BASE, modal: false, container: '#slot' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    expect(document.querySelector('#slot iframe.fusebox-importer-frame')).not.toBeNull();
    expect(document.querySelector('[role="dialog"]')).toBeNull();
  });

  it('reports a missing container', async () => {
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, modal: false, container: '#nope', onError });
    importer.show();
    await settle();
    expect(onError.mock.calls[0][0].message).toContain('#nope');
    expect(importer.isOpen).toBe(false);
  });

  it('refuses a baseUrl that is not http(s)', async () => {
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: 'javascript:alert(1)', onError });
    importer.show();
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(importer.isOpen).toBe(false);
  });

  it('sends new styles to an open importer', async () => {
    importer = new FuseboxImporter({ baseUrl: BASE });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    const post = vi.spyOn(frameWindow(), 'postMessage').mockImplementation(() => {});
    importer.setCustomStyles({ colors: { backgroundColor: '#000' } });
    expect(post).toHaveBeenCalledWith(
      { source: 'fusebox', version: 1, type: 'styles', payload: { colors: { backgroundColor: '#000' }, logoURL: undefined } },
      BASE,
    );
  });
});

/** A session token shaped like Fusebox's (a JWT whose payload names the importer). */
function tokenFor(slug: string): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'importer-session+jwt' })}.${b64({ importer: slug, sub: slug, aud: ['fusebox:importer-session'] })}.c2ln`;
}

describe('FuseboxImporter origin check before the frame opens', () => {
  let importer: FuseboxImporter;
  const frame = () => document.querySelector<HTMLIFrameElement>('iframe.fusebox-importer-frame');
  const refused = {
    allowed: false,
    origin: 'http://hostpage.test:5555',
    importer: 'contacts',
    reason: 'http://hostpage.test:5555 is not in any importer\'s settings.allowed_origins, nor in the origins of an active publishable key',
    fixes: { allowed_origins_url: '/#/importers/contacts', keys_url: '/#/keys' },
  };

  beforeEach(() => {
    document.body.innerHTML = '';
    const realError = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (String(args[0]).includes('Iframe page loading is disabled')) return;
      realError(...args);
    });
  });
  afterEach(() => {
    importer?.close();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('raises EEMBED at once for a refused origin, naming both fixes and the console links', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => checkAnswer(refused));
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts', onError });
    importer.getSessionToken = async () => tokenFor('contacts');
    importer.show();
    await settle(); // no timer runs: the answer alone ends it
    expect(onError).toHaveBeenCalledTimes(1);
    const err = onError.mock.calls[0][0] as ImporterError;
    expect(err.code).toBe('EEMBED');
    expect(err.message).toContain('this page (http://hostpage.test:5555) may not embed the importer "contacts"');
    expect(err.message).toContain("add http://hostpage.test:5555 to the importer's settings.allowed_origins");
    expect(err.message).toContain('or add it to the origins of an active publishable key');
    expect(err.message).toContain(`console: ${BASE}/#/importers/contacts`);
    expect(err.message).toContain(`console: ${BASE}/#/keys`);
    expect(err.message).toContain('Allow this origin');
    expect(importer.isOpen).toBe(false);
    expect(frame()).toBeNull();
    const url = new URL(String(fetchMock.mock.calls[0][0]));
    expect(url.origin + url.pathname).toBe(`${BASE}/api/v1/embed/check`);
    expect(url.searchParams.get('importer')).toBe('contacts');
    expect(url.searchParams.get('origin')).toBe(window.location.origin);
    expect((fetchMock.mock.calls[0][1] as RequestInit).credentials).toBe('omit');
  });

  it('never loads the embed page before the answer', async () => {
    let answer: (r: Response) => void = () => {};
    vi.spyOn(globalThis, 'fetch').mockImplementation(() => new Promise<Response>((r) => (answer = r)));
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    expect(frame()?.getAttribute('src') ?? '').toBe('');
    answer(checkAnswer({ allowed: true }));
    await settle();
    expect(new URL(frame()!.src).pathname).toBe('/embed/importer');
  });

  it('reads the importer slug from the session token when no importer option is given', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => checkAnswer({ ...refused, importer: 'orders', fixes: { allowed_origins_url: 'http://fusebox.example/#/importers/orders', keys_url: 'http://fusebox.example/#/keys' } }));
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, onError });
    importer.getSessionToken = async () => tokenFor('orders');
    importer.show();
    await settle();
    expect(new URL(String(fetchMock.mock.calls[0][0])).searchParams.get('importer')).toBe('orders');
    expect(onError.mock.calls[0][0].message).toContain('console: http://fusebox.example/#/importers/orders');
  });

  it('checks while the token is still being fetched when the importer option is given', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => checkAnswer({ allowed: true }));
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts' });
    importer.getSessionToken = () => new Promise<string>(() => {}); // never answers
    importer.show();
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(new URL(frame()!.src).pathname).toBe('/embed/importer');
  });

  it('keeps the ready timeout as the fallback when the server cannot answer the check', async () => {
    vi.useFakeTimers();
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('Failed to fetch'));
    const onError = vi.fn();
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts', onError });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    expect(frame()!.src).toContain('/embed/importer'); // opened anyway
    expect(onError).not.toHaveBeenCalled();
    frame()!.dispatchEvent(new Event('load'));
    vi.advanceTimersByTime(importer.readyTimeoutMs - 1);
    expect(onError).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0]).toMatchObject({ code: 'EEMBED' });
    expect(onError.mock.calls[0][0].message).toContain('settings.allowed_origins');
    expect(onError.mock.calls[0][0].message).toContain('publishable key');
  });

  it('opens the frame when the server has no check route (an older server) or the check hangs', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('404 page not found', { status: 404 }));
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    expect(frame()!.src).toContain('/embed/importer');
    importer.close();

    vi.useFakeTimers();
    vi.spyOn(globalThis, 'fetch').mockImplementation(
      (_url, init) => new Promise<Response>((_, reject) => (init as RequestInit).signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    );
    importer = new FuseboxImporter({ baseUrl: BASE, importer: 'contacts' });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    await settle();
    expect(frame()?.getAttribute('src') ?? '').toBe('');
    vi.advanceTimersByTime(importer.checkTimeoutMs);
    await settle();
    expect(frame()!.src).toContain('/embed/importer');
  });

  it('does not check a page on the server\'s own origin', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch');
    importer = new FuseboxImporter({ baseUrl: window.location.origin });
    importer.getSessionToken = async () => 'tok';
    importer.show();
    expect(frame()!.src).toContain('/embed/importer');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('slugOfToken', () => {
  it('reads the importer claim of a session token and nothing else', () => {
    expect(slugOfToken(tokenFor('contacts'))).toBe('contacts');
    expect(slugOfToken('opaque-token')).toBeUndefined();
    expect(slugOfToken('a.!!!.c')).toBeUndefined();
  });
});

describe('getClientSideToken', () => {
  afterEach(() => vi.restoreAllMocks());

  it('creates a session with the publishable key at the importer base URL', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ token: 'tok-1', expires_at: '2030-01-01T00:00:00Z' }), { status: 201 }),
    );
    const get = getClientSideToken({ importer_slug: 'contacts', api_key: 'fbx_pk_abc', metadata: { user_id: 7 } });
    await expect(get({ baseUrl: BASE })).resolves.toBe('tok-1');
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(`${BASE}/api/v1/importer/sessions`);
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer fbx_pk_abc');
    expect(JSON.parse(init.body as string)).toEqual({ importer_slug: 'contacts', metadata: { user_id: 7 } });
    expect(getFuseClientSideToken).toBe(getClientSideToken);
  });

  it('throws the server error message', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ error: { code: 'EFORBIDDEN', message: 'origin not allowed for this key' } }), { status: 403 }),
    );
    const get = getClientSideToken({ importer_slug: 'contacts', api_key: 'fbx_pk_abc' });
    await expect(get({ baseUrl: BASE })).rejects.toMatchObject({ code: 'EFORBIDDEN', message: 'origin not allowed for this key' });
  });
});
