import { createContext, useContext, type ReactNode } from 'react';
import { translator, type Locale, type Translate } from './i18n';

export interface I18n {
  t: Translate;
  locale: Locale;
  num: (n: number) => string;
}

export const I18nContext = createContext<I18n>({ t: translator('en'), locale: 'en', num: (n) => String(n) });

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** A determinate progress bar (value 0..1) or an indeterminate one (value null). */
export function ProgressBar({ label, value, detail }: { label: string; value: number | null; detail?: string }) {
  const pct = value === null ? null : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="fbx-progress">
      <div className="fbx-progress-head">
        <span>{label}</span>
        <span className="fbx-muted">{pct === null ? detail ?? '' : `${pct}%${detail ? ' · ' + detail : ''}`}</span>
      </div>
      <div
        className={pct === null ? 'fbx-progress-track indeterminate' : 'fbx-progress-track'}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        aria-valuetext={pct === null ? detail : `${pct}%`}
      >
        <div className="fbx-progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function ErrorBanner({ message, onDismiss }: { message: string; onDismiss?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="fbx-alert" role="alert">
      <span>{message}</span>
      {onDismiss && (
        <button type="button" className="fbx-link" onClick={onDismiss}>
          {t('error.dismiss')}
        </button>
      )}
    </div>
  );
}

export function StepLayout({ title, hint, children, footer }: { title: string; hint?: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <section className="fbx-step" aria-labelledby="fbx-step-title">
      <div className="fbx-step-head">
        <h1 id="fbx-step-title" tabIndex={-1}>
          {title}
        </h1>
        {hint && <p className="fbx-muted">{hint}</p>}
      </div>
      <div className="fbx-step-body">{children}</div>
      {footer && <div className="fbx-step-foot">{footer}</div>}
    </section>
  );
}
