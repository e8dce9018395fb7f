import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CustomStyles } from '../sdk/protocol';
import { ApiError, EmbedApi, type ImportInfo, type ImporterInfo, type MappingChange, type Preview, type Progress, type Summary } from './api';
import { downloadErrors } from './download';
import { applyStyles, brandTexts, brandTitle, safeLogo } from './styles';
import type { HostChannel } from './host';
import { resolveLocale, translator, type Locale } from './i18n';
import { HeaderStep } from './steps/HeaderStep';
import { MappingStep } from './steps/MappingStep';
import { ReviewStep } from './steps/ReviewStep';
import { DoneStep, rowsToImport, SubmitStep } from './steps/SubmitStep';
import { UploadStep } from './steps/UploadStep';
import { ConfirmDialog } from '../shared/ConfirmDialog';
import { ErrorBanner, I18nContext, ProgressBar, StepLayout, type I18n } from './ui';

export type Step = 'connecting' | 'upload' | 'header' | 'mapping' | 'staging' | 'review' | 'submit' | 'done' | 'fatal';

const STEPS = ['step.upload', 'step.header', 'step.mapping', 'step.review', 'step.submit'] as const;
const stepIndex: Record<Step, number> = {
  connecting: 0, upload: 0, header: 1, mapping: 2, staging: 2, review: 3, submit: 4, done: 4, fatal: 0,
};
/** The step a stepper entry goes back to. */
const stepAt: Step[] = ['upload', 'header', 'mapping', 'review', 'submit'];

/** What the page learned before the flow starts (see main.tsx). */
export interface Session {
  /** The session token; undefined for an admin (console "Try this importer"). */
  token?: string;
  /** The importer an admin tries. */
  importer?: string;
  /** The session metadata of an admin's try (a token carries its own). */
  metadata?: Record<string, unknown>;
  locale?: string;
  styles?: CustomStyles;
  /** The host gave the importer the focus (the SDK's modal); also true for a page opened directly. */
  focus?: boolean;
}

export interface AppProps {
  host: HostChannel | null;
  /** Resolves when the host sent init (or at once for a page opened directly). */
  session: Promise<Session>;
  /** New styles sent by the host after init. */
  onStyles?: (fn: (s: CustomStyles) => void) => void;
  locale?: string;
  bytesOnly: boolean;
}

/** The desktop window's native file dialog, reachable from the console's same-origin iframe. */
function nativeFilePicker(): ((title: string) => Promise<string>) | undefined {
  try {
    type Go = { app?: { Shell?: { OpenFile?: (title: string) => Promise<string> } } };
    const own = (window as unknown as { go?: Go }).go;
    const parent = window.parent !== window ? (window.parent as unknown as { go?: Go }).go : undefined;
    const open = (own ?? parent)?.app?.Shell?.OpenFile;
    return typeof open === 'function' ? (title: string) => open(title) : undefined;
  } catch {
    return undefined; // a cross-origin parent: not the desktop window
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows staging (parse + validate) after the mapping was confirmed, until the rows are ready for
 * review; returns the import's summary. The first polls may still see the upload's finished job, so
 * "done" only counts once staging was seen or the import is in review. `onFirstRows` is called once,
 * as soon as the first rows are stored (the review can show them while the rest is checked); polls
 * come quickly until then, and every 250 ms after.
 */
export async function followStaging(
  api: Pick<EmbedApi, 'progress' | 'summary'>,
  slug: string,
  onUpdate: (p: Progress) => void,
  isLive: () => boolean,
  timeoutMs = 20_000,
  onFirstRows?: (p: Progress) => void,
): Promise<Summary> {
  let saw = false;
  let first = false;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await api.progress(slug);
    if (!isLive()) throw new DOMException('closed', 'AbortError');
    if (p.phase === 'staging' || p.phase === 'validating') {
      saw = true;
      onUpdate(p);
      if (!first && p.rows > 0 && p.phase === 'staging') {
        first = true;
        onFirstRows?.(p);
      }
    }
    if (p.phase === 'failed') throw new ApiError('EINVALID', p.error || 'reading the file failed', 422);
    if (p.done) {
      const s = await api.summary(slug);
      if (s.step === 'review') return s;
      if (saw || Date.now() > deadline) {
        throw new ApiError('EINVALID', p.error || s.failure_reason || 'reading the file did not finish', 422);
      }
    }
    await sleep(first || !onFirstRows ? 250 : 50);
  }
}

/**
 * Follows a submit (a background job on the server) until it ends; returns its last progress. Polls
 * that fail (the server restarting: it resumes the job when it starts) are tried again, up to
 * `maxMisses` in a row; a 401 or 404 ends it at once.
 */
export async function followSubmit(
  api: Pick<EmbedApi, 'progress'>,
  slug: string,
  onUpdate: (p: Progress) => void,
  isLive: () => boolean,
  maxMisses = 240,
): Promise<Progress | null> {
  let last: Progress | null = null;
  for (let misses = 0; ; ) {
    try {
      const p = await api.progress(slug);
      misses = 0;
      last = p;
      if (p.phase === 'submitting' || p.phase === 'waiting' || p.done) onUpdate(p);
      if (p.done) return last;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 404)) throw e;
      if (++misses > maxMisses) throw e;
    }
    if (!isLive()) throw new DOMException('closed', 'AbortError');
    await sleep(250);
  }
}

export default function App({ host, session, onStyles, locale: bootLocale, bytesOnly }: AppProps) {
  const [locale, setLocale] = useState<Locale>(() => resolveLocale(bootLocale, navigator.languages, navigator.language));
  const [importer, setImporter] = useState<ImporterInfo | null>(null);
  const branding = importer?.branding;
  const i18n = useMemo<I18n>(() => {
    const num = new Intl.NumberFormat(locale);
    return { t: translator(locale, brandTexts(branding, locale)), locale, num: (n: number) => num.format(n) };
  }, [locale, branding]);
  const { t } = i18n;

  const [step, setStep] = useState<Step>('connecting');
  // Whether a new step's title may take the focus: the host gave it to the importer (init's focus),
  // or the end user is working in the importer (focus or a drop inside it, until it leaves).
  const mayFocus = useRef(false);
  useEffect(() => {
    const inside = () => {
      mayFocus.current = true;
    };
    const outside = () => {
      mayFocus.current = false;
    };
    document.addEventListener('focusin', inside);
    document.addEventListener('drop', inside);
    window.addEventListener('focus', inside);
    window.addEventListener('blur', outside);
    return () => {
      document.removeEventListener('focusin', inside);
      document.removeEventListener('drop', inside);
      window.removeEventListener('focus', inside);
      window.removeEventListener('blur', outside);
    };
  }, []);
  const [api, setApi] = useState<EmbedApi | null>(null);
  const [imp, setImp] = useState<ImportInfo | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState('');
  const [fatal, setFatal] = useState('');
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [done, setDone] = useState<{ records: number; excluded: number } | null>(null);
  const [logo, setLogo] = useState<string | undefined>();
  const [admin, setAdmin] = useState(false);
  const [remap, setRemap] = useState<MappingChange | null>(null);
  const [reviewErrorsOnly, setReviewErrorsOnly] = useState(false);
  const [acting, setActing] = useState(false);
  const [submitNote, setSubmitNote] = useState<{ deleted: number } | null>(null);
  const [discardAsk, setDiscardAsk] = useState<{ body: 'discard.header' | 'discard.upload'; resolve: (ok: boolean) => void } | null>(null);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);

  /** The host page's styles (setCustomStyles): they win over the importer's branding. */
  const hostStyles = useRef<CustomStyles>({});
  const styles = useCallback((s: CustomStyles | undefined) => {
    if (!s) return;
    hostStyles.current = { colors: { ...hostStyles.current.colors, ...s.colors }, logoURL: s.logoURL ?? hostStyles.current.logoURL };
    applyStyles(document.documentElement, s);
    const l = safeLogo(s.logoURL);
    if (l !== undefined || s.logoURL === '') setLogo(l);
  }, []);
  useEffect(() => onStyles?.(styles), [onStyles, styles]);
  // The importer's branding, under the host page's styles.
  useEffect(() => {
    if (!branding) return;
    if (branding.primary_color && !hostStyles.current.colors?.primaryColor) {
      applyStyles(document.documentElement, { colors: { primaryColor: branding.primary_color } });
    }
    if (branding.logo && hostStyles.current.logoURL === undefined) setLogo(safeLogo(branding.logo));
  }, [branding]);

  /** A failure that ends the flow: shown, and reported to the host page (once). */
  const failed = useRef(false);
  const fail = useCallback(
    (e: unknown) => {
      if (failed.current) return;
      failed.current = true;
      const code = e instanceof ApiError ? e.code : 'EINTERNAL';
      const msg = e instanceof ApiError && e.status === 401 ? t('error.session') : message(e);
      setFatal(msg);
      setStep('fatal');
      host?.send('error', { code, message: msg });
    },
    [host, t],
  );

  // Start: wait for the session, then create the import.
  useEffect(() => {
    let stop = false;
    session.then(
      async (s) => {
        if (stop) return;
        if (s.focus) mayFocus.current = true;
        if (s.locale) setLocale(resolveLocale(s.locale, bootLocale, navigator.languages));
        styles(s.styles);
        const client = new EmbedApi({ token: s.token, bytesOnly, onUnauthorized: (e) => fail(e) });
        try {
          const started = await client.start(s.token ? undefined : s.importer, s.metadata);
          if (stop) return;
          setApi(client);
          setAdmin(!s.token);
          setImporter(started.importer);
          setImp(started.import);
          setStep('upload');
        } catch (e) {
          if (!stop) fail(e);
        }
      },
      (e: unknown) => !stop && fail(e),
    );
    return () => {
      stop = true;
    };
  }, [session, bootLocale, bytesOnly, styles, fail]);

  /** The end user cancelled: the server records it (the console's "cancelled"), then the host page hears. */
  const cancelled = useCallback(async () => {
    if (api && imp?.slug) await api.cancel(imp.slug);
    host?.send('cancel', {});
  }, [api, imp?.slug, host]);

  // Keyboard: Escape closes (asking first when there is work to lose); Tab stays inside the importer
  // (the modal's focus trap: from the last control back to the first and the other way round).
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === 'Escape') {
        // The confirm dialog handles its own Escape (and by then this listener may already see it closed).
        const inDialog = e.target instanceof Element && e.target.closest('.fbx-dialog-backdrop');
        if (e.defaultPrevented || inDialog || confirmCancel || !host) return;
        e.preventDefault();
        if (step === 'done' || step === 'fatal') host.send('close', {});
        else if (step === 'upload' || step === 'connecting') void cancelled();
        else setConfirmCancel(true);
        return;
      }
      if (e.key !== 'Tab') return;
      const scope = (document.querySelector('.fbx-dialog') as HTMLElement | null) ?? document.body;
      const items = [...scope.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')].filter(
        (el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && !el.hidden && el.getClientRects().length > 0,
      );
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (!e.shiftKey && (active === last || !scope.contains(active))) {
        e.preventDefault();
        first.focus();
      } else if (e.shiftKey && (active === first || !scope.contains(active))) {
        e.preventDefault();
        last.focus();
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [host, step, confirmCancel, cancelled]);

  // Move focus to the new step's title (screen readers announce the step), when it may (mayFocus).
  // Loading or starting over inline in a page, the importer leaves the page's focus alone: a title
  // focused from a frame takes the focus from the page, and what the user types next is lost.
  useEffect(() => {
    if (!mayFocus.current) return;
    document.getElementById('fbx-step-title')?.focus();
  }, [step]);

  const slug = imp?.slug ?? '';

  /**
   * After the mapping: staging runs on the server. The review opens as soon as its first rows are
   * stored (marked partial: counts so far, no edits, no submit) and becomes whole when every row is
   * checked.
   */
  async function afterMapping(edits?: MappingChange) {
    if (!api) return;
    setRemap(edits ?? null);
    setReviewErrorsOnly(false);
    setStep('staging');
    setProgress(null);
    setError('');
    let finished = false;
    let asked = 0;
    /** The partial summary (its per-column counts), at most once a second; never after the end. */
    const partialSummary = async () => {
      asked = Date.now();
      const s = await api.summary(slug);
      if (!finished && live.current && s.step === 'staging') setSummary(s);
      return s;
    };
    try {
      const s = await followStaging(
        api,
        slug,
        (p) => {
          setProgress(p);
          if (asked > 0 && Date.now() - asked >= 1000) void partialSummary().catch(() => {});
        },
        () => live.current,
        undefined,
        () =>
          void partialSummary().then(
            (s) => {
              if (!finished && live.current && s.step === 'staging') setStep('review');
            },
            () => {},
          ),
      );
      finished = true;
      setSummary(s);
      setStep('review');
    } catch (e) {
      finished = true;
      if (e instanceof DOMException && e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) return fail(e);
      setError(message(e));
      setStep('mapping');
    }
  }

  /**
   * Submit runs as a background job on the server: the call answers at once (202) and the records
   * written are followed with progress() until the job ends; then the import's status says
   * completed, or failed with the reason (the button submits again). Polls that fail while the
   * server restarts are tried again: the server resumes the job when it starts.
   */
  async function submit() {
    if (!api || !summary) return;
    setSubmitting(true);
    setError('');
    setProgress(null);
    try {
      await api.submit(slug);
      const last = await followSubmit(api, slug, setProgress, () => live.current);
      if (!live.current) return;
      const out = await api.getImport(slug);
      if (out.status !== 'completed' && out.status !== 'submitted') {
        setError(t('submit.failed', { reason: out.failure_reason || last?.error || out.status }));
        setSummary(await api.summary(slug));
        return;
      }
      const s = await api.summary(slug);
      const excluded = s.invalid_rows === 'exclude' ? summary.error_rows : 0;
      const records = s.record_count || rowsToImport(summary);
      setDone({ records, excluded });
      setStep('done');
      host?.send('complete', {
        import: out.slug,
        importer: importer?.slug ?? '',
        status: out.status,
        counts: { rows: summary.rows, records, error_rows: summary.error_rows, excluded_rows: excluded },
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) return fail(e);
      setError(message(e));
    } finally {
      setSubmitting(false);
    }
  }

  /** Submit's "delete the rows with errors": one undoable edit, then the counts again. */
  async function deleteErrorRows() {
    if (!api) return;
    setActing(true);
    setError('');
    try {
      const res = await api.deleteErrorRows(slug);
      setSummary(await api.summary(slug));
      setSubmitNote({ deleted: res.deleted });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return fail(e);
      setError(message(e));
    } finally {
      setActing(false);
    }
  }

  /** Submit's undo of its own delete. */
  async function undoDelete() {
    if (!api) return;
    setActing(true);
    setError('');
    try {
      await api.undo(slug);
      setSummary(await api.summary(slug));
      setSubmitNote(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return fail(e);
      setError(message(e));
    } finally {
      setActing(false);
    }
  }

  /** Submit's "download to fix in Excel": the file, then the review, where it is uploaded back. */
  async function downloadThenReview() {
    if (!api) return;
    setActing(true);
    setError('');
    try {
      await downloadErrors(api, slug, 'xlsx');
      setReviewErrorsOnly(true);
      setStep('review');
    } catch (e) {
      setError(message(e));
    } finally {
      setActing(false);
    }
  }

  /**
   * Asks before the review's edits are thrown away (another header row, other file settings, a new
   * file); at once true when there are none. The mapping keeps them (see the review's notice).
   */
  function askDiscard(body: 'discard.header' | 'discard.upload'): Promise<boolean> {
    if (!summary || summary.step !== 'review' || !summary.can_undo) return Promise.resolve(true);
    return new Promise((resolve) => setDiscardAsk({ body, resolve }));
  }

  /** The stepper: a completed step is a way back (not while a step runs, not after submit). */
  function canGoTo(i: number): boolean {
    return i < current && step !== 'done' && step !== 'staging' && !(step === 'review' && summary?.partial) && step !== 'fatal' && step !== 'connecting' && !submitting && !!preview;
  }

  function cancel() {
    setConfirmCancel(false);
    if (host) void cancelled();
    else {
      // Opened directly (no host page): start over.
      window.location.reload();
    }
  }

  const current = stepIndex[step];
  const submitFraction = progress && progress.records_total > 0 ? progress.records / progress.records_total : null;
  const submitDetail = progress && progress.records_total > 0 ? t('submit.records', { done: progress.records, total: progress.records_total }) : undefined;

  let body: React.ReactNode;
  switch (step) {
    case 'connecting':
      body = (
        <StepLayout title={t('app.title')}>
          <ProgressBar label={t('app.connecting')} value={null} />
        </StepLayout>
      );
      break;
    case 'fatal':
      body = (
        <StepLayout title={t('error.title')}>
          <ErrorBanner message={fatal} />
        </StepLayout>
      );
      break;
    case 'upload':
      body = api && importer && (
        <UploadStep
          api={api}
          slug={slug}
          importer={importer}
          template={(format) => api.template(format, admin ? importer.slug : undefined)}
          nativePick={admin && bytesOnly ? nativeFilePicker() : undefined}
          onUploaded={(p) => {
            setPreview(p);
            setStep('header');
          }}
        />
      );
      break;
    case 'header':
      body = api && preview && (
        <HeaderStep
          api={api}
          slug={slug}
          preview={preview}
          onPreview={setPreview}
          onBack={() => void askDiscard('discard.upload').then((ok) => ok && setStep('upload'))}
          onContinue={() => setStep('mapping')}
          confirmChange={() => askDiscard('discard.header')}
        />
      );
      break;
    case 'mapping':
      body = api && preview && (
        <>
          {error && <ErrorBanner message={error} onDismiss={() => setError('')} />}
          <MappingStep api={api} slug={slug} preview={preview} keepUnmapped={importer?.keep_unmapped} onBack={() => setStep('header')} onConfirmed={(edits) => void afterMapping(edits)} />
        </>
      );
      break;
    case 'staging':
      body = (
        <StepLayout title={t('staging.title')}>
          <ProgressBar
            label={t('staging.validating')}
            value={progress && progress.bytes_total > 0 ? progress.bytes_read / progress.bytes_total : null}
            detail={progress ? t('staging.rows', { n: progress.rows }) : undefined}
          />
        </StepLayout>
      );
      break;
    case 'review':
      body = api && importer && summary && (
        <ReviewStep
          api={api}
          slug={slug}
          columns={importer.columns}
          summary={summary}
          onSummary={setSummary}
          onContinue={() => {
            setRemap(null);
            setSubmitNote(null);
            setStep('submit');
          }}
          onBack={() => setStep('mapping')}
          remap={remap}
          errorsOnly={reviewErrorsOnly}
          staging={summary.partial ? progress : null}
        />
      );
      break;
    case 'submit':
      body = summary && (
        <SubmitStep
          summary={summary}
          submitting={submitting}
          progress={submitFraction}
          progressDetail={submitDetail}
          error={error}
          onBack={() => {
            setError('');
            setStep('review');
          }}
          onSubmit={() => void submit()}
          actions={{
            busy: acting,
            onDeleteErrors: () => void deleteErrorRows(),
            deleted: submitNote?.deleted,
            onUndoDelete: () => void undoDelete(),
            onDownloadErrors: () => void downloadThenReview(),
            onFixHere: () => {
              setReviewErrorsOnly(true);
              setStep('review');
            },
          }}
        />
      );
      break;
    case 'done':
      body = done && <DoneStep records={done.records} excluded={done.excluded} onClose={() => host?.send('close', {})} />;
      break;
  }

  return (
    <I18nContext.Provider value={i18n}>
      <div className="fbx-app" lang={locale}>
        <header className="fbx-top">
          <div className="fbx-brand">
            {logo ? <img src={logo} alt={t('app.logo')} className="fbx-logo" /> : <span className="fbx-mark" aria-hidden="true" />}
            <span className="fbx-title">{brandTitle(branding, locale) ?? importer?.name ?? t('app.title')}</span>
          </div>
          <nav className="fbx-stepper" aria-label={t('app.steps')}>
            <ol>
              {STEPS.map((k, i) => (
                <li
                  key={k}
                  className={i < current || step === 'done' ? 'done' : i === current ? 'current' : undefined}
                  aria-current={i === current && step !== 'done' ? 'step' : undefined}
                >
                  {canGoTo(i) ? (
                    <button
                      type="button"
                      className="fbx-step-link"
                      onClick={() => {
                        if (stepAt[i] !== 'upload') return setStep(stepAt[i]);
                        void askDiscard('discard.upload').then((ok) => ok && setStep('upload'));
                      }} title={t('stepper.goto', { step: t(k) })}>
                      <span className="fbx-step-num">{i + 1}</span>
                      <span className="fbx-step-label">{t(k)}</span>
                    </button>
                  ) : (
                    <>
                      <span className="fbx-step-num">{i + 1}</span>
                      <span className="fbx-step-label">{t(k)}</span>
                    </>
                  )}
                </li>
              ))}
            </ol>
            <span className="fbx-stepper-compact">
              {t('app.stepOf', { n: current + 1, total: STEPS.length })}: {t(STEPS[current])}
            </span>
          </nav>
          {step !== 'done' && (
            <button type="button" className="fbx-button fbx-cancel" onClick={() => (step === 'fatal' ? (host ? host.send('close', {}) : window.location.reload()) : setConfirmCancel(true))}>
              {step === 'fatal' ? t('app.close') : t('app.cancel')}
            </button>
          )}
        </header>
        <main className="fbx-main">{body}</main>
        {discardAsk && (
          <ConfirmDialog
            title={t('discard.title')}
            body={t(discardAsk.body)}
            confirm={t('discard.yes')}
            dismiss={t('discard.no')}
            onConfirm={() => {
              discardAsk.resolve(true);
              setDiscardAsk(null);
              setSummary((s) => (s ? { ...s, can_undo: false, step: 'uploaded' } : s));
            }}
            onDismiss={() => {
              discardAsk.resolve(false);
              setDiscardAsk(null);
            }}
          />
        )}
        {confirmCancel && (
          <ConfirmDialog
            title={t('cancel.title')}
            body={t('cancel.body')}
            confirm={t('cancel.yes')}
            dismiss={t('cancel.no')}
            onConfirm={cancel}
            onDismiss={() => setConfirmCancel(false)}
          />
        )}
      </div>
    </I18nContext.Provider>
  );
}
