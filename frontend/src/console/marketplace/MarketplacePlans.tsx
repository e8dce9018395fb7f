import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { errorText, mp, type MpPlan } from './api';
import { askConfirm } from '../../shared/askConfirm';
import { formatCount } from '../format';
import { useUnsavedGuard } from '../useUnsavedGuard';

const empty: MpPlan = { name: '', default: false, max_integrations: 0, max_transactions: 0, allowed_actions: ['install'], upgrade_message: '' };

/** Monetization plans: limits per end user, allowed actions and the upgrade message. */
export default function MarketplacePlans() {
  const [plans, setPlans] = useState<MpPlan[] | null>(null);
  const [edit, setEdit] = useState<MpPlan | null>(null);
  const [isNew, setIsNew] = useState(false);
  const [opened, setOpened] = useState(''); // the plan as the form opened it (JSON), for unsaved edits
  useUnsavedGuard(!!edit && JSON.stringify(edit) !== opened, isNew ? 'the new plan' : `plan ${edit?.name ?? ''}`);
  const open = (p: MpPlan, creating: boolean) => {
    setEdit(p);
    setOpened(JSON.stringify(p));
    setIsNew(creating);
  };
  const [error, setError] = useState('');

  const load = useCallback(() => {
    mp.plans()
      .then((r) => setPlans(r.plans))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!edit) return;
    setError('');
    try {
      await mp.savePlan(edit);
      setEdit(null);
      load();
    } catch (err) {
      setError(errorText(err));
    }
  }

  async function remove(p: MpPlan) {
    if (!(await askConfirm({ title: `Delete plan ${p.name}?`, body: 'Its users fall back to the default plan.', confirm: 'Delete plan' }))) return;
    try {
      await mp.deletePlan(p.name);
      load();
    } catch (err) {
      setError(errorText(err));
    }
  }

  const toggle = (a: string) =>
    edit && setEdit({ ...edit, allowed_actions: edit.allowed_actions.includes(a) ? edit.allowed_actions.filter((x) => x !== a) : [...edit.allowed_actions, a] });
  const limit = (n: number) => (n > 0 ? formatCount(n) : 'unlimited');

  return (
    <section className="mpc-section">
      <div className="mpc-row" style={{ justifyContent: 'space-between', marginBottom: 10 }}>
        <p className="muted" style={{ margin: 0 }}>
          A token's <code>user.monetizationPlan</code> picks the plan; an unknown or missing one gets the default plan.
        </p>
        <button type="button" className="button" onClick={() => open({ ...empty }, true)}>
          New plan
        </button>
      </div>
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      {edit && (
        <form className="card mpc-section" onSubmit={save} aria-label="Plan">
          <h2>{isNew ? 'New plan' : `Plan ${edit.name}`}</h2>
          <div className="mpc-grid">
            <label className="mpc-field">
              <span>Name</span>
              <input value={edit.name} disabled={!isNew} onChange={(e) => setEdit({ ...edit, name: e.target.value })} required />
            </label>
            <label className="mpc-field">
              <span>Max integrations per user</span>
              <input type="number" min={0} value={edit.max_integrations} onChange={(e) => setEdit({ ...edit, max_integrations: Number(e.target.value) })} />
              <span className="mpc-help">0 = unlimited</span>
            </label>
            <label className="mpc-field">
              <span>Max transactions per user per month</span>
              <input type="number" min={0} value={edit.max_transactions} onChange={(e) => setEdit({ ...edit, max_transactions: Number(e.target.value) })} />
              <span className="mpc-help">relay deliveries; 0 = unlimited</span>
            </label>
          </div>
          <div className="mpc-row" style={{ margin: '12px 0' }}>
            <label className="mpc-check"><input type="checkbox" checked={edit.allowed_actions.includes('install')} onChange={() => toggle('install')} /> install</label>
            <label className="mpc-check"><input type="checkbox" checked={edit.allowed_actions.includes('customize')} onChange={() => toggle('customize')} /> customize (change preset values)</label>
            <label className="mpc-check"><input type="checkbox" checked={edit.default} onChange={(e) => setEdit({ ...edit, default: e.target.checked })} /> default plan</label>
          </div>
          <label className="mpc-field">
            <span>Upgrade message</span>
            <input value={edit.upgrade_message} onChange={(e) => setEdit({ ...edit, upgrade_message: e.target.value })} />
            <span className="mpc-help">Shown to end users when a limit of this plan stops them.</span>
          </label>
          <div className="mpc-row" style={{ marginTop: 12 }}>
            <button type="submit" className="button button-primary">Save plan</button>
            <button type="button" className="button" onClick={() => setEdit(null)}>Cancel</button>
          </div>
        </form>
      )}
      {plans === null ? (
        <p className="muted">Loading…</p>
      ) : plans.length === 0 ? (
        <p className="muted">No plans: every user gets an unlimited implicit default plan.</p>
      ) : (
        <table className="mpc-table">
          <thead>
            <tr><th>Plan</th><th>Integrations</th><th>Transactions / month</th><th>Actions</th><th>Upgrade message</th><th /></tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr key={p.name} data-plan={p.name}>
                <td><strong>{p.name}</strong> {p.default && <span className="mpc-pill info">default</span>}</td>
                <td>{limit(p.max_integrations)}</td>
                <td>{limit(p.max_transactions)}</td>
                <td>{p.allowed_actions.join(', ') || 'none'}</td>
                <td>{p.upgrade_message}</td>
                <td><div className="mpc-row mpc-nowrap">
                  <button type="button" className="button" onClick={() => open({ ...p }, false)}>Edit</button>
                  <button type="button" className="button button-danger" onClick={() => void remove(p)}>Delete</button>
                </div></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
