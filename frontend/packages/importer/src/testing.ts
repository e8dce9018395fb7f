// Test helpers for the components: happy-dom does not load iframes, so the importer iframe gets a
// stand-in window whose postMessage records what the SDK sends, and messages "from the iframe" are
// dispatched with that window as their source.
import { vi } from 'vitest';
import { envelope, type FromEmbed } from '../../../src/sdk/protocol';

export const SERVER = 'http://127.0.0.1:8787';

export function frames(): HTMLIFrameElement[] {
  return [...document.querySelectorAll<HTMLIFrameElement>('iframe.fusebox-importer-frame')];
}

export function onlyFrame(): HTMLIFrameElement {
  const f = frames();
  if (f.length !== 1) throw new Error(`want 1 importer iframe on the page, have ${f.length}`);
  return f[0];
}

/** The iframe's stand-in window; `posted` holds what the SDK sent to it. */
export function frameWindow(frame: HTMLIFrameElement): { win: Window; posted: unknown[] } {
  const f = frame as unknown as { __w?: { win: Window; posted: unknown[] } };
  if (!f.__w) {
    const posted: unknown[] = [];
    const win = { postMessage: (data: unknown) => posted.push(data) } as unknown as Window;
    f.__w = { win, posted };
    Object.defineProperty(frame, 'contentWindow', { configurable: true, get: () => win });
  }
  return f.__w;
}

/** Posts a message of the importer protocol to the page as the iframe would. */
export function fromFrame<K extends keyof FromEmbed & string>(frame: HTMLIFrameElement, type: K, payload: FromEmbed[K]) {
  const { win } = frameWindow(frame);
  window.dispatchEvent(new MessageEvent('message', { data: envelope<FromEmbed, K>(type, payload), origin: SERVER, source: win }));
}

export const flush = () => new Promise((r) => setTimeout(r, 0));

/** Lets pending promises settle (the origin check before the frame opens). */
export async function settle() {
  for (let i = 0; i < 10; i++) await flush();
}

/**
 * Answers the SDK's origin check (GET /api/v1/embed/check) with `allowed`; returns the spy, whose
 * calls hold the URLs asked.
 */
export function answerOriginCheck(allowed = true) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const url = new URL(String(input));
    if (url.pathname !== '/api/v1/embed/check') throw new Error(`unexpected fetch ${url}`);
    const body = allowed
      ? { allowed: true, origin: window.location.origin, reason: '' }
      : { allowed: false, origin: window.location.origin, importer: url.searchParams.get('importer'), reason: 'origin not allowed' };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
}

/** The token the SDK posted to the iframe in its init message (after the iframe said ready). */
export async function tokenSentTo(frame: HTMLIFrameElement): Promise<string | undefined> {
  const { posted } = frameWindow(frame);
  await settle();
  fromFrame(frame, 'ready', { version: 1 });
  await settle();
  const init = posted.find((m) => (m as { type?: string }).type === 'init') as { payload?: { token?: string } } | undefined;
  return init?.payload?.token;
}

/** happy-dom says on console.error that it does not load iframes; keep every other error visible. */
export function quietIframeLoading() {
  const realError = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (String(args[0]).includes('Iframe page loading is disabled')) return;
    realError(...args);
  });
}

export const COMPLETE = { import: 'imp_1', importer: 'contacts', status: 'completed', counts: { rows: 3, records: 3, error_rows: 0, excluded_rows: 0 } };
