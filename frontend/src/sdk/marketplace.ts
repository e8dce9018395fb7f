/**
 * Fusebox marketplace SDK: embeds the integrations marketplace in a host page and delivers its
 * events.
 *
 * ```ts
 * import FuseboxMarketplace from 'http://127.0.0.1:8787/sdk/marketplace.js';
 * const market = new FuseboxMarketplace({ baseUrl: 'http://127.0.0.1:8787' });
 * const embed = market.mount({
 *   container: '#integrations',
 *   jwt, // signed by your backend with a marketplace API secret (HS256), as APIFuse documents
 *   onEvent: (e) => console.log(e.id, e.targetUrl, e.message),
 * });
 * ```
 *
 * The iframe posts each event as a JSON string `{id, targetUrl, message}` to this page's exact
 * origin (which must be in the workspace's `embed_origins`). The helper only accepts messages
 * whose `event.origin` is the marketplace's origin and whose `event.source` is its iframe, and
 * parses them defensively. Event ids: `ready`, `user_login_required`, `user_listing_click`,
 * `listing_installation_complete`, `listing_installation_failed` (reason in `message`),
 * `installation_removed`.
 */

import { MARKETPLACE_EVENTS, parseResizeMessage, type MarketplaceEvent, type MarketplaceEventId } from './marketplace-protocol';

export type { MarketplaceEvent, MarketplaceEventId } from './marketplace-protocol';
export { MARKETPLACE_EVENTS } from './marketplace-protocol';

export interface FuseboxMarketplaceOptions {
  /** Origin of the Fusebox server, e.g. "http://127.0.0.1:8787". Defaults to the page's origin. */
  baseUrl?: string;
}

export interface EmbedUrlOptions {
  /** Open this listing's page instead of the catalog. */
  listingId?: string;
  /** The host page origin, checked by Fusebox against embed_origins (mount() sets it). */
  origin?: string;
}

export interface MountOptions extends EmbedUrlOptions {
  /** Element (or selector) the iframe is appended to. */
  container: HTMLElement | string;
  /** Signed-link token; without one the catalog opens for browsing only. */
  jwt?: string;
  /** Called for every event from the iframe. */
  onEvent?: (event: MarketplaceEvent) => void;
  /**
   * "auto" (the default): the iframe follows the height of its content (the marketplace posts it),
   * starting at `minHeight`; or a fixed CSS height such as "720px" or "100%".
   */
  height?: string;
  /** The auto height's start and least value (default "480px"). */
  minHeight?: string;
  /** Accessible title of the iframe. */
  title?: string;
}

export interface MarketplaceEmbed {
  readonly iframe: HTMLIFrameElement;
  /** Adds a listener for one event id (or "*" for all); returns a function that removes it. */
  on(id: MarketplaceEventId | '*', fn: (event: MarketplaceEvent) => void): () => void;
  /** Removes the iframe and stops listening. */
  destroy(): void;
}

/**
 * Parses a message posted by the marketplace iframe. Returns null for anything that is not a JSON
 * string holding {id, targetUrl, message} with a known id.
 */
export function parseMarketplaceEvent(data: unknown): MarketplaceEvent | null {
  if (typeof data !== 'string' || data.length > 64 * 1024) return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { id, targetUrl, message, listing, plan } = v as Record<string, unknown>;
  if (typeof id !== 'string' || !(MARKETPLACE_EVENTS as readonly string[]).includes(id)) return null;
  if (typeof targetUrl !== 'string' || (message !== undefined && typeof message !== 'string')) return null;
  const ev: MarketplaceEvent = { id: id as MarketplaceEventId, targetUrl, message: message ?? '' };
  if (id === 'upgrade_requested') {
    ev.listing = typeof listing === 'string' ? listing : '';
    ev.plan = typeof plan === 'string' ? plan : '';
  }
  return ev;
}

export default class FuseboxMarketplace {
  readonly baseUrl: string;
  readonly origin: string;

  constructor(options: FuseboxMarketplaceOptions = {}) {
    this.baseUrl = (options.baseUrl ?? window.location.origin).replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl, window.location.href).origin;
  }

  /** URL of the marketplace page for an end user arriving with a signed link token. */
  embedUrl(jwt?: string, opts: EmbedUrlOptions = {}): string {
    const path = opts.listingId ? `/marketplace/listing/${encodeURIComponent(opts.listingId)}` : '/marketplace';
    const q = new URLSearchParams();
    if (jwt) q.set('jwt', jwt);
    if (opts.origin) q.set('origin', opts.origin);
    const qs = q.toString();
    return `${this.baseUrl}${path}${qs ? '?' + qs : ''}`;
  }

  /** Embeds the marketplace in an iframe and starts delivering its events. */
  mount(opts: MountOptions): MarketplaceEmbed {
    const container = typeof opts.container === 'string' ? document.querySelector<HTMLElement>(opts.container) : opts.container;
    if (!container) throw new Error(`FuseboxMarketplace: container ${String(opts.container)} not found`);
    const iframe = document.createElement('iframe');
    const auto = (opts.height ?? 'auto') === 'auto';
    const src = new URL(this.embedUrl(opts.jwt, { listingId: opts.listingId, origin: opts.origin ?? window.location.origin }));
    if (auto) src.searchParams.set('autoheight', '1'); // the page then posts its content height
    iframe.src = src.toString();
    iframe.title = opts.title ?? 'Integrations marketplace';
    iframe.style.width = '100%';
    iframe.style.height = auto ? opts.minHeight ?? '480px' : (opts.height as string);
    if (auto) iframe.style.minHeight = opts.minHeight ?? '480px';
    iframe.style.display = 'block';
    iframe.style.border = '0';
    iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals');
    const listeners = new Map<string, Set<(e: MarketplaceEvent) => void>>();
    const on = (id: string, fn: (e: MarketplaceEvent) => void) => {
      if (!listeners.has(id)) listeners.set(id, new Set());
      listeners.get(id)!.add(fn);
      return () => listeners.get(id)?.delete(fn);
    };
    if (opts.onEvent) on('*', opts.onEvent);
    const onMessage = (ev: MessageEvent) => {
      if (ev.origin !== this.origin || ev.source !== iframe.contentWindow) return;
      const h = parseResizeMessage(ev.data);
      if (h !== null) {
        if (auto) iframe.style.height = `${h}px`;
        return;
      }
      const parsed = parseMarketplaceEvent(ev.data);
      if (!parsed) return;
      for (const key of [parsed.id, '*']) {
        for (const fn of listeners.get(key) ?? []) {
          try {
            fn(parsed);
          } catch (err) {
            console.error('FuseboxMarketplace: event listener failed', err);
          }
        }
      }
    };
    window.addEventListener('message', onMessage);
    container.appendChild(iframe);
    return {
      iframe,
      on,
      destroy() {
        window.removeEventListener('message', onMessage);
        iframe.remove();
        listeners.clear();
      },
    };
  }
}

export { FuseboxMarketplace };
