/**
 * What the React and Vue components share: their props, and opening the importer for them with the
 * SDK (FuseboxImporter.show) so that both behave the same.
 */
import FuseboxImporter, {
  getClientSideToken,
  ImporterError,
  type CompletePayload,
  type CustomStyles,
  type Locale,
} from '../../../src/sdk/importer';

/** What a `getSessionToken` prop receives. */
export interface SessionTokenRequest {
  /** The Fusebox server (the `serverUrl` prop, without a trailing slash). */
  baseUrl: string;
  /** The `importerSlug` prop. */
  importerSlug?: string;
  /** The `metadata` prop. */
  metadata?: Record<string, unknown>;
}

export interface FuseboxImporterProps {
  /** Origin of the Fusebox server, e.g. "http://127.0.0.1:8787". */
  serverUrl: string;
  /** The importer to open (sent to your backend through `getSessionToken`, or with `publishableKey`). */
  importerSlug?: string;
  /** A session token your backend already created (POST /api/v1/importer/sessions). */
  sessionToken?: string;
  /** Asks your backend for a session token when the importer opens. */
  getSessionToken?: (request: SessionTokenRequest) => Promise<string> | string;
  /** Client-side sessions: a publishable key (fbx_pk_...) whose origins include this page's. */
  publishableKey?: string;
  /** Metadata for the session: passed to `getSessionToken`, or sent with `publishableKey`. */
  metadata?: Record<string, unknown>;
  /** UI language (en, de, fr, es, it); defaults to the browser's. */
  locale?: Locale | string;
  /** true: the importer fills the component's element. false (default): a modal over the page. */
  inline?: boolean;
  /** Colors and logo. */
  styles?: CustomStyles;
  onComplete?: (result: CompletePayload) => void;
  onCancel?: () => void;
  onError?: (error: ImporterError) => void;
  /** The importer closed itself (the done screen's Close button). */
  onClose?: () => void;
}

/** An open importer. */
export interface ImporterHandle {
  readonly importer: FuseboxImporter;
  close(): void;
}

/**
 * The props whose change closes the importer and opens it again (a new session): everything but
 * the callbacks and `getSessionToken`, which components read when they are called.
 */
export function reopenKey(p: FuseboxImporterProps): string {
  return JSON.stringify([
    p.serverUrl,
    p.importerSlug ?? null,
    p.sessionToken ?? null,
    p.publishableKey ?? null,
    p.metadata ?? null,
    p.locale ?? null,
    !!p.inline,
    p.styles ?? null,
    !!p.getSessionToken,
  ]);
}

/**
 * Opens the importer as `current()` describes it: a modal, or inside `container` when `inline`.
 * Callbacks and `getSessionToken` are read from `current()` each time they are needed, so a
 * component can pass new functions on every render without reopening.
 */
export function openImporter(current: () => FuseboxImporterProps, container?: HTMLElement | null): ImporterHandle {
  const p = current();
  const inline = !!p.inline;
  const importer = new FuseboxImporter({
    baseUrl: p.serverUrl,
    modal: !inline,
    container: inline ? (container ?? undefined) : undefined,
    locale: p.locale,
    // With the slug, the SDK checks this page's origin while the token is fetched.
    importer: p.importerSlug,
    onComplete: (r) => current().onComplete?.(r),
    onCancel: () => current().onCancel?.(),
    onClose: () => current().onClose?.(),
    onError: (e) => {
      const onError = current().onError;
      if (onError) onError(e);
      else console.error(e);
    },
  });
  const request = (): SessionTokenRequest => {
    const q = current();
    return { baseUrl: importer.baseUrl, importerSlug: q.importerSlug, metadata: q.metadata };
  };
  importer.getSessionToken = async (ctx) => {
    const q = current();
    if (q.sessionToken) return q.sessionToken;
    if (q.getSessionToken) return q.getSessionToken(request());
    if (q.publishableKey) {
      if (!q.importerSlug) throw new ImporterError('EINVALID', 'FuseboxImporter: `importerSlug` is required with `publishableKey`');
      return getClientSideToken({ importer_slug: q.importerSlug, api_key: q.publishableKey, metadata: q.metadata, baseUrl: importer.baseUrl })(ctx);
    }
    throw new ImporterError('ESESSION', 'FuseboxImporter: pass `sessionToken`, `getSessionToken` or `publishableKey`');
  };
  if (p.styles) importer.setCustomStyles(p.styles);
  importer.show();
  return {
    importer,
    close: () => importer.close(),
  };
}
