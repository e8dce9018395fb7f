import type { Summary } from '../api';
import { ErrorBanner, ProgressBar, StepLayout, useI18n } from '../ui';

/** Rows that submit would store, under the importer's invalid_rows policy. */
export function rowsToImport(s: Pick<Summary, 'rows' | 'error_rows' | 'invalid_rows'>): number {
  return s.invalid_rows === 'exclude' ? s.rows - s.error_rows : s.rows;
}

export function SubmitStep({
  summary,
  submitting,
  progress,
  error,
  onBack,
  onSubmit,
}: {
  summary: Summary;
  submitting: boolean;
  progress: number | null;
  error: string;
  onBack: () => void;
  onSubmit: () => void;
}) {
  const { t, num } = useI18n();
  const n = rowsToImport(summary);
  const blocked = summary.invalid_rows === 'block' && summary.error_rows > 0;
  let policy: string;
  if (summary.error_rows === 0) policy = t('submit.policy.clean');
  else if (summary.invalid_rows === 'block') policy = t('submit.policy.block', { n: summary.error_rows });
  else if (summary.invalid_rows === 'exclude') policy = t('submit.policy.exclude', { n: summary.error_rows });
  else policy = t('submit.policy.include');

  return (
    <StepLayout
      title={t('submit.title')}
      footer={
        <>
          <button type="button" className="fbx-button" onClick={onBack} disabled={submitting}>
            {t('app.back')}
          </button>
          <button type="button" className="fbx-button primary" onClick={onSubmit} disabled={submitting || blocked || n === 0}>
            {t('submit.confirm', { n })}
          </button>
        </>
      }
    >
      {error && <ErrorBanner message={error} />}
      <dl className="fbx-summary" data-testid="submit-summary">
        <div>
          <dt>{t('submit.rows')}</dt>
          <dd>{num(summary.rows)}</dd>
        </div>
        <div className={summary.error_rows > 0 ? 'errors' : undefined}>
          <dt>{t('submit.errorRows')}</dt>
          <dd>{num(summary.error_rows)}</dd>
        </div>
        <div>
          <dt>{t('submit.warningRows')}</dt>
          <dd>{num(summary.warning_rows)}</dd>
        </div>
        <div className="total">
          <dt>{t('submit.toImport')}</dt>
          <dd>{num(n)}</dd>
        </div>
      </dl>
      <p className={blocked ? 'fbx-alert' : summary.error_rows > 0 ? 'fbx-warn' : 'fbx-ok'} role="status">
        {policy}
      </p>
      {submitting && <ProgressBar label={t('submit.submitting')} value={progress} />}
    </StepLayout>
  );
}

export function DoneStep({ records, excluded, onClose }: { records: number; excluded: number; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <section className="fbx-step fbx-done" aria-labelledby="fbx-step-title">
      <div className="fbx-done-body">
        <svg viewBox="0 0 48 48" className="fbx-done-icon" aria-hidden="true">
          <circle cx="24" cy="24" r="22" fill="currentColor" opacity="0.12" />
          <path d="M14 25l7 7 13-15" fill="none" stroke="currentColor" strokeWidth="4" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <h1 id="fbx-step-title" tabIndex={-1}>
          {t('done.title')}
        </h1>
        <p data-testid="done-body">{t('done.body', { n: records })}</p>
        {excluded > 0 && <p className="fbx-muted">{t('done.excluded', { n: excluded })}</p>}
        <button type="button" className="fbx-button primary" onClick={onClose}>
          {t('app.close')}
        </button>
      </div>
    </section>
  );
}
