// The iframe side of the host-page protocol (see src/sdk/protocol.ts). The SDK puts the host page's
// origin in the iframe URL (?origin=...); the server only lets that origin frame the page when it is
// allowed (CSP frame-ancestors), and the iframe checks it against what the browser reports
// (location.ancestorOrigins). Every message goes to that exact origin, and only messages from that
// origin and from the parent window are read. The session token arrives in `init`, never in the URL;
// if a token is ever found in the URL it is taken out at once with history.replaceState.
import {
  envelope,
  isFrom,
  isHostMessage,
  originOf,
  type FromEmbed,
  type HostMessage,
  PROTOCOL_VERSION,
} from '../sdk/protocol';

export interface BootParams {
  /** The host page origin ('' when not framed by a known origin). */
  hostOrigin: string;
  /** ?locale= from the SDK. */
  locale?: string;
  /** A token found in the URL (already removed from it): only for pages opened directly. */
  urlToken?: string;
  /** ?importer= (admin "Try this importer"). */
  importer?: string;
}

/** Reads the boot parameters and removes any token from the address bar. */
export function readBootParams(win: Window = window): BootParams {
  const url = new URL(win.location.href);
  const params = url.searchParams;
  const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
  let urlToken = params.get('token') ?? params.get('session_token') ?? hash.get('token') ?? undefined;
  if (params.has('token') || params.has('session_token') || hash.has('token')) {
    params.delete('token');
    params.delete('session_token');
    hash.delete('token');
    const h = hash.toString();
    url.hash = h ? '#' + h : '';
    win.history.replaceState(win.history.state, '', url.pathname + url.search + url.hash);
  }
  if (urlToken === '') urlToken = undefined;
  // An http(s) origin, or this page's own origin whatever its scheme (the console in the desktop
  // window frames the importer from its own wails:// origin).
  const claimed = params.get('origin') ?? '';
  let hostOrigin = claimed !== '' && claimed === win.location.origin ? claimed : originOf(claimed);
  const framed = win.parent !== win;
  if (!framed) hostOrigin = '';
  // Where the browser tells who frames us, it must agree with the claimed origin.
  const ancestors = (win.location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (hostOrigin && ancestors && ancestors.length > 0 && ancestors[0] !== hostOrigin) hostOrigin = '';
  return {
    hostOrigin,
    locale: params.get('locale') ?? undefined,
    urlToken,
    importer: params.get('importer') ?? undefined,
  };
}

export interface HostChannel {
  readonly origin: string;
  send<K extends keyof FromEmbed & string>(type: K, payload: FromEmbed[K]): void;
  /** Listens for init/styles from the host; returns the unsubscribe function. */
  listen(fn: (msg: HostMessage) => void): () => void;
}

export function hostChannel(hostOrigin: string, win: Window = window): HostChannel {
  return {
    origin: hostOrigin,
    send(type, payload) {
      if (!hostOrigin || win.parent === win) return;
      win.parent.postMessage(envelope<FromEmbed, typeof type>(type, payload), targetOrigin(hostOrigin, win));
    },
    listen(fn) {
      const handler = (e: MessageEvent) => {
        if (!isFrom(e, hostOrigin, win.parent)) return;
        if (!isHostMessage(e.data)) return;
        fn(e.data);
      };
      win.addEventListener('message', handler);
      return () => win.removeEventListener('message', handler);
    },
  };
}

export const readyPayload = { version: PROTOCOL_VERSION };

/**
 * The postMessage target for an origin: the origin itself; for this page's own origin when it is not
 * http(s) (a custom scheme such as the desktop window's), "/", which means exactly "same origin".
 */
export function targetOrigin(origin: string, win: Window = window): string {
  if (originOf(origin + '/') === origin) return origin;
  return origin === win.location.origin ? '/' : origin;
}
