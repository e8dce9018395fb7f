import { act, createElement, StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FuseboxImporter, type FuseboxImporterProps } from './react';
import { COMPLETE, SERVER, answerOriginCheck, frames, fromFrame, onlyFrame, quietIframeLoading, settle, tokenSentTo } from './testing';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('React <FuseboxImporter>', () => {
  let host: HTMLElement;
  let root: Root;

  beforeEach(() => {
    document.body.innerHTML = '';
    document.body.style.overflow = '';
    quietIframeLoading();
    answerOriginCheck(true);
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });
  afterEach(() => {
    act(() => root.unmount());
    vi.restoreAllMocks();
  });

  const render = (props: FuseboxImporterProps) => act(async () => root.render(createElement(FuseboxImporter, props)));

  it('opens a modal on mount and removes it, its listener and the scroll lock on unmount', async () => {
    const added = vi.spyOn(window, 'addEventListener');
    const removed = vi.spyOn(window, 'removeEventListener');
    const getSessionToken = vi.fn(async () => 'tok-1');
    await render({ serverUrl: SERVER, importerSlug: 'contacts', metadata: { user_id: 7 }, getSessionToken });
    const frame = onlyFrame();
    expect(frame.closest('.fusebox-importer-overlay')?.parentElement).toBe(document.body);
    expect(document.body.style.overflow).toBe('hidden');
    expect(await tokenSentTo(frame)).toBe('tok-1');
    expect(new URL(frame.src).origin).toBe(SERVER);
    expect(getSessionToken).toHaveBeenCalledWith({ baseUrl: SERVER, importerSlug: 'contacts', metadata: { user_id: 7 } });
    const listener = added.mock.calls.find(([type]) => type === 'message')?.[1];
    expect(listener).toBeTypeOf('function');

    act(() => root.unmount());
    expect(frames()).toHaveLength(0);
    expect(document.querySelector('.fusebox-importer-overlay')).toBeNull();
    expect(document.body.style.overflow).toBe('');
    expect(removed.mock.calls.some(([type, fn]) => type === 'message' && fn === listener)).toBe(true);
    root = createRoot(host); // for afterEach
  });

  it('calls the latest callbacks without reopening, and onClose when the done screen closes', async () => {
    const first = vi.fn();
    const second = vi.fn();
    const onClose = vi.fn();
    await render({ serverUrl: SERVER, importerSlug: 'contacts', sessionToken: 'tok', onComplete: first, onClose });
    const frame = onlyFrame();
    expect(await tokenSentTo(frame)).toBe('tok');
    await render({ serverUrl: SERVER, importerSlug: 'contacts', sessionToken: 'tok', onComplete: second, onClose });
    expect(onlyFrame()).toBe(frame); // same session
    fromFrame(frame, 'complete', COMPLETE);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith(COMPLETE);
    fromFrame(frame, 'close', {});
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(frames()).toHaveLength(0);
  });

  it('reopens with a new session when a prop that needs it changes', async () => {
    const getSessionToken = vi.fn(async ({ importerSlug }: { importerSlug?: string }) => `tok-${importerSlug}`);
    await render({ serverUrl: SERVER, importerSlug: 'contacts', getSessionToken });
    const a = onlyFrame();
    expect(await tokenSentTo(a)).toBe('tok-contacts');
    await render({ serverUrl: SERVER, importerSlug: 'orders', getSessionToken });
    const b = onlyFrame();
    expect(b).not.toBe(a);
    expect(a.isConnected).toBe(false);
    expect(await tokenSentTo(b)).toBe('tok-orders');
    await render({ serverUrl: SERVER, importerSlug: 'orders', getSessionToken, locale: 'de' });
    const c = onlyFrame();
    expect(c).not.toBe(b);
    await settle();
    expect(new URL(c.src).searchParams.get('locale')).toBe('de');
  });

  it('inline: fills its own element, and onCancel fires when the user cancels', async () => {
    const onCancel = vi.fn();
    await render({ serverUrl: SERVER, sessionToken: 'tok', inline: true, className: 'box', onCancel });
    const frame = onlyFrame();
    const box = host.querySelector('div.box[data-fusebox-importer]');
    expect(box).not.toBeNull();
    expect(box!.contains(frame)).toBe(true);
    expect(document.body.style.overflow).toBe('');
    fromFrame(frame, 'cancel', {});
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(frames()).toHaveLength(0);
  });

  it('names the importer in the origin check, and a refused origin ends at once with EEMBED', async () => {
    vi.mocked(fetch).mockClear();
    const onError = vi.fn();
    await render({ serverUrl: SERVER, importerSlug: 'contacts', sessionToken: 'tok', onError });
    await settle();
    const asked = new URL(String(vi.mocked(fetch).mock.calls[0][0]));
    expect(asked.pathname).toBe('/api/v1/embed/check');
    expect(asked.searchParams.get('importer')).toBe('contacts');
    expect(onError).not.toHaveBeenCalled();
    act(() => root.unmount());
    root = createRoot(host);

    answerOriginCheck(false);
    await render({ serverUrl: SERVER, importerSlug: 'contacts', sessionToken: 'tok', onError });
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0].code).toBe('EEMBED');
    expect(frames()).toHaveLength(0);
  });

  it('opens one session under StrictMode (mount, unmount, mount)', async () => {
    const getSessionToken = vi.fn(async () => 'tok');
    await act(async () => root.render(createElement(StrictMode, null, createElement(FuseboxImporter, { serverUrl: SERVER, importerSlug: 'contacts', getSessionToken }))));
    const frame = onlyFrame();
    expect(await tokenSentTo(frame)).toBe('tok');
    expect(getSessionToken).toHaveBeenCalledTimes(1);
  });

  it('reports a missing token source through onError', async () => {
    const onError = vi.fn();
    await render({ serverUrl: SERVER, importerSlug: 'contacts', onError });
    fromFrame(onlyFrame(), 'ready', { version: 1 });
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0].code).toBe('ESESSION');
  });
});
