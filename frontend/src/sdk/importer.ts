/**
 * Fusebox importer SDK: embeds the Fusebox importer (an iframe at `<baseUrl>/embed/importer`) in a
 * host web page, as a modal or inside a container, and reports what the end user did.
 *
 *     const importer = new FuseboxImporter({ baseUrl: 'http://127.0.0.1:8787' });
 *     importer.getSessionToken = async () => (await fetch('/api/session', { method: 'POST' }).then((r) => r.json())).token;
 *     importer.onComplete = (result) => console.log(result.import, result.counts);
 *     importer.show();
 *
 * The session token never travels in a URL: the SDK waits for the iframe's `ready` message and posts
 * the token to the iframe's exact origin. Messages from the iframe are accepted only from that
 * origin and from that iframe's window. See protocol.ts for the envelope.
 */
import {
  envelope,
  isEmbedMessage,
  isFrom,
  originOf,
  type CompletePayload,
  type CustomStyles,
  type EmbedMessage,
  type Locale,
  type ToEmbed,
} from './protocol';

export type { CompletePayload, CustomStyles, ErrorPayload, ImportCounts, Locale } from './protocol';
export { PROTOCOL_SOURCE, PROTOCOL_VERSION } from './protocol';

export interface FuseboxImporterOptions {
  /** Origin of the Fusebox server, e.g. "http://127.0.0.1:8787". Defaults to where the SDK was loaded from. */
  baseUrl?: string;
  /** true (default): a modal over the page. false: the importer fills `container`. */
  modal?: boolean;
  /** Where the importer goes when `modal` is false: an element or a CSS selector. */
  container?: HTMLElement | string;
  /** UI language; defaults to the browser language. */
  locale?: Locale | string;
  /** Called when an import was submitted. */
  onComplete?: (result: CompletePayload) => void;
  /** Called when the end user cancelled. */
  onCancel?: () => void;
  /** Called on a fatal error (no session token, the iframe failed, the session expired...). */
  onError?: (error: ImporterError) => void;
  /** Called when the importer closed itself (the done screen's Close button). */
  onClose?: () => void;
}

/** What `getSessionToken` receives: the importer's base URL (client-side helpers need it). */
export interface SessionTokenContext {
  baseUrl: string;
}

export type GetSessionToken = (ctx: SessionTokenContext) => Promise<string> | string;

/** An error reported to `onError`. `code` is a Fusebox error code (ESESSION, EINVALID, ...). */
export class ImporterError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ImporterError';
    this.code = code;
  }
}

/**
 * The origin this SDK was loaded from (the Fusebox server when served at /sdk/importer.js): the
 * classic <script> of the UMD build, else the ES module's URL. Bundled into a host app, it is the
 * host's own origin; pass `baseUrl` then.
 */
function scriptOrigin(): string {
  const script = typeof document !== 'undefined' ? document.currentScript : null;
  // (no DOM when a server-side renderer imports the SDK: no HTMLScriptElement either)
  if (typeof HTMLScriptElement !== 'undefined' && script instanceof HTMLScriptElement && script.src) return originOf(script.src);
  try {
    const url: string | undefined = import.meta.url;
    return url ? originOf(url) : '';
  } catch {
    return '';
  }
}

const loadedFrom = scriptOrigin();

function defaultBaseUrl(): string {
  if (loadedFrom) return loadedFrom;
  return typeof window !== 'undefined' ? window.location.origin : '';
}

const STYLE_ID = 'fusebox-importer-sdk-style';
const CSS = `
.fusebox-importer-overlay{position:fixed;inset:0;z-index:2147483000;display:flex;align-items:center;justify-content:center;
background:rgba(15,23,42,.55);padding:24px;box-sizing:border-box}
.fusebox-importer-dialog{position:relative;width:100%;max-width:1180px;height:100%;max-height:820px;background:#fff;
border-radius:12px;box-shadow:0 24px 64px rgba(0,0,0,.35);overflow:hidden}
.fusebox-importer-frame{display:block;width:100%;height:100%;border:0}
.fusebox-importer-inline{width:100%;height:100%;min-height:520px}
@media (max-width:640px){.fusebox-importer-overlay{padding:0}.fusebox-importer-dialog{max-height:none;border-radius:0}}
`;

function injectStyle(doc: Document) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.appendChild(style);
}

function resolveContainer(c: HTMLElement | string | undefined): HTMLElement {
  if (c === undefined) throw new ImporterError('EINVALID', 'FuseboxImporter: `container` is required when `modal` is false');
  if (typeof c !== 'string') return c;
  const el = document.querySelector<HTMLElement>(c);
  if (!el) throw new ImporterError('EINVALID', `FuseboxImporter: no element matches the container selector ${JSON.stringify(c)}`);
  return el;
}

export default class FuseboxImporter {
  readonly baseUrl: string;
  readonly modal: boolean;
  /** The iframe's origin: the only origin messages are accepted from and sent to. */
  readonly embedOrigin: string;
  locale?: string;

  /** Returns the importer session token (from your backend, or `getClientSideToken`). */
  getSessionToken: GetSessionToken = () => {
    throw new ImporterError(
      'ESESSION',
      'FuseboxImporter: set importer.getSessionToken = async () => token before show() (see the embedding docs)',
    );
  };
  onComplete?: (result: CompletePayload) => void;
  onCancel?: () => void;
  onError?: (error: ImporterError) => void;
  onClose?: () => void;

  private readonly container?: HTMLElement | string;
  private styles: CustomStyles = {};
  private root: HTMLElement | null = null;
  private frame: HTMLIFrameElement | null = null;
  private listener: ((e: MessageEvent) => void) | null = null;
  private tokenPromise: Promise<string> | null = null;
  private previousFocus: Element | null = null;
  private previousOverflow = '';
  private ready = false;
  private readyTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * How long after the iframe loaded the SDK waits for its `ready` message before reporting that the
   * importer could not start (typically: this page's origin is not allowed to frame it).
   */
  readyTimeoutMs = 5000;

  constructor(options: FuseboxImporterOptions = {}) {
    const base = (options.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, '');
    this.baseUrl = base;
    this.embedOrigin = originOf(base + '/');
    this.modal = options.modal ?? true;
    this.container = options.container;
    this.locale = options.locale;
    this.onComplete = options.onComplete;
    this.onCancel = options.onCancel;
    this.onError = options.onError;
    this.onClose = options.onClose;
  }

  /** URL of the importer page that the SDK embeds in an iframe. */
  embedUrl(): string {
    return `${this.baseUrl}/embed/importer`;
  }

  /** Whether the importer is on the page. */
  get isOpen(): boolean {
    return this.root !== null;
  }

  /**
   * Sets colors and a logo; applied now if the importer is open, else when it opens.
   * Colors are CSS colors: primaryColor (buttons, focus), secondaryColor (hover, highlights),
   * backgroundColor, borderColor, contentColor (text).
   */
  setCustomStyles(styles: CustomStyles): void {
    this.styles = { colors: { ...this.styles.colors, ...styles.colors }, logoURL: styles.logoURL ?? this.styles.logoURL };
    this.post('styles', this.styles);
  }

  /** Opens the importer (a modal, or inside the container). Calling it again while open does nothing. */
  show(): void {
    if (this.root) return;
    if (!this.embedOrigin) {
      this.fail(new ImporterError('EINVALID', `FuseboxImporter: baseUrl ${JSON.stringify(this.baseUrl)} is not an http(s) URL`));
      return;
    }
    let parent: HTMLElement;
    try {
      parent = this.modal ? document.body : resolveContainer(this.container);
    } catch (e) {
      this.fail(e instanceof ImporterError ? e : new ImporterError('EINVALID', String(e)));
      return;
    }
    injectStyle(document);

    // Ask for the token right away (in parallel with the iframe loading).
    this.tokenPromise = Promise.resolve()
      .then(() => this.getSessionToken({ baseUrl: this.baseUrl }))
      .then((t) => {
        if (typeof t !== 'string' || t === '') throw new ImporterError('ESESSION', 'getSessionToken returned no token');
        return t;
      });
    this.tokenPromise.catch(() => {}); // reported when the iframe is ready

    const frame = document.createElement('iframe');
    frame.className = 'fusebox-importer-frame';
    frame.title = 'Fusebox importer';
    frame.setAttribute('allow', 'clipboard-read; clipboard-write');
    const src = new URL(this.embedUrl());
    src.searchParams.set('origin', window.location.origin);
    if (this.locale) src.searchParams.set('locale', this.locale);
    frame.src = src.toString();
    this.frame = frame;
    this.ready = false;
    frame.addEventListener('load', () => {
      clearTimeout(this.readyTimer);
      if (this.ready || this.frame !== frame) return;
      this.readyTimer = setTimeout(() => {
        if (this.ready || this.frame !== frame) return;
        this.fail(
          new ImporterError(
            'EEMBED',
            `the importer at ${this.embedOrigin} did not start in this page: check that ${window.location.origin} is one of the origins of an active publishable key (the importer may only be framed by allowed origins)`,
          ),
        );
      }, this.readyTimeoutMs);
    });

    this.listener = (e: MessageEvent) => this.receive(e);
    window.addEventListener('message', this.listener);

    if (this.modal) {
      this.previousFocus = document.activeElement;
      this.previousOverflow = document.body.style.overflow;
      document.body.style.overflow = 'hidden';
      const overlay = document.createElement('div');
      overlay.className = 'fusebox-importer-overlay';
      const dialog = document.createElement('div');
      dialog.className = 'fusebox-importer-dialog';
      dialog.setAttribute('role', 'dialog');
      dialog.setAttribute('aria-modal', 'true');
      dialog.setAttribute('aria-label', 'Import data');
      dialog.appendChild(frame);
      overlay.appendChild(dialog);
      this.root = overlay;
    } else {
      const wrap = document.createElement('div');
      wrap.className = 'fusebox-importer-inline';
      wrap.appendChild(frame);
      this.root = wrap;
    }
    parent.appendChild(this.root);
    frame.focus();
  }

  /** Removes the importer from the page. No callback is called. */
  close(): void {
    clearTimeout(this.readyTimer);
    if (this.listener) window.removeEventListener('message', this.listener);
    this.listener = null;
    this.root?.remove();
    if (this.root && this.modal) {
      document.body.style.overflow = this.previousOverflow;
      if (this.previousFocus instanceof HTMLElement) this.previousFocus.focus();
    }
    this.root = null;
    this.frame = null;
    this.tokenPromise = null;
  }

  private post<K extends keyof ToEmbed & string>(type: K, payload: ToEmbed[K]) {
    const w = this.frame?.contentWindow;
    if (!w || !this.embedOrigin) return;
    w.postMessage(envelope<ToEmbed, K>(type, payload), this.embedOrigin);
  }

  /** Handles a message from the iframe; anything not from the iframe's window and origin is ignored. */
  private receive(e: MessageEvent) {
    if (!this.frame || !isFrom(e, this.embedOrigin, this.frame.contentWindow)) return;
    if (!isEmbedMessage(e.data)) return;
    this.handle(e.data);
  }

  private handle(msg: EmbedMessage) {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        clearTimeout(this.readyTimer);
        void this.sendInit();
        break;
      case 'complete':
        this.onComplete?.(msg.payload);
        break;
      case 'cancel':
        this.close();
        this.onCancel?.();
        break;
      case 'close':
        this.close();
        this.onClose?.();
        break;
      case 'error':
        this.fail(new ImporterError(String(msg.payload.code || 'EINTERNAL'), String(msg.payload.message || 'importer error')));
        break;
    }
  }

  private async sendInit() {
    const pending = this.tokenPromise;
    if (!pending) return;
    let token: string;
    try {
      token = await pending;
    } catch (e) {
      const err = e instanceof ImporterError ? e : new ImporterError('ESESSION', `getSessionToken failed: ${e instanceof Error ? e.message : String(e)}`);
      this.close();
      this.fail(err);
      return;
    }
    if (this.tokenPromise !== pending) return; // closed or reopened meanwhile
    this.post('init', { token, locale: this.locale, styles: this.styles });
  }

  private fail(err: ImporterError) {
    if (this.onError) this.onError(err);
    else console.error(err);
  }
}

export interface ClientSideTokenOptions {
  importer_slug: string;
  /** A publishable key (fbx_pk_...) whose origins include this page's origin. */
  api_key: string;
  /** Metadata attached to the session (and to every import made in it). */
  metadata?: Record<string, unknown>;
  /** Fusebox server; defaults to the importer's baseUrl. */
  baseUrl?: string;
}

/**
 * Client-side sessions: returns a `getSessionToken` that creates a session in the browser with a
 * publishable key. It exposes the key in the page, so use it only for trusted internal tools and
 * testing; production host apps create sessions on their backend with a secret key.
 */
export function getClientSideToken(opts: ClientSideTokenOptions): GetSessionToken {
  return async (ctx: SessionTokenContext) => {
    const base = (opts.baseUrl ?? ctx?.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, '');
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/importer/sessions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${opts.api_key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ importer_slug: opts.importer_slug, metadata: opts.metadata ?? {} }),
      });
    } catch (e) {
      throw new ImporterError('ENETWORK', `cannot reach ${base}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = (await res.json().catch(() => null)) as { token?: unknown; error?: { code?: string; message?: string } } | null;
    if (!res.ok) {
      throw new ImporterError(body?.error?.code ?? 'ESESSION', body?.error?.message ?? `creating a session failed: HTTP ${res.status}`);
    }
    if (typeof body?.token !== 'string') throw new ImporterError('ESESSION', 'the session answer has no token');
    return body.token;
  };
}

/** The name the Fuse seed uses (`getFuseClientSideToken`), for host apps ported from it. */
export const getFuseClientSideToken = getClientSideToken;

export { FuseboxImporter };
