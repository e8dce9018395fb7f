// The desktop window's inbox: what the native side hands the console (window.go.app.Shell.Take,
// announced with the runtime event "fusebox:inbox"): files dropped on the window or given to a
// second launch (imported in the Try view of the importer on screen, or of the one the user picks),
// a route to open (--open), and notices the desktop could not show as notifications. Renders
// nothing outside the desktop window.
import { useCallback, useEffect, useState } from 'react';
import { baseName, leaveFileDropsToTheWindow, putDroppedFile } from '../../shared/desktopDrop';
import { listImporters, type ImporterSummary } from '../importers/api';
import { navigate } from '../router';
import './DesktopInbox.css';

interface Notice {
  id: string;
  kind: string;
  title: string;
  body: string;
  route?: string;
}

interface InboxItem {
  kind: 'files' | 'open' | 'notice';
  files?: string[];
  open?: string;
  notice?: Notice;
}

interface DesktopShell {
  Take: () => Promise<InboxItem[]>;
}

type WailsWindow = {
  go?: { app?: { Shell?: Partial<DesktopShell> } };
  runtime?: { EventsOn?: (name: string, cb: () => void) => () => void };
};

function desktopShell(): { shell: DesktopShell; on: (name: string, cb: () => void) => () => void } | null {
  const w = window as unknown as WailsWindow;
  const take = w.go?.app?.Shell?.Take;
  const on = w.runtime?.EventsOn;
  if (typeof take !== 'function' || typeof on !== 'function') return null;
  return { shell: { Take: take }, on };
}

/** The importer whose page is on screen (#/importers/<slug>...), if any. */
export function importerOnScreen(hash: string): string | undefined {
  const m = /^#?\/importers\/([^/?]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** Starts the import of path in importer's Try view. */
export function importInTry(path: string, importer: string) {
  putDroppedFile({ path, importer });
  navigate(`/importers/${encodeURIComponent(importer)}/try`);
}

export default function DesktopInbox() {
  const [notices, setNotices] = useState<Notice[]>([]);
  const [choose, setChoose] = useState<{ path: string; importers: ImporterSummary[] } | null>(null);

  const handle = useCallback((items: InboxItem[]) => {
    for (const it of items) {
      if (it.kind === 'open' && it.open) navigate(it.open);
      if (it.kind === 'notice' && it.notice) {
        const n = it.notice;
        setNotices((ns) => [...ns.filter((x) => x.id !== n.id), n].slice(-5));
      }
      if (it.kind === 'files' && it.files?.length) {
        const path = it.files[0];
        const slug = importerOnScreen(window.location.hash);
        if (slug) {
          importInTry(path, slug);
          continue;
        }
        listImporters()
          .then((list) => {
            if (list.length === 1) importInTry(path, list[0].slug);
            else setChoose({ path, importers: list });
          })
          .catch((e: unknown) => {
            const msg = e instanceof Error ? e.message : String(e);
            setNotices((ns) => [...ns, { id: 'drop ' + path, kind: 'file-error', title: `Cannot import ${baseName(path)}`, body: msg }]);
          });
      }
    }
  }, []);

  useEffect(() => {
    const d = desktopShell();
    if (!d) return;
    let live = true;
    const take = () => {
      d.shell
        .Take()
        .then((items) => live && handle(items ?? []))
        .catch((e: unknown) => console.warn('fusebox: desktop inbox:', e));
    };
    const off = d.on('fusebox:inbox', take);
    const drops = leaveFileDropsToTheWindow();
    take();
    return () => {
      live = false;
      off();
      drops();
    };
  }, [handle]);

  if (!notices.length && !choose) return null;
  return (
    <div className="desktop-notices" aria-live="polite">
      {choose && (
        <div className="notice desktop-notice" role="dialog" aria-label="Choose an importer" data-testid="drop-choose">
          <strong>Import {baseName(choose.path)} with which importer?</strong>
          <div className="desktop-notice-actions">
            {choose.importers.map((im) => (
              <button
                key={im.slug}
                type="button"
                className="button"
                onClick={() => {
                  setChoose(null);
                  importInTry(choose.path, im.slug);
                }}
              >
                {im.name || im.slug}
              </button>
            ))}
            <button type="button" className="button" onClick={() => setChoose(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {notices.map((n) => (
        <div key={n.id} className={n.kind.endsWith('failed') || n.kind.endsWith('error') || n.kind.endsWith('dead') ? 'notice notice-error desktop-notice' : 'notice desktop-notice'} role="status">
          <strong>{n.title}</strong> {n.body}{' '}
          {n.route && <a href={'#/' + n.route}>Open</a>}{' '}
          <button type="button" className="link-button" aria-label="Dismiss" onClick={() => setNotices((ns) => ns.filter((x) => x.id !== n.id))}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
