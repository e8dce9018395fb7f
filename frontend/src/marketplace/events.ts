// Iframe events for the host page (ids and shape: sdk/marketplace-protocol.ts): the message is a JSON
// string {id, targetUrl, message}, posted to the parent with an exact target origin, never "*". The origin
// is the one the server validated against the workspace's embed_origins (or this server's own
// origin, for the demo app); with none, nothing is posted.

import { RESIZE_ID, type MarketplaceEvent, type MarketplaceEventId } from '../sdk/marketplace-protocol';

export class EventChannel {
  private origin: string | null = null;
  readonly sent: MarketplaceEvent[] = [];

  setParentOrigin(origin: string | null) {
    this.origin = origin || null;
  }

  get parentOrigin() {
    return this.origin;
  }

  /** Posts an event to the embedding page; returns false when there is no allowed parent. */
  emit(id: MarketplaceEventId, targetUrl: string, message = '', extra: Pick<MarketplaceEvent, 'listing' | 'plan'> = {}): boolean {
    const ev: MarketplaceEvent = { id, targetUrl, message, ...extra };
    this.sent.push(ev);
    if (!this.origin || window.parent === window) return false;
    window.parent.postMessage(JSON.stringify(ev), this.origin);
    return true;
  }
}

/**
 * Posts this page's content height to the embedding page whenever it changes (the SDK sizes the
 * iframe to it). Returns the function that stops.
 */
export function postContentHeight(channel: EventChannel, measure: () => number): () => void {
  let last = 0;
  const send = () => {
    const origin = channel.parentOrigin;
    if (!origin || window.parent === window) return;
    const h = Math.ceil(measure());
    if (h <= 0 || h === last) return;
    last = h;
    window.parent.postMessage(JSON.stringify({ id: RESIZE_ID, height: h }), origin);
  };
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(send) : null;
  ro?.observe(document.body);
  window.addEventListener('load', send);
  send();
  return () => {
    ro?.disconnect();
    window.removeEventListener('load', send);
  };
}

/** Absolute marketplace URLs used as targetUrl. */
export function marketplaceUrl(path = ''): string {
  return `${window.location.origin}/marketplace${path}`;
}

export function listingUrl(id: string): string {
  return marketplaceUrl(`/listing/${encodeURIComponent(id)}`);
}
