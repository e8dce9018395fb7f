import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, h, nextTick, reactive, type App } from 'vue';
import { FuseboxImporter } from './vue';
import { COMPLETE, SERVER, answerOriginCheck, frames, fromFrame, onlyFrame, quietIframeLoading, settle, tokenSentTo } from './testing';

describe('Vue <FuseboxImporter>', () => {
  let host: HTMLElement;
  let app: App | null = null;

  beforeEach(() => {
    document.body.innerHTML = '';
    document.body.style.overflow = '';
    quietIframeLoading();
    answerOriginCheck(true);
    host = document.createElement('div');
    document.body.appendChild(host);
  });
  afterEach(() => {
    app?.unmount();
    app = null;
    vi.restoreAllMocks();
  });

  /** Mounts the component with reactive props (change them to re-render) and event handlers. */
  function mount(props: Record<string, unknown>, on: Record<string, (...a: never[]) => void> = {}) {
    const state = reactive({ ...props });
    app = createApp({ render: () => h(FuseboxImporter, { ...(state as { serverUrl: string }), ...on }) });
    app.mount(host);
    return state;
  }

  it('opens a modal on mount and removes it, its listener and the scroll lock on unmount', async () => {
    const added = vi.spyOn(window, 'addEventListener');
    const removed = vi.spyOn(window, 'removeEventListener');
    const getSessionToken = vi.fn(async () => 'tok-1');
    mount({ serverUrl: SERVER, importerSlug: 'contacts', metadata: { user_id: 7 }, getSessionToken });
    const frame = onlyFrame();
    expect(frame.closest('.fusebox-importer-overlay')?.parentElement).toBe(document.body);
    expect(document.body.style.overflow).toBe('hidden');
    expect(await tokenSentTo(frame)).toBe('tok-1');
    expect(getSessionToken).toHaveBeenCalledWith({ baseUrl: SERVER, importerSlug: 'contacts', metadata: { user_id: 7 } });
    const listener = added.mock.calls.find(([type]) => type === 'message')?.[1];

    app!.unmount();
    app = null;
    expect(frames()).toHaveLength(0);
    expect(document.querySelector('.fusebox-importer-overlay')).toBeNull();
    expect(document.body.style.overflow).toBe('');
    expect(removed.mock.calls.some(([type, fn]) => type === 'message' && fn === listener)).toBe(true);
  });

  it('emits complete and close; cancel emits cancel', async () => {
    const onComplete = vi.fn();
    const onClose = vi.fn();
    const onCancel = vi.fn();
    mount({ serverUrl: SERVER, sessionToken: 'tok' }, { onComplete, onClose, onCancel });
    const frame = onlyFrame();
    expect(await tokenSentTo(frame)).toBe('tok');
    fromFrame(frame, 'complete', COMPLETE);
    expect(onComplete).toHaveBeenCalledWith(COMPLETE);
    fromFrame(frame, 'close', {});
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(frames()).toHaveLength(0);
    expect(onCancel).not.toHaveBeenCalled();
  });

  it('reopens with a new session when a prop changes, deeply for metadata', async () => {
    const getSessionToken = vi.fn(async ({ importerSlug, metadata }: { importerSlug?: string; metadata?: Record<string, unknown> }) => `tok-${importerSlug}-${metadata?.user_id}`);
    const state = mount({ serverUrl: SERVER, importerSlug: 'contacts', metadata: { user_id: 1 }, getSessionToken });
    const a = onlyFrame();
    expect(await tokenSentTo(a)).toBe('tok-contacts-1');
    state.importerSlug = 'orders';
    await nextTick();
    await nextTick();
    const b = onlyFrame();
    expect(b).not.toBe(a);
    expect(await tokenSentTo(b)).toBe('tok-orders-1');
    (state.metadata as { user_id: number }).user_id = 2;
    await nextTick();
    await nextTick();
    const c = onlyFrame();
    expect(c).not.toBe(b);
    expect(await tokenSentTo(c)).toBe('tok-orders-2');
  });

  it('inline: fills its own element; an error without a listener goes to the console', async () => {
    mount({ serverUrl: SERVER, importerSlug: 'contacts', inline: true });
    const frame = onlyFrame();
    const box = host.querySelector('div[data-fusebox-importer]');
    expect(box?.contains(frame)).toBe(true);
    const logged = console.error as unknown as ReturnType<typeof vi.fn>;
    fromFrame(frame, 'ready', { version: 1 });
    await settle();
    expect(logged.mock.calls.some(([e]) => (e as { code?: string })?.code === 'ESESSION')).toBe(true);
  });

  it('emits error to an @error listener', async () => {
    const onError = vi.fn();
    mount({ serverUrl: SERVER, importerSlug: 'contacts' }, { onError });
    fromFrame(onlyFrame(), 'ready', { version: 1 });
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0].code).toBe('ESESSION');
  });
});
