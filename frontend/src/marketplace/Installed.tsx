import { useCallback, useEffect, useState } from 'react';
import { ConfirmDialog } from '../shared/ConfirmDialog';
import { When } from '../shared/When';
import { api, type Activity, type Install } from './api';
import type { Ctx } from './App';
import { listingUrl } from './events';
import { errorText, plainInstallError, StatusBadge, StepLog } from './ui';

export default function Installed({ ctx }: { ctx: Ctx }) {
  const [installs, setInstalls] = useState<Install[] | null>(null);
  const [open, setOpen] = useState<Record<string, Install>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  const [activity, setActivity] = useState<Record<string, Activity>>({});
  const [removing, setRemoving] = useState<Install | null>(null);

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

  async function loadActivity(id: string) {
    try {
      const a = await api.activity(id);
      setActivity((m) => ({ ...m, [id]: a }));
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function toggleActivity(i: Install) {
    if (activity[i.id]) {
      setActivity(({ [i.id]: _, ...rest }) => rest);
      return;
    }
    await loadActivity(i.id);
  }

  async function retry(i: Install, delivery: number) {
    setBusy(`${i.id}/${delivery}`);
    setError('');
    try {
      await api.retryDelivery(i.id, delivery);
      await loadActivity(i.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
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
                  {i.listing_name} · installed <When iso={i.created_at} />
                </div>
                {i.status === 'failed' && <div className="mp-install-error">{plainInstallError(i.error)}</div>}
              </div>
              <StatusBadge status={i.status} enabled={i.enabled} />
              <div className="mp-install-actions">
                {i.status === 'installed' && i.destination_id && (
                  <button type="button" className="mp-button" aria-expanded={!!activity[i.id]} onClick={() => void toggleActivity(i)}>
                    {activity[i.id] ? 'Hide activity' : 'Activity'}
                  </button>
                )}
                <button type="button" className="mp-button" aria-expanded={!!open[i.id]} onClick={() => void toggleLog(i)}>
                  {open[i.id] ? 'Hide details' : 'Details'}
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
                    onClick={() => setRemoving(i)}
                  >
                    Uninstall
                  </button>
                )}
              </div>
            </div>
            {open[i.id]?.steps && <StepLog steps={open[i.id].steps ?? []} />}
            {activity[i.id] && <ActivityView install={i} a={activity[i.id]} busy={busy} onRetry={(d) => void retry(i, d)} onRefresh={() => void loadActivity(i.id)} />}
          </li>
        ))}
      </ul>
      {removing && (
        <ConfirmDialog
          title={`Uninstall “${removing.name}”?`}
          body={`${removing.listing_name} stops receiving your records. You can install it again later.`}
          confirm="Uninstall"
          dismiss="Keep it"
          onDismiss={() => setRemoving(null)}
          onConfirm={() => {
            const i = removing;
            setRemoving(null);
            void act(i, 'remove');
          }}
        />
      )}
    </section>
  );
}

const deliveryWord: Record<string, string> = {
  pending: 'Sending', delivered: 'Delivered', failed: 'Failed', dead: 'Failed', discarded: 'Not sent', held: 'Held by your plan',
};

/** What an installed integration sent for this end user: their deliveries only (the server scopes them). */
function ActivityView({ install, a, busy, onRetry, onRefresh }: {
  install: Install;
  a: Activity;
  busy: string;
  onRetry: (delivery: number) => void;
  onRefresh: () => void;
}) {
  const rate = a.success_rate < 0 ? '—' : `${Math.round(a.success_rate * 1000) / 10}%`;
  return (
    <section className="mp-activity" aria-label={`Activity of ${install.name}`} data-testid="activity">
      <div className="mp-activity-sum">
        <span><strong data-testid="success-rate">{rate}</strong> delivered</span>
        <span>{a.delivered} sent · {a.failed} failed{a.pending ? ` · ${a.pending} sending` : ''}</span>
        <button type="button" className="mp-button mp-button-small" onClick={onRefresh}>Refresh</button>
      </div>
      {a.last_error && (
        <p className="mp-install-error" data-testid="last-error">Last problem: {a.last_error} {a.last_error_at && <When iso={a.last_error_at} />}</p>
      )}
      {a.deliveries.length === 0 ? (
        <p className="mp-muted">Nothing sent yet. Records are sent here when you import them.</p>
      ) : (
        <div className="mp-table-scroll">
          <table className="mp-table">
            <thead>
              <tr><th scope="col">When</th><th scope="col">Records</th><th scope="col">Status</th><th scope="col"><span className="mp-sr">Actions</span></th></tr>
            </thead>
            <tbody>
              {a.deliveries.map((d) => (
                <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                  <td><When iso={d.at} /></td>
                  <td>{d.records}</td>
                  <td>
                    <span className={`mp-status mp-status-${d.status === 'delivered' ? 'ok' : d.can_retry ? 'error' : 'muted'}`}>{deliveryWord[d.status] ?? d.status}</span>
                    {d.reason && <div className="mp-muted mp-small">{d.reason}</div>}
                  </td>
                  <td>
                    {d.can_retry && (
                      <button type="button" className="mp-button mp-button-small" disabled={busy === `${install.id}/${d.id}`} onClick={() => onRetry(d.id)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
