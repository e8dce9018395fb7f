import type { Summary } from '../api';
import { ErrorBanner, ProgressBar, StepLayout, useI18n } from '../ui';
import '../review.css';

/**
 * Rows that submit would store now, under the importer's invalid_rows policy: all rows (include),
 * the valid ones (exclude), or none while any row has errors (block).
 */
export function rowsToImport(s: Pick<Summary, 'rows' | 'error_rows' | 'invalid_rows'>): number {
  if (s.invalid_rows === 'block') return s.error_rows > 0 ? 0 : s.rows;
  return s.invalid_rows === 'exclude' ? s.rows - s.error_rows : s.rows;
}

/** The next steps Submit offers while a block policy holds rows with errors back. */
export interface BlockActions {
  onDeleteErrors: () => void;
  onDownloadErrors: () => void;
  onFixHere: () => void;
  busy: boolean;
  /** Rows the delete above removed (shown with an Undo). */
  deleted?: number;
  onUndoDelete?: () => void;
}

export function SubmitStep({
  summary,
  submitting,
  progress,
  progressDetail,
  error,
  onBack,
  onSubmit,
  actions,
}: {
  summary: Summary;
  submitting: boolean;
  progress: number | null;
  /** "12,000 of 200,000 records saved" while the submit runs. */
  progressDetail?: string;
  error: string;
  onBack: () => void;
  onSubmit: () => void;
  actions: BlockActions;
}) {
  const { t, num } = useI18n();
  // rows the host's validation service has not judged are not valid (hooks.validate)
  const unchecked = summary.invalid_rows === 'block' && !!summary.callback && summary.callback.state !== 'ok';
  const n = unchecked ? 0 : rowsToImport(summary);
  const blocked = summary.invalid_rows === 'block' && summary.error_rows > 0;
  let policy: string;
  if (summary.error_rows === 0) policy = t('submit.policy.clean');
  else if (summary.invalid_rows === 'block') policy = t('submit.next.block', { n: summary.error_rows });
  else if (summary.invalid_rows === 'exclude') policy = t('submit.policy.exclude', { n: summary.error_rows });
  else policy = t('submit.policy.include');
  if (unchecked) policy = summary.callback?.state === 'failed' ? t('callback.failed') : t('callback.running');
  let toImportNote = '';
  if (summary.error_rows > 0) {
    if (blocked) toImportNote = t('submit.toImport.block', { valid: summary.rows - summary.error_rows });
    else if (summary.invalid_rows === 'exclude') toImportNote = t('submit.toImport.exclude', { n: summary.error_rows });
    else toImportNote = t('submit.toImport.include', { n: summary.error_rows });
  }

  return (
    <StepLayout
      title={t('submit.title')}
      footer={
        <>
          <button type="button" className="fbx-button" onClick={onBack} disabled={submitting}>
            {t('app.back')}
          </button>
          {!blocked && !unchecked && (
            <button type="button" className="fbx-button primary" onClick={onSubmit} disabled={submitting || n === 0}>
              {t('submit.confirm', { n })}
            </button>
          )}
        </>
      }
    >
      {error && <ErrorBanner message={error} />}
      {actions.deleted !== undefined && actions.deleted > 0 && (
        <div className="fbx-ok" role="status" data-testid="submit-deleted">
          <span>{t('review.deletedErrors', { n: actions.deleted })}</span>
          <button type="button" className="fbx-link" onClick={actions.onUndoDelete} disabled={actions.busy || submitting}>
            {t('review.undo')}
          </button>
        </div>
      )}
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
          <dd data-testid="to-import">{num(n)}</dd>
          {toImportNote && <dd className="fbx-summary-note">{toImportNote}</dd>}
        </div>
      </dl>
      <div className={blocked ? 'fbx-alert fbx-next' : unchecked ? 'fbx-alert' : summary.error_rows > 0 ? 'fbx-warn' : 'fbx-ok'} role="status" data-testid="submit-policy">
        <p>{policy}</p>
        {blocked && (
          <div className="fbx-next-actions">
            <button type="button" className="fbx-button danger" onClick={actions.onDeleteErrors} disabled={actions.busy} data-testid="submit-delete-errors">
              {t('submit.action.delete', { n: summary.error_rows })}
            </button>
            <button type="button" className="fbx-button" onClick={actions.onDownloadErrors} disabled={actions.busy} data-testid="submit-download-errors">
              {t('submit.action.download')}
            </button>
            <button type="button" className="fbx-button primary" onClick={actions.onFixHere} disabled={actions.busy} data-testid="submit-fix-here">
              {t('submit.action.fix')}
            </button>
          </div>
        )}
      </div>
      {submitting && (
        <div data-testid="submit-progress">
          <ProgressBar label={t('submit.submitting')} value={progress} detail={progressDetail} />
        </div>
      )}
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
