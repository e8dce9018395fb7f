import { useEffect, useRef, useState, type DragEvent } from 'react';
import { takeDroppedFile } from '../../shared/desktopDrop';
import { ApiError, type EmbedApi, type ImporterInfo, type Preview, type UploadSource } from '../api';
import { formatBytes } from '../i18n';
import { ErrorBanner, ProgressBar, StepLayout, useI18n } from '../ui';

const ALL_TYPES = ['csv', 'tsv', 'txt', 'xlsx', 'json'];

function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i + 1).toLowerCase();
}

/** The desktop window's native file dialog (Wails binding): the chosen path, or "" when cancelled. */
export type NativePicker = (title: string) => Promise<string>;

/** Saves a Blob as a download named `name`. */
function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The columns the importer expects, required ones marked, with help text and an example. */
export function ExpectedColumns({ importer, template, onError }: { importer: ImporterInfo; template?: (format: 'csv' | 'xlsx') => Promise<Blob>; onError?: (msg: string) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  if (importer.columns.length === 0) return null;
  async function download(format: 'csv' | 'xlsx') {
    if (!template) return;
    setBusy(true);
    try {
      saveBlob(await template(format), `${importer.slug}-template.${format}`);
    } catch (e) {
      onError?.(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="fbx-expected" aria-labelledby="fbx-expected-title" data-testid="expected-columns">
      <h2 id="fbx-expected-title">{t('upload.expected.title')}</h2>
      <ul>
        {importer.columns.map((c) => {
          const values = c.type === 'enum' ? (c.values ?? []).map((v) => v.value) : [];
          const hint = [c.description, c.example ? t('upload.expected.example', { value: c.example }) : '', values.length ? t('upload.expected.values', { values: values.join(', ') }) : '']
            .filter(Boolean)
            .join(' · ');
          return (
            <li key={c.key} data-testid={`expected-${c.key}`}>
              <span>
                <strong>{c.label}</strong>
                {c.required && <span className="fbx-req"> · {t('upload.expected.required')}</span>}
              </span>
              {hint && <span className="fbx-muted fbx-small">{hint}</span>}
            </li>
          );
        })}
      </ul>
      {template && (
        <div className="fbx-templates">
          <span className="fbx-muted fbx-small">{t('upload.template')}</span>
          <button type="button" className="fbx-button" disabled={busy} onClick={() => void download('csv')}>
            {t('upload.template.csv')}
          </button>
          <button type="button" className="fbx-button" disabled={busy} onClick={() => void download('xlsx')}>
            {t('upload.template.xlsx')}
          </button>
        </div>
      )}
    </section>
  );
}

export function UploadStep({
  api,
  slug,
  importer,
  onUploaded,
  nativePick,
  template,
}: {
  api: Pick<EmbedApi, 'upload' | 'uploadFromPath'>;
  slug: string;
  importer: ImporterInfo;
  onUploaded: (p: Preview) => void;
  /** In the desktop window (console "Try"): choose with the native dialog and let the server read the file. */
  nativePick?: NativePicker;
  /** Fetches the importer's template file (CSV or XLSX). */
  template?: (format: 'csv' | 'xlsx') => Promise<Blob>;
}) {
  const { t, locale } = useI18n();
  const [error, setError] = useState('');
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState<{ name: string; sent: number; total: number; reading: boolean } | null>(null);
  const [pasted, setPasted] = useState('');
  const input = useRef<HTMLInputElement>(null);

  const types = importer.allowed_file_types?.length ? importer.allowed_file_types : ALL_TYPES;
  const typesText = types.map((x) => '.' + x).join(', ');
  const maxSize = importer.max_file_size || 0;

  function check(src: UploadSource): string {
    const ext = extOf(src.name);
    if (!types.includes(ext)) return t('upload.err.type', { name: src.name, types: typesText });
    if (src.size === 0) return t('upload.err.empty', { name: src.name });
    if (maxSize > 0 && src.size > maxSize) {
      return t('upload.err.size', { name: src.name, size: formatBytes(src.size, locale), max: formatBytes(maxSize, locale) });
    }
    return '';
  }

  async function send(src: UploadSource) {
    const problem = check(src);
    if (problem) {
      setError(problem);
      return;
    }
    setError('');
    setBusy({ name: src.name, sent: 0, total: src.size, reading: false });
    try {
      const preview = await api.upload(slug, src, (sent, total) =>
        setBusy({ name: src.name, sent, total, reading: sent >= total }),
      );
      onUploaded(preview);
    } catch (e) {
      setBusy(null);
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    }
  }

  async function pickNative(pickFn: NativePicker) {
    setError('');
    let path: string;
    try {
      path = await pickFn(t('upload.choose'));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return;
    }
    if (!path) return; // cancelled
    await uploadPath(path);
  }

  /** The server reads the file at path (file-from-path): nothing crosses the web view. */
  async function uploadPath(path: string) {
    setError('');
    const name = path.split(/[\\/]/).pop() ?? path;
    if (!types.includes(extOf(name))) {
      setError(t('upload.err.type', { name, types: typesText }));
      return;
    }
    setBusy({ name, sent: 0, total: 0, reading: true });
    try {
      onUploaded(await api.uploadFromPath(slug, path));
    } catch (e) {
      setBusy(null);
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  // In the desktop window, a file dropped on the window for this importer waits in the console;
  // the upload step takes it once (see shared/desktopDrop.ts).
  const tookDrop = useRef(false);
  useEffect(() => {
    if (!nativePick || tookDrop.current) return;
    tookDrop.current = true;
    const path = takeDroppedFile(importer.slug);
    if (path) void uploadPath(path);
    // Once, when the step first shows.
  }, []);

  function pick(files: FileList | null) {
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      setError(t('upload.err.multiple'));
      return;
    }
    const f = files[0];
    void send({ name: f.name, size: f.size, file: f });
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    // In the desktop window the window itself takes dropped files: Go reads the path and the
    // console starts this view over with it (shared/desktopDrop.ts); no bytes cross the web view.
    if (busy || nativePick) return;
    pick(e.dataTransfer.files);
  }

  function usePasted() {
    const text = pasted.trim();
    if (!text) {
      setError(t('upload.err.paste'));
      return;
    }
    const bytes = new TextEncoder().encode(text + '\n');
    // Spreadsheets copy as tab-separated text; anything else goes through delimiter detection.
    const name = text.includes('\t') ? 'pasted.tsv' : 'pasted.csv';
    void send({ name: types.includes(extOf(name)) ? name : 'pasted.txt', size: bytes.length, bytes });
  }

  const pct = busy && busy.total > 0 ? busy.sent / busy.total : 0;

  return (
    <StepLayout title={t('upload.title')}>
      {error && <ErrorBanner message={error} onDismiss={() => setError('')} />}
      {busy ? (
        <div className="fbx-upload-progress">
          {busy.total > 0 && (
            <ProgressBar
              label={t('upload.uploading', { name: busy.name })}
              value={pct}
              detail={`${formatBytes(busy.sent, locale)} / ${formatBytes(busy.total, locale)}`}
            />
          )}
          {busy.reading && <ProgressBar label={t('upload.reading')} value={null} />}
        </div>
      ) : (
        <div className="fbx-upload">
          <div
            className={dragging ? 'fbx-dropzone dragging' : 'fbx-dropzone'}
            role="region"
            aria-label={t('upload.zone')}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <svg className="fbx-drop-icon" viewBox="0 0 48 48" aria-hidden="true">
              <path d="M24 32V12m0 0-8 8m8-8 8 8" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
              <path d="M10 30v6a4 4 0 0 0 4 4h20a4 4 0 0 0 4-4v-6" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
            </svg>
            <p className="fbx-drop-title">{t('upload.drop')}</p>
            <p className="fbx-muted">{t('upload.or')}</p>
            <button
              type="button"
              className="fbx-button primary"
              onClick={() => (nativePick ? void pickNative(nativePick) : input.current?.click())}
            >
              {t('upload.choose')}
            </button>
            <input
              ref={input}
              type="file"
              hidden
              accept={types.map((x) => '.' + x).join(',')}
              aria-label={t('upload.choose')}
              data-testid="file-input"
              onChange={(e) => {
                pick(e.target.files);
                e.target.value = '';
              }}
            />
            <p className="fbx-muted fbx-small">
              {t('upload.accepts', { types: typesText, size: maxSize > 0 ? formatBytes(maxSize, locale) : '∞' })}
            </p>
          </div>
          <div className="fbx-paste">
            <h2>{t('upload.paste.title')}</h2>
            <p className="fbx-muted fbx-small" id="fbx-paste-hint">
              {t('upload.paste.hint')}
            </p>
            <textarea
              aria-label={t('upload.paste.label')}
              aria-describedby="fbx-paste-hint"
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              onKeyDown={(e) => {
                // Ctrl+Enter (Cmd+Enter) uploads the pasted text, like the button below.
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  usePasted();
                }
              }}
              spellCheck={false}
              rows={7}
            />
            <button type="button" className="fbx-button" onClick={usePasted} disabled={!pasted.trim()} aria-keyshortcuts="Control+Enter" title="Ctrl+Enter">
              {t('upload.paste.use')}
            </button>
          </div>
        </div>
      )}
      {!busy && <ExpectedColumns importer={importer} template={template} onError={setError} />}
    </StepLayout>
  );
}
