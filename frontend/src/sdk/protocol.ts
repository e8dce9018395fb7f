/**
 * The host-page protocol between the importer iframe (/embed/importer) and the page that embeds
 * it through the SDK. Every message is a versioned envelope:
 *
 *     { source: "fusebox", version: 1, type, payload }
 *
 * iframe -> host: `ready` (the iframe listens; send `init`), `complete` (an import was submitted),
 *                 `cancel` (the end user cancelled), `error` (a fatal error), `close` (the end user
 *                 closed the done screen).
 * host -> iframe: `init` (session token, locale, styles), `styles` (new custom styles).
 *
 * Both sides post with the exact origin of the other side as target (never "*") and accept a
 * message only when `event.origin` is that origin and `event.source` is the other window.
 */

export const PROTOCOL_SOURCE = 'fusebox';
export const PROTOCOL_VERSION = 1;

/** Languages the importer speaks (its `locale`); anything else falls back to the browser language, then English. */
export const LOCALES = ['en', 'de', 'fr', 'es', 'it'] as const;
export type Locale = (typeof LOCALES)[number];

/** Colors and logo the host page can give the importer (all optional CSS colors). */
export interface CustomStyles {
  colors?: {
    primaryColor?: string;
    secondaryColor?: string;
    backgroundColor?: string;
    borderColor?: string;
    contentColor?: string;
  };
  logoURL?: string;
}

/** Counts of a submitted import, as reported in `complete`. */
export interface ImportCounts {
  /** Data rows in the import (after deletions in the review step). */
  rows: number;
  /** Records stored (rows minus the ones `invalid_rows: exclude` left out). */
  records: number;
  /** Rows that still had errors at submit. */
  error_rows: number;
  /** Rows left out of the records (`invalid_rows: exclude`). */
  excluded_rows: number;
}

/** Payload of `complete`: what the host app needs to fetch the import from the imports API. */
export interface CompletePayload {
  /** The import's slug: GET /api/v1/imports/{slug} and /records. */
  import: string;
  importer: string;
  status: string;
  counts: ImportCounts;
}

export interface ErrorPayload {
  code: string;
  message: string;
}

export interface InitPayload {
  /** The importer session token; absent for an admin "Try this importer" inside the console. */
  token?: string;
  /** Importer to start (admin "Try this importer" only; a session token names its importer). */
  importer?: string;
  /** The import's session metadata (admin "Try this importer" only, e.g. {user_id} for a match_on
   * importer of user scope; a session token carries its own). */
  metadata?: Record<string, unknown>;
  locale?: string;
  styles?: CustomStyles;
  /** The host gives the importer the focus (the SDK's modal): its first step's title takes it.
   * Without it the importer leaves the page's focus alone until the end user works in it. */
  focus?: boolean;
}

export interface FromEmbed {
  ready: { version: number };
  complete: CompletePayload;
  cancel: Record<string, never>;
  error: ErrorPayload;
  close: Record<string, never>;
}

export interface ToEmbed {
  init: InitPayload;
  styles: CustomStyles;
  /** Escape was pressed on the host page while the modal is open: close as the importer's own Escape does. */
  escape: Record<string, never>;
}

export type Envelope<M, K extends keyof M = keyof M> = {
  source: typeof PROTOCOL_SOURCE;
  version: typeof PROTOCOL_VERSION;
  type: K;
  payload: M[K];
};

export type EmbedMessage = { [K in keyof FromEmbed]: Envelope<FromEmbed, K> }[keyof FromEmbed];
export type HostMessage = { [K in keyof ToEmbed]: Envelope<ToEmbed, K> }[keyof ToEmbed];

const embedTypes: ReadonlySet<string> = new Set(['ready', 'complete', 'cancel', 'error', 'close']);
const hostTypes: ReadonlySet<string> = new Set(['init', 'styles', 'escape']);

export function envelope<M, K extends keyof M & string>(type: K, payload: M[K]): Envelope<M, K> {
  return { source: PROTOCOL_SOURCE, version: PROTOCOL_VERSION, type, payload };
}

function isEnvelopeOf(data: unknown, types: ReadonlySet<string>): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return (
    d.source === PROTOCOL_SOURCE &&
    d.version === PROTOCOL_VERSION &&
    typeof d.type === 'string' &&
    types.has(d.type) &&
    typeof d.payload === 'object' &&
    d.payload !== null
  );
}

export function isEmbedMessage(data: unknown): data is EmbedMessage {
  return isEnvelopeOf(data, embedTypes);
}

export function isHostMessage(data: unknown): data is HostMessage {
  return isEnvelopeOf(data, hostTypes);
}

/**
 * The origin of a URL ("http://127.0.0.1:8787/x" -> "http://127.0.0.1:8787"), or "" when it is not an
 * absolute http(s) URL. Origins are what postMessage targets and checks use.
 */
export function originOf(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
    return u.origin;
  } catch {
    return '';
  }
}

/**
 * Whether a message event comes from the expected window and origin. Both must match: the origin
 * alone would accept another frame of the same site, the source alone a navigated frame.
 */
export function isFrom(event: Pick<MessageEvent, 'origin' | 'source'>, origin: string, source: unknown): boolean {
  return origin !== '' && event.origin === origin && source != null && event.source === source;
}
