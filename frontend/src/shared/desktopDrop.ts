// A file dropped on the desktop window (or passed to a second launch), on its way from the console
// to the importer's Try view: the console keeps it on its own window, the Try view's importer page
// (an iframe of the same origin) takes it when it shows its upload step and asks the server to read
// the file from its path (file-from-path), so the file never crosses the web view.

export interface DroppedFile {
  path: string;
  /** The importer whose Try view imports it. */
  importer: string;
}

const KEY = '__fuseboxDroppedFile';
export const DROP_EVENT = 'fusebox:dropped-file';

type Holder = { [KEY]?: DroppedFile };

/** The console: keep path for importer's Try view and tell listeners (the Try view restarts). */
export function putDroppedFile(d: DroppedFile) {
  (window as unknown as Holder)[KEY] = d;
  window.dispatchEvent(new CustomEvent(DROP_EVENT, { detail: d }));
}

/** The file waiting for importer, if any, without taking it. */
export function peekDroppedFile(importer: string): DroppedFile | undefined {
  const d = (window as unknown as Holder)[KEY];
  return d && d.importer === importer ? d : undefined;
}

/** The importer page: take the file waiting in the console (the parent window) for importer. */
export function takeDroppedFile(importer: string): string | undefined {
  for (const w of window.parent !== window ? [window.parent, window] : [window]) {
    try {
      const h = w as unknown as Holder;
      const d = h[KEY];
      if (d && d.importer === importer) {
        delete h[KEY];
        return d.path;
      }
    } catch {
      // another origin: not the console
    }
  }
  return undefined;
}

/** The file name of a path (either separator). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * In the desktop window: files dragged over the page are the window's (Go reads their paths), so
 * the page only stops the web view from opening them itself. Returns the undo.
 */
export function leaveFileDropsToTheWindow(w: Window = window): () => void {
  const stop = (e: DragEvent) => {
    if (e.dataTransfer?.types?.includes('Files')) e.preventDefault();
  };
  w.addEventListener('dragover', stop);
  w.addEventListener('drop', stop);
  return () => {
    w.removeEventListener('dragover', stop);
    w.removeEventListener('drop', stop);
  };
}
