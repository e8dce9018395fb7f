// Console: "Try this importer" — the end user's flow (the /embed/importer page) inside the console, run
// as the admin without a session; a user id given on the page becomes the import's session metadata
// (the importer's match_user_key, default user_id), so an importer matching in user scope can be tried
// as one user and another. The console is the iframe's host page: it answers `ready` with
// `init` and shows what the importer reports. In the desktop window the embed sends files as
// Uint8Array bodies (WebKitGTK crashes on Blob/FormData bodies).
import { useEffect, useRef, useState, type RefObject } from 'react';
import { envelope, isEmbedMessage, isFrom, originOf, type CompletePayload, type ToEmbed } from '../../sdk/protocol';
import { LocaleOptions } from '../../shared/locales';
import { api, reportStep } from '../api';
import { DROP_EVENT, type DroppedFile } from '../../shared/desktopDrop';
import { PageHeader } from '../components';
import { formatCount } from '../format';
import type { Matching } from './model';

/** postMessage target for our own origin: itself when http(s), else "/" (same origin, any scheme). */
function selfTarget(): string {
  const o = window.location.origin;
  return originOf(o + '/') === o ? o : '/';
}

/**
 * The importer's steps the Try view reports to the server, each with the element whose centre it
 * sends: the upload step's paste box, and the header step's first preview row once the preview
 * has loaded.
 */
const REPORTED_STEPS = [
  { step: 'upload', selector: '.fbx-paste textarea' },
  { step: 'header', selector: '.fbx-preview[aria-busy="false"] tbody tr' },
] as const;

/**
 * Once per run of the importer: when it shows one of REPORTED_STEPS, tell the server (it logs
 * "upload step ready" / "header step ready" with x and y, the element's centre in window pixels).
 * The desktop smoke test waits for these lines instead of sleeping, and clicks the paste box at x,
 * y. The embed is served from this origin, so its page is read directly; a MutationObserver sees a
 * step appear.
 */
function useReportSteps(frame: RefObject<HTMLIFrameElement | null>, run: number) {
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    let observer: MutationObserver | undefined;
    const reported = new Set<string>();
    const check = () => {
      const doc = el.contentDocument;
      if (!doc) return;
      for (const { step, selector } of REPORTED_STEPS) {
        const target = reported.has(step) ? null : doc.querySelector(selector);
        if (!target) continue;
        const f = el.getBoundingClientRect();
        const b = target.getBoundingClientRect();
        if (b.width === 0 || b.height === 0) continue;
        reported.add(step);
        const dpr = window.devicePixelRatio || 1;
        const x = Math.round((f.left + el.clientLeft + b.left + b.width / 2) * dpr);
        const y = Math.round((f.top + el.clientTop + b.top + b.height / 2) * dpr);
        reportStep('importers', step, x, y).catch((err: unknown) => console.warn(`fusebox: ${step} step report failed:`, err));
      }
      if (reported.size === REPORTED_STEPS.length) observer?.disconnect();
    };
    const onLoad = () => {
      observer?.disconnect();
      const doc = el.contentDocument;
      if (!doc) return; // another origin: nothing to read
      observer = new MutationObserver(check);
      observer.observe(doc, { childList: true, subtree: true, attributes: true });
      check();
    };
    el.addEventListener('load', onLoad);
    return () => {
      el.removeEventListener('load', onLoad);
      observer?.disconnect();
    };
  }, [frame, run]);
}

export default function ImportersTry({ slug }: { slug: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [run, setRun] = useState(0);
  const [locale, setLocale] = useState('');
  const [result, setResult] = useState<CompletePayload | null>(null);
  const [error, setError] = useState('');
  const [cancelled, setCancelled] = useState(false);
  // The try's user: typed in userDraft, used from the next start (Enter, leaving the field).
  const [userDraft, setUserDraft] = useState('');
  const [userId, setUserId] = useState('');
  const [matching, setMatching] = useState<{ scope: string; key: string } | null>(null);

  useReportSteps(frame, run);

  useEffect(() => {
    let stale = false;
    api.get<Matching>(`/api/admin/importers/${encodeURIComponent(slug)}`).then(
      (imp) => !stale && setMatching({ scope: imp.match_on?.length ? imp.match_scope || 'org' : '', key: imp.match_user_key || 'user_id' }),
      () => {}, // the importer's own page shows why it cannot be loaded
    );
    return () => {
      stale = true;
    };
  }, [slug]);
  const userKey = matching?.key ?? 'user_id';

  // A file dropped on the desktop window for this importer: start over, and the importer's upload
  // step takes the file (see shared/desktopDrop.ts).
  useEffect(() => {
    const onDrop = (e: Event) => {
      if ((e as CustomEvent<DroppedFile>).detail?.importer !== slug) return;
      setResult(null);
      setError('');
      setCancelled(false);
      setRun((n) => n + 1);
    };
    window.addEventListener(DROP_EVENT, onDrop);
    return () => window.removeEventListener(DROP_EVENT, onDrop);
  }, [slug]);

  const src = `/embed/importer?${new URLSearchParams({ origin: window.location.origin, importer: slug, ...(locale ? { locale } : {}) })}`;

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const w = frame.current?.contentWindow;
      if (!w || !isFrom(e, window.location.origin, w) || !isEmbedMessage(e.data)) return;
      const msg = e.data;
      switch (msg.type) {
        case 'ready':
          w.postMessage(envelope<ToEmbed, 'init'>('init', {
            importer: slug,
            locale: locale || undefined,
            metadata: userId ? { [userKey]: userId } : undefined,
          }), selfTarget());
          break;
        case 'complete':
          setResult(msg.payload);
          break;
        case 'cancel':
          setCancelled(true);
          setRun((n) => n + 1);
          break;
        case 'close':
          setRun((n) => n + 1);
          break;
        case 'error':
          setError(`${msg.payload.code}: ${msg.payload.message}`);
          break;
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [slug, locale, userId, userKey]);

  const restart = () => {
    setResult(null);
    setError('');
    setCancelled(false);
    setRun((n) => n + 1);
  };
  const applyUser = () => {
    const u = userDraft.trim();
    if (u === userId) return;
    setUserId(u);
    restart();
  };

  return (
    <>
      <PageHeader
        title={`Try “${slug}”`}
        subtitle={userId
          ? `The importer as end users see it, run as the console admin with the session metadata ${userKey}: ${userId}.`
          : 'The importer as end users see it, run as the console admin (no session, no user metadata).'}
        actions={
          <a className="button" href="#/importers">
            All importers
          </a>
        }
      />
      <div className="imp-try-bar">
        <label>
          Language
          <select value={locale} onChange={(e) => { setLocale(e.target.value); restart(); }} aria-label="Language">
            <option value="">Browser default</option>
            <LocaleOptions />
          </select>
        </label>
        <label title={`Sent as the session metadata ${userKey}${matching?.scope === 'user' ? '; this importer matches rows against each user\'s own earlier imports' : ''}`}>
          User id
          <input
            value={userDraft}
            onChange={(e) => setUserDraft(e.target.value)}
            onBlur={applyUser}
            onKeyDown={(e) => e.key === 'Enter' && applyUser()}
            placeholder={matching?.scope === 'user' ? 'e.g. u1 (user-scope matching)' : 'none'}
            aria-label="User id"
            size={18}
          />
        </label>
        <button type="button" className="button" onClick={restart}>
          Start over
        </button>
        {cancelled && <span className="muted">Cancelled — started over.</span>}
      </div>
      {result && (
        <div className="notice imp-result ok" role="status" data-testid="try-result">
          <strong>
            Imported {formatCount(result.counts.records)} records ({formatCount(result.counts.rows)} rows).
          </strong>{' '}
          <a href={`#/imports/${encodeURIComponent(result.import)}`}>Open import {result.import}</a>
        </div>
      )}
      {error && (
        <div className="notice notice-error imp-result" role="alert">
          {error}
        </div>
      )}
      <iframe key={run} ref={frame} className="imp-frame" title={`Importer ${slug}`} src={src} />
    </>
  );
}
