// Console importer editor: the Branding card (primary colour checked for 4.5:1 contrast, logo upload,
// per-language title and texts) and the live preview of the importer (an iframe of the embed in
// preview mode, /embed/importer?preview=1, sent the draft definition on every change).
import { useEffect, useRef, useState } from 'react';
import { dictionaries, type MessageKey } from '../../embed/i18n';
import { LOCALES } from '../../sdk/protocol';
import { checkPrimaryColor, contrastRatio, formatRatio, parseHex } from '../../shared/contrast';
import type { Branding, Importer } from './model';

/** The embed messages the editor offers to override (any other key can be set in the YAML). */
export const TEXT_KEYS: MessageKey[] = ['upload.title', 'upload.drop', 'upload.expected.title', 'mapping.title', 'mapping.hint', 'review.title', 'submit.title', 'done.title', 'done.body'];

/** Logos the console accepts before the server's own check (type by signature, size, SVG safety). */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'];
export const MAX_LOGO_BYTES = 200 * 1024;

/** Why a logo file is refused before upload, or "" when it may go to the server. */
export function logoProblem(f: { name: string; type: string; size: number }): string {
  if (!LOGO_TYPES.includes(f.type)) return `${f.name} is not a PNG, JPEG or SVG image`;
  if (f.size > MAX_LOGO_BYTES) return `${f.name} is ${f.size} bytes; at most ${MAX_LOGO_BYTES} bytes (200 KB)`;
  return '';
}

function readDataURL(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('reading the file failed'));
    r.readAsDataURL(f);
  });
}

/** The colour problem to show (and to block saving), or null. */
export function colorProblem(b: Branding): string | null {
  const c = b.primary_color?.trim();
  if (!c) return null;
  return checkPrimaryColor(c)?.error ?? null;
}

export function BrandingCard({
  branding,
  lang,
  onLang,
  onChange,
  serverErrors,
}: {
  branding: Branding;
  lang: string;
  onLang: (l: string) => void;
  onChange: (b: Branding) => void;
  serverErrors: string[];
}) {
  const [logoError, setLogoError] = useState('');
  const color = branding.primary_color ?? '';
  const problem = colorProblem(branding);
  const rgb = parseHex(color);
  const ratio = rgb && !problem ? formatRatio(contrastRatio([255, 255, 255], rgb)) : '';
  const dict = dictionaries[(LOCALES as readonly string[]).includes(lang) ? (lang as keyof typeof dictionaries) : 'en'];

  async function pickLogo(files: FileList | null) {
    setLogoError('');
    const f = files?.[0];
    if (!f) return;
    const why = logoProblem(f);
    if (why) {
      setLogoError(why);
      return;
    }
    try {
      onChange({ ...branding, logo: await readDataURL(f) });
    } catch (e) {
      setLogoError(e instanceof Error ? e.message : String(e));
    }
  }

  const setTitle = (v: string) => onChange({ ...branding, title: { ...branding.title, [lang]: v } });
  const setText = (key: string, v: string) => onChange({ ...branding, texts: { ...branding.texts, [lang]: { ...branding.texts?.[lang], [key]: v } } });

  return (
    <section className="card ied-card" aria-labelledby="ied-branding">
      <h2 id="ied-branding">Branding</h2>
      <div className="ied-grid">
        <label className={`ied-field${problem ? ' invalid' : ''}`}>
          <span className="ied-label">Primary colour</span>
          <span className="ied-color">
            <input type="color" aria-label="Pick the primary colour" value={rgb ? color.length === 4 ? `#${[...color.slice(1)].map((c) => c + c).join('')}` : color : '#3b5bdb'} onChange={(e) => onChange({ ...branding, primary_color: e.target.value })} />
            <input value={color} placeholder="#3b5bdb (default)" aria-describedby="ied-color-check" onChange={(e) => onChange({ ...branding, primary_color: e.target.value })} />
          </span>
          <span id="ied-color-check" className={problem ? 'field-error' : 'ied-hint'} role={problem ? 'alert' : undefined} data-testid="color-check">
            {problem ?? (ratio ? `${ratio}:1 with white: buttons and links stay readable` : 'Buttons, links and focus rings; at least 4.5:1 with white.')}
          </span>
        </label>
        <div className="ied-field">
          <span className="ied-label">Logo</span>
          <span className="ied-logo">
            {branding.logo ? <img src={branding.logo} alt="Current logo" data-testid="logo-preview" /> : <span className="muted">none</span>}
            <label className="button small">
              {branding.logo ? 'Replace…' : 'Upload…'}
              <input type="file" accept=".png,.jpg,.jpeg,.svg,image/png,image/jpeg,image/svg+xml" hidden data-testid="logo-input" onChange={(e) => {
                void pickLogo(e.target.files);
                e.target.value = '';
              }} />
            </label>
            {branding.logo && <button type="button" className="button small" onClick={() => onChange({ ...branding, logo: undefined })}>Remove</button>}
          </span>
          <span className={logoError ? 'field-error' : 'ied-hint'} role={logoError ? 'alert' : undefined}>{logoError || 'PNG, JPEG or SVG, at most 200 KB.'}</span>
        </div>
        <label className="ied-field">
          <span className="ied-label">Language of the texts below</span>
          <select value={lang} onChange={(e) => onLang(e.target.value)}>
            <option value="*">every language</option>
            {LOCALES.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
          <span className="ied-hint">The preview shows this language.</span>
        </label>
        <label className="ied-field wide">
          <span className="ied-label">Title</span>
          <input value={branding.title?.[lang] ?? ''} placeholder="the importer's name" onChange={(e) => setTitle(e.target.value)} />
        </label>
        {TEXT_KEYS.map((key) => (
          <label className="ied-field wide" key={key}>
            <span className="ied-label">{key}</span>
            <input value={branding.texts?.[lang]?.[key] ?? ''} placeholder={dict[key]} onChange={(e) => setText(key, e.target.value)} />
          </label>
        ))}
      </div>
      {serverErrors.length > 0 && (
        <ul className="ied-errs" role="alert">
          {serverErrors.map((m, i) => <li key={i} className="field-error">{m}</li>)}
        </ul>
      )}
    </section>
  );
}

/** The importer as the end user sees it, updated as the definition changes. */
export function LivePreview({ definition, lang }: { definition: Importer; lang: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const on = (e: MessageEvent) => {
      if (e.origin === window.location.origin && e.source === frame.current?.contentWindow && (e.data as { type?: string })?.type === 'fusebox:preview-ready') setReady(true);
    };
    window.addEventListener('message', on);
    return () => window.removeEventListener('message', on);
  }, []);
  useEffect(() => {
    if (!ready) return;
    frame.current?.contentWindow?.postMessage({ type: 'fusebox:preview', definition, locale: lang === '*' ? 'en' : lang }, window.location.origin);
  }, [ready, definition, lang]);
  return (
    <aside className="ied-preview" aria-label="Preview">
      <div className="ied-preview-head">
        <strong>Preview</strong> <span className="muted">the upload step, as the end user sees it</span>
      </div>
      <iframe ref={frame} src="/embed/importer?preview=1" title="Importer preview" data-testid="importer-preview-frame" />
    </aside>
  );
}
