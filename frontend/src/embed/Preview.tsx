// The importer in preview mode (/embed/importer?preview=1): what the console's importer editor shows
// beside the form while the definition is edited. The console (same origin, the parent window) posts
// {type: "fusebox:preview", definition, locale} on every change; the page renders the header and the
// upload step with that definition's columns and branding. Nothing is uploaded from here.
import { useEffect, useMemo, useState } from 'react';
import { importerInfo, type ImporterInfo } from './api';
import { resolveLocale, translator, type Locale } from './i18n';
import { UploadStep } from './steps/UploadStep';
import { applyStyles, brandTexts, brandTitle, safeLogo } from './styles';
import { I18nContext, type I18n } from './ui';

export const PREVIEW_MESSAGE = 'fusebox:preview';
export const PREVIEW_READY = 'fusebox:preview-ready';

type Definition = Parameters<typeof importerInfo>[0];

const STEPS = ['step.upload', 'step.header', 'step.mapping', 'step.review', 'step.submit'] as const;

export default function Preview() {
  const [info, setInfo] = useState<ImporterInfo | null>(null);
  const [locale, setLocale] = useState<Locale>('en');

  useEffect(() => {
    const on = (e: MessageEvent) => {
      if (e.origin !== window.location.origin || e.source !== window.parent) return;
      const d = e.data as { type?: unknown; definition?: Definition; locale?: string } | null;
      if (!d || d.type !== PREVIEW_MESSAGE || !d.definition || !Array.isArray(d.definition.columns)) return;
      setInfo(importerInfo(d.definition));
      setLocale(resolveLocale(d.locale, 'en'));
    };
    window.addEventListener('message', on);
    if (window.parent !== window) window.parent.postMessage({ type: PREVIEW_READY }, window.location.origin);
    return () => window.removeEventListener('message', on);
  }, []);

  const branding = info?.branding;
  useEffect(() => {
    const root = document.documentElement;
    if (branding?.primary_color) applyStyles(root, { colors: { primaryColor: branding.primary_color } });
    else root.style.removeProperty('--fbx-primary');
  }, [branding?.primary_color]);

  const i18n = useMemo<I18n>(() => {
    const num = new Intl.NumberFormat(locale);
    return { t: translator(locale, brandTexts(branding, locale)), locale, num: (n: number) => num.format(n) };
  }, [locale, branding]);
  const { t } = i18n;
  if (!info) return <p className="fbx-muted" style={{ padding: 20 }}>{t('app.connecting')}</p>;
  const logo = safeLogo(branding?.logo);
  const refuse = () => Promise.reject(new Error('preview: nothing is uploaded here'));

  return (
    <I18nContext.Provider value={i18n}>
      <div className="fbx-app" lang={locale} data-testid="importer-preview">
        <header className="fbx-top">
          <div className="fbx-brand">
            {logo ? <img src={logo} alt={t('app.logo')} className="fbx-logo" /> : <span className="fbx-mark" aria-hidden="true" />}
            <span className="fbx-title">{brandTitle(branding, locale) ?? info.name}</span>
          </div>
          <nav className="fbx-stepper" aria-label={t('app.steps')}>
            <ol>
              {STEPS.map((k, i) => (
                <li key={k} className={i === 0 ? 'current' : undefined} aria-current={i === 0 ? 'step' : undefined}>
                  <span className="fbx-step-num">{i + 1}</span>
                  <span className="fbx-step-label">{t(k)}</span>
                </li>
              ))}
            </ol>
            <span className="fbx-stepper-compact">
              {t('app.stepOf', { n: 1, total: STEPS.length })}: {t(STEPS[0])}
            </span>
          </nav>
          <button type="button" className="fbx-button fbx-cancel" disabled>
            {t('app.cancel')}
          </button>
        </header>
        <main className="fbx-main">
          <UploadStep api={{ upload: refuse, uploadFromPath: refuse }} slug="preview" importer={info} onUploaded={() => {}} />
        </main>
      </div>
    </I18nContext.Provider>
  );
}
