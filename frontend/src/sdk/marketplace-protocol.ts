/**
 * The events between the marketplace iframe (/marketplace) and the page that embeds it through
 * the SDK, as APIFuse documents them: each is posted to the parent as a JSON string
 * `{id, targetUrl, message}`, with the parent's exact origin as target (never "*"). The iframe
 * (frontend/src/marketplace) sends them; the SDK (marketplace.ts) checks and delivers them.
 *
 * Event ids: `ready`, `user_login_required`, `user_listing_click`, `listing_installation_complete`,
 * `listing_installation_failed` (reason in `message`), `installation_removed`, `upgrade_requested`
 * (the end user pressed Upgrade: `listing` and `plan` say where and on which plan; the host app shows
 * its own upgrade flow).
 */

/** Every event id the marketplace iframe posts, in one list. */
const eventIds = [
  'ready',
  'user_login_required',
  'user_listing_click',
  'listing_installation_complete',
  'listing_installation_failed',
  'installation_removed',
  'upgrade_requested',
] as const;

export type MarketplaceEventId = (typeof eventIds)[number];

export const MARKETPLACE_EVENTS: readonly MarketplaceEventId[] = eventIds;

export interface MarketplaceEvent {
  id: MarketplaceEventId;
  /** The marketplace page the event is about, e.g. .../marketplace/listing/<listingId>. */
  targetUrl: string;
  /** "" for most events; the failure reason for listing_installation_failed. */
  message: string;
  /** upgrade_requested: the listing the end user was on ("" from the installed page). */
  listing?: string;
  /** upgrade_requested: the end user's current plan. */
  plan?: string;
}

/**
 * Besides the events, the iframe posts its content height whenever it changes, as the JSON string
 * `{"id":"fusebox_resize","height":<css px>}`, to the same exact origin, so the host page can size the
 * iframe to its content (mount() does: the Install button is never cut off). It is not an event:
 * parseMarketplaceEvent ignores it.
 */
export const RESIZE_ID = 'fusebox_resize';

/** The height (CSS px, 1..100000) in a resize message, else null. */
export function parseResizeMessage(data: unknown): number | null {
  if (typeof data !== 'string' || data.length > 200 || !data.includes(RESIZE_ID)) return null;
  try {
    const v = JSON.parse(data) as { id?: unknown; height?: unknown };
    if (v?.id !== RESIZE_ID || typeof v.height !== 'number' || !Number.isFinite(v.height)) return null;
    return v.height >= 1 && v.height <= 100_000 ? Math.ceil(v.height) : null;
  } catch {
    return null;
  }
}
