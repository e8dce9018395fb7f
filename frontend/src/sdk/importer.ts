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
  /**
   * The importer's slug. Optional: with it, the SDK checks this page's origin while the session
   * token is fetched; without it, the slug is read from the token.
   */
  importer?: string;
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
.fusebox-importer-overlay{position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483000;display:flex;align-items:center;justify-content:center;
background:rgba(15,23,42,.55);padding:24px;box-sizing:border-box;width:100vw;width:100dvw;height:100vh;height:100dvh;overflow:hidden}
.fusebox-importer-dialog{position:relative;box-sizing:border-box;width:100%;max-width:1180px;height:100%;max-height:820px;background:#fff;
border-radius:12px;box-shadow:0 24px 64px rgba(0,0,0,.35);overflow:hidden;min-width:0;min-height:0}
.fusebox-importer-frame{display:block;width:100%;height:100%;border:0;min-width:0}
.fusebox-importer-inline{width:100%;height:100%;min-height:520px}
@media (max-width:640px),(max-height:560px){.fusebox-importer-overlay{padding:0}.fusebox-importer-dialog{max-width:none;max-height:none;border-radius:0;box-shadow:none}}
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
  private keepFocus: { keydown: (e: KeyboardEvent) => void; focusin: (e: FocusEvent) => void } | null = null;
  private previousOverflow = '';
  private ready = false;
  private readyTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * How long after the iframe loaded the SDK waits for its `ready` message before reporting that the
   * importer could not start (typically: this page's origin is not allowed to frame it).
   */
  readyTimeoutMs = 5000;

  /** How long the origin check before the frame opens may take before the SDK opens the frame anyway. */
  checkTimeoutMs = 4000;

  /** The importer's slug (the `importer` option), for the origin check. */
  importerSlug?: string;

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
    this.importerSlug = options.importer;
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
    this.frame = frame;
    this.ready = false;
    // The frame stays empty until the server says this page may frame the importer.
    void this.openWhenAllowed(frame, src.toString());

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
    if (this.modal) this.holdFocus(frame);
  }

  /**
   * While the modal is open, the page behind it is out of reach: focus that lands there goes back to
   * the importer, Tab does not walk into it, and Escape pressed there closes the importer the way its
   * own Escape does (asking first when there is work to lose). Inside the frame, the importer traps
   * Tab and handles Escape itself.
   */
  private holdFocus(frame: HTMLIFrameElement) {
    const inside = (t: EventTarget | null) => t instanceof Node && !!this.root?.contains(t);
    const keydown = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.post('escape', {});
      } else if (e.key === 'Tab') {
        e.preventDefault();
        frame.focus();
      }
    };
    const focusin = (e: FocusEvent) => {
      if (!inside(e.target)) frame.focus();
    };
    document.addEventListener('keydown', keydown, true);
    document.addEventListener('focusin', focusin, true);
    this.keepFocus = { keydown, focusin };
  }

  /**
   * Opens the frame once the server says this page's origin may frame the importer
   * (GET /api/v1/embed/check). A refused origin ends at once with EEMBED naming both fixes. When the
   * check cannot be made (an older or unreachable server), the frame opens anyway and the ready
   * timeout reports a frame that never starts.
   */
  private async openWhenAllowed(frame: HTMLIFrameElement, src: string) {
    let check: EmbedCheck | null = null;
    // A page on the server's own origin is always allowed ('self'), whatever its scheme.
    if (window.location.origin !== this.embedOrigin) {
      let slug = this.importerSlug;
      if (!slug) {
        try {
          slug = slugOfToken(await (this.tokenPromise ?? Promise.reject(new Error('no token'))));
        } catch {
          if (this.frame === frame) await this.sendInit(); // reports the token failure now
          return;
        }
      }
      if (this.frame !== frame) return;
      check = await this.checkOrigin(slug);
    }
    if (this.frame !== frame) return; // closed or reopened meanwhile
    if (check && !check.allowed) {
      this.close();
      this.fail(new ImporterError('EEMBED', this.refusedMessage(check)));
      return;
    }
    frame.addEventListener('load', () => {
      clearTimeout(this.readyTimer);
      if (this.ready || this.frame !== frame) return;
      this.readyTimer = setTimeout(() => {
        if (this.ready || this.frame !== frame) return;
        this.fail(
          new ImporterError(
            'EEMBED',
            `the importer at ${this.embedOrigin} did not start in this page: check that ${window.location.origin} is in the importer's settings.allowed_origins or one of the origins of an active publishable key (the importer may only be framed by allowed origins), and that the server is reachable`,
          ),
        );
      }, this.readyTimeoutMs);
    });
    frame.src = src;
  }

  /** Asks the server about this page's origin; null when there is no usable answer. */
  private async checkOrigin(slug: string | undefined): Promise<EmbedCheck | null> {
    const url = new URL(`${this.baseUrl}/api/v1/embed/check`);
    if (slug) url.searchParams.set('importer', slug);
    url.searchParams.set('origin', window.location.origin);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.checkTimeoutMs);
    try {
      const res = await fetch(url.toString(), { credentials: 'omit', cache: 'no-store', signal: abort.signal });
      if (!res.ok) return null;
      const body = (await res.json()) as Partial<EmbedCheck> | null;
      if (typeof body?.allowed !== 'boolean') return null;
      return { allowed: body.allowed, origin: String(body.origin ?? ''), importer: body.importer, reason: String(body.reason ?? ''), fixes: body.fixes };
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private refusedMessage(check: EmbedCheck): string {
    const origin = check.origin || window.location.origin;
    const link = (u: string | undefined, fallback: string) => {
      try {
        return new URL(u || fallback, this.baseUrl + '/').toString();
      } catch {
        return this.baseUrl + fallback;
      }
    };
    const slug = check.importer || this.importerSlug;
    const importerLink = link(check.fixes?.allowed_origins_url, slug ? `/#/importers/${encodeURIComponent(slug)}` : '/#/importers');
    const keysLink = link(check.fixes?.keys_url, '/#/keys');
    const reason = check.reason ? `: ${check.reason.replace(/\.$/, '')}` : '';
    return (
      `this page (${origin}) may not embed the importer${slug ? ` "${slug}"` : ''} from ${this.embedOrigin}${reason}. ` +
      `Fix it either way: add ${origin} to the importer's settings.allowed_origins (console: ${importerLink}, ` +
      `where "Allow this origin" under Origins recently refused does it in one click), ` +
      `or add it to the origins of an active publishable key (console: ${keysLink}).`
    );
  }

  /** Removes the importer from the page. No callback is called. */
  close(): void {
    clearTimeout(this.readyTimer);
    if (this.listener) window.removeEventListener('message', this.listener);
    this.listener = null;
    if (this.keepFocus) {
      document.removeEventListener('keydown', this.keepFocus.keydown, true);
      document.removeEventListener('focusin', this.keepFocus.focusin, true);
      this.keepFocus = null;
    }
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
    this.post('init', { token, locale: this.locale, styles: this.styles, focus: this.modal || undefined });
  }

  private fail(err: ImporterError) {
    if (this.onError) this.onError(err);
    else console.error(err);
  }
}

/** The answer of GET /api/v1/embed/check. */
interface EmbedCheck {
  allowed: boolean;
  origin: string;
  importer?: string;
  reason: string;
  fixes?: { allowed_origins_url?: string; keys_url?: string };
}

/** The importer slug a Fusebox session token names (its payload's `importer` claim), if readable. */
export function slugOfToken(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))) as { importer?: unknown; sub?: unknown };
    if (typeof claims.importer === 'string' && claims.importer) return claims.importer;
    if (typeof claims.sub === 'string' && claims.sub) return claims.sub;
  } catch {
    // not a JWT: the check goes without the slug
  }
  return undefined;
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
