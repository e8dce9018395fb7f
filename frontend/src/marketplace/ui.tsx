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

export function StepLog({ steps }: { steps: StepResult[] }) {
  return (
    <ol className="mp-steps" aria-label="Workflow steps">
      {steps.map((s) => (
        <li key={s.position} className={`mp-step mp-step-${s.status}`} data-status={s.status}>
          <span className={`mp-step-icon${s.status === 'running' ? ' mp-spin' : ''}`} aria-hidden="true">
            {stepIcon[s.status]}
          </span>
          <div className="mp-step-body">
            <div className="mp-step-name">
              {s.name} <span className="mp-step-kind">{s.kind.replace('_', ' ')}</span>
            </div>
            {s.detail && <div className="mp-step-detail">{s.detail}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
