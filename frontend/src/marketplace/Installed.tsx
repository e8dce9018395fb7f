import { useCallback, useEffect, useState } from 'react';
import { formatLocalDateTime } from '../shared/dates';
import { api, type Install } from './api';
import type { Ctx } from './App';
import { listingUrl } from './events';
import { errorText, StatusBadge, StepLog } from './ui';

export default function Installed({ ctx }: { ctx: Ctx }) {
  const [installs, setInstalls] = useState<Install[] | null>(null);
  const [open, setOpen] = useState<Record<string, Install>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');

  const load = useCallback(async () => {
    try {
      setInstalls((await api.installs()).installs);
    } catch (e) {
      setError(errorText(e));
    }
  }, []);

  useEffect(() => {
    if (ctx.me) void load();
  }, [ctx.me, load]);

  if (!ctx.me) {
    return <p className="mp-empty">Sign in through your app to see your installed integrations.</p>;
  }
  const { plan, usage } = ctx.me;

  async function act(i: Install, what: 'enable' | 'disable' | 'remove') {
    setBusy(i.id);
    setError('');
    try {
      if (what === 'remove') {
        await api.uninstall(i.id);
        ctx.events.emit('installation_removed', listingUrl(i.listing_id), `${i.name} (${i.id})`);
      } else {
        await api.setEnabled(i.id, what === 'enable');
      }
      await load();
      await ctx.refreshMe();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  }

  async function toggleLog(i: Install) {
    if (open[i.id]) {
      setOpen(({ [i.id]: _, ...rest }) => rest);
      return;
    }
    try {
      const { install } = await api.install(i.id);
      setOpen((o) => ({ ...o, [i.id]: install }));
    } catch (e) {
      setError(errorText(e));
    }
  }

  const limit = (n: number) => (n > 0 ? String(n) : '∞');
  return (
    <section className="mp-installed">
      <h1>Installed integrations</h1>
      <div className="mp-usage" data-testid="usage">
        <div>
          <strong>{usage.integrations}</strong> of {limit(usage.max_integrations)} integrations
        </div>
        <div>
          <strong>{usage.transactions}</strong> of {limit(usage.max_transactions)} transactions in {usage.month}
        </div>
        <div className="mp-muted">on the {plan.name} plan</div>
      </div>
      {plan.max_integrations > 0 && usage.integrations >= plan.max_integrations && plan.upgrade_message && (
        <div className="mp-alert mp-alert-upgrade">{plan.upgrade_message}</div>
      )}
      {error && <div className="mp-alert mp-alert-error" role="alert">{error}</div>}
      {installs === null && <p className="mp-muted" role="status">Loading…</p>}
      {installs?.length === 0 && (
        <p className="mp-empty">
          Nothing installed yet.{' '}
          <a
            href="/marketplace"
            onClick={(e) => {
              e.preventDefault();
              ctx.go({ view: 'catalog' });
            }}
          >
            Browse the catalog
          </a>
        </p>
      )}
      <ul className="mp-install-list">
        {installs?.map((i) => (
          <li key={i.id} className="mp-install" data-install={i.id} data-status={i.status}>
            <div className="mp-install-row">
              <div className="mp-install-main">
                <div className="mp-install-name">{i.name}</div>
                <div className="mp-muted">
                  {i.listing_name} · installed {formatLocalDateTime(i.created_at)}
                </div>
                {i.status === 'failed' && <div className="mp-install-error">{i.error}</div>}
              </div>
              <StatusBadge status={i.status} enabled={i.enabled} />
              <div className="mp-install-actions">
                <button type="button" className="mp-button" onClick={() => void toggleLog(i)}>
                  {open[i.id] ? 'Hide log' : 'Step log'}
                </button>
                {i.status === 'installed' && (
                  <button type="button" className="mp-button" disabled={busy === i.id} onClick={() => void act(i, i.enabled ? 'disable' : 'enable')}>
                    {i.enabled ? 'Disable' : 'Enable'}
                  </button>
                )}
                {i.status !== 'running' && (
                  <button
                    type="button"
                    className="mp-button mp-button-danger"
                    disabled={busy === i.id}
                    onClick={() => {
                      if (window.confirm(`Uninstall “${i.name}”?`)) void act(i, 'remove');
                    }}
                  >
                    Uninstall
                  </button>
                )}
              </div>
            </div>
            {open[i.id]?.steps && <StepLog steps={open[i.id].steps ?? []} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
