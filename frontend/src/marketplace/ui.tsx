import type { Plan, StepResult } from './api';

export function Logo({ src, name, size = 48 }: { src: string; name: string; size?: number }) {
  const isImage = /^(https?:|data:image\/|\/)/.test(src);
  if (src && isImage) return <img className="mp-logo" src={src} alt="" width={size} height={size} />;
  return (
    <span className="mp-logo mp-logo-text" style={{ width: size, height: size, fontSize: size * 0.45 }} aria-hidden="true">
      {src || name.slice(0, 1).toUpperCase()}
    </span>
  );
}

export function PlanBadge({ plan }: { plan: Plan }) {
  return (
    <span className="mp-badge" data-plan={plan.name}>
      {plan.name} plan
    </span>
  );
}

const statusLabel: Record<string, string> = {
  running: 'Installing…',
  installed: 'Installed',
  failed: 'Failed',
  removed: 'Removed',
};

export function StatusBadge({ status, enabled }: { status: string; enabled?: boolean }) {
  const label = status === 'installed' && enabled === false ? 'Disabled' : statusLabel[status] ?? status;
  const tone = status === 'installed' ? (enabled === false ? 'muted' : 'ok') : status === 'failed' ? 'error' : 'muted';
  return <span className={`mp-status mp-status-${tone}`}>{label}</span>;
}

const stepIcon: Record<StepResult['status'], string> = { pending: '○', running: '◌', ok: '✓', failed: '✕', skipped: '–' };
const stepWord: Record<StepResult['status'], string> = { pending: 'Waiting', running: 'In progress', ok: 'Done', failed: 'Did not work', skipped: 'Skipped' };

/**
 * The workflow's steps as an end user reads them: the step's name and how it went. Only a notify
 * step's message is shown (it is written for the end user); requests, answers and ids never are.
 */
export function StepLog({ steps, notes = true }: { steps: StepResult[]; notes?: boolean }) {
  return (
    <ol className="mp-steps" aria-label="Workflow steps">
      {steps.map((s) => (
        <li key={s.position} className={`mp-step mp-step-${s.status}`} data-status={s.status}>
          <span className={`mp-step-icon${s.status === 'running' ? ' mp-spin' : ''}`} aria-hidden="true">
            {stepIcon[s.status]}
          </span>
          <div className="mp-step-body">
            <div className="mp-step-name">
              {s.name} <span className="mp-step-kind">{stepWord[s.status]}</span>
            </div>
            {notes && s.kind === 'notify' && s.detail && <div className="mp-step-detail">{s.detail}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}

/** An install's failure in plain words: what kind of problem, never the service's answer. */
export function plainInstallError(error: string): string {
  if (!error) return '';
  const code = /\bHTTP (\d{3})\b/.exec(error) ?? /→ (\d{3})\b/.exec(error);
  if (code) return `The service answered with an error (${code[1]}). Check what you entered and try again.`;
  if (/plan/i.test(error) && /allow|include|limit/i.test(error)) return error;
  if (/timeout|timed out|refused|connect|dial|no such host|unreachable/i.test(error)) return 'The service could not be reached. Try again in a moment.';
  return 'Something went wrong while connecting. Try again, or contact support if it keeps happening.';
}

/** Why the end user's plan stops an install of listing now ('' when it does not). */
export function planBlock(plan: Plan, usage: { integrations: number }): string {
  if (!plan.allowed_actions.includes('install')) return `Your ${plan.name} plan does not include installing integrations.`;
  if (plan.max_integrations > 0 && usage.integrations >= plan.max_integrations) {
    const n = plan.max_integrations;
    return `Your ${plan.name} plan allows ${n} integration${n === 1 ? '' : 's'} and you have ${usage.integrations}.`;
  }
  return '';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
