// The importer iframe page (/embed/importer). It announces itself to the host page with `ready`,
// waits for `init` (session token, locale, styles) and runs the import flow. Opened directly (not in
// an iframe), it takes a token from the URL once (removed from the address bar at once) or, for the
// console's "Try this importer", runs as the logged-in admin with ?importer=<slug>.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { CustomStyles } from '../sdk/protocol';
import App, { type Session } from './App';
import Preview from './Preview';
import { hostChannel, readBootParams, readyPayload } from './host';
import { leaveFileDropsToTheWindow } from '../shared/desktopDrop';
import './embed.css';

/** Inside the desktop window (Wails): uploads must be Uint8Array bodies, never Blob/File. */
function inDesktopWindow(): boolean {
  try {
    if (location.protocol === 'wails:' || location.hostname === 'wails.localhost') return true;
    const w = window as unknown as { go?: unknown };
    const p = window.parent as unknown as { go?: unknown };
    return !!w.go || (window.parent !== window && !!p.go);
  } catch {
    return false; // a cross-origin parent: a browser page
  }
}

const preview = new URLSearchParams(window.location.search).get('preview') === '1';
const boot = readBootParams();
// The desktop window takes dropped files itself (the console starts the import from the path).
if (inDesktopWindow()) leaveFileDropsToTheWindow();
const host = boot.hostOrigin && !preview ? hostChannel(boot.hostOrigin) : null;
let stylesListener: ((s: CustomStyles) => void) | undefined;

const session = new Promise<Session>((resolve, reject) => {
  if (preview) return; // the editor's preview has no session
  if (host) {
    let got = false;
    host.listen((msg) => {
      if (msg.type === 'init' && !got) {
        got = true;
        const p = msg.payload;
        if (!p.token && host.origin !== window.location.origin) {
          // Only the console (same origin, admin login) may run the importer without a session token.
          reject(Object.assign(new Error('the host page sent no session token'), { code: 'ESESSION' }));
          return;
        }
        resolve({ token: p.token || undefined, importer: p.importer, metadata: p.token ? undefined : p.metadata, locale: p.locale, styles: p.styles, focus: p.focus === true });
      } else if (msg.type === 'styles') {
        stylesListener?.(msg.payload);
      } else if (msg.type === 'escape') {
        // Escape pressed on the host page behind the modal: the same as Escape in here.
        document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
      }
    });
    host.send('ready', readyPayload);
  } else if (boot.urlToken) {
    resolve({ token: boot.urlToken, locale: boot.locale, focus: true });
  } else if (boot.importer) {
    resolve({ importer: boot.importer, locale: boot.locale, focus: true });
  } else {
    reject(new Error('open the importer through the Fusebox SDK (new FuseboxImporter(...).show())'));
  }
});

const root = document.getElementById('root');
if (!root) throw new Error('page: #root element missing from the HTML entry');
createRoot(root).render(
  preview ? (
    <StrictMode>
      <Preview />
    </StrictMode>
  ) : (
  <StrictMode>
    <App
      host={host}
      session={session}
      locale={boot.locale}
      bytesOnly={inDesktopWindow()}
      onStyles={(fn) => {
        stylesListener = fn;
      }}
    />
  </StrictMode>
  ),
);
