import { useEffect, useState } from 'react';
import { errorText, mp, type MpEndUser, type MpInstall, type MpLimitHit } from './api';
import { When } from '../../shared/When';
import { formatCount } from '../format';
import { useHashRoute } from '../router';

/** End users created from signed-link claims, with their plan and usage. */
export function MarketplaceEndUsers() {
  const [users, setUsers] = useState<MpEndUser[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    mp.endUsers()
      .then((r) => setUsers(r.end_users))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  if (error) return <div className="notice notice-error" role="alert">{error}</div>;
  if (!users) return <p className="muted">Loading…</p>;
  if (users.length === 0) return <p className="muted">No end user has signed in yet. Try the <a href="#/marketplace/links">signed-link builder</a>.</p>;
  return (
    <table className="mpc-table">
      <thead>
        <tr><th>External id</th><th>Name</th><th>Email</th><th>Plan</th><th>Installs</th><th>Transactions this month</th><th>Last login</th></tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr key={u.id}>
            <td className="mpc-mono">{u.external_id}</td>
            <td>{[u.firstname, u.lastname].filter(Boolean).join(' ') || '—'}</td>
            <td>{u.email || '—'}</td>
            <td>
              {u.plan}
              {u.plan_note && <div className="mpc-help" title={u.plan_note}>asked for “{u.requested_plan}” (unknown)</div>}
            </td>
            <td><a href={`#/marketplace/installs?user=${encodeURIComponent(u.id)}`}>{u.installs}</a></td>
            <td>{formatCount(u.transactions)}</td>
            <td><When iso={u.last_login_at} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const statusTone: Record<string, string> = { installed: 'ok', failed: 'bad', running: 'info' };

/** Every install, with its workflow's step log. */
export function MarketplaceInstalls() {
  const [installs, setInstalls] = useState<MpInstall[] | null>(null);
  const [selected, setSelected] = useState<MpInstall | null>(null);
  const [error, setError] = useState('');
  // Filters from the address: #/marketplace/installs?user=&listing=&plan=&from=&to=&removed=1 (the dashboard links here).
  const { hash } = useHashRoute();
  const params = new URLSearchParams(hash.split('?')[1] ?? '');
  const [user, listing, plan, from, to] = ['user', 'listing', 'plan', 'from', 'to'].map((k) => params.get(k) ?? '');
  const [removed, setRemoved] = useState(params.get('removed') === '1');
  const filtered = Boolean(user || listing || plan || from || to);

  useEffect(() => {
    const q = new URLSearchParams();
    if (user) q.set('end_user_id', user);
    if (listing) q.set('listing_id', listing);
    if (plan) q.set('plan', plan);
    if (from) q.set('from', from);
    if (to) q.set('to', to);
    if (removed) q.set('removed', '1');
    setInstalls(null);
    mp.installs(q.size ? `?${q}` : '')
      .then((r) => setInstalls(r.installs))
      .catch((e: unknown) => setError(errorText(e)));
  }, [user, listing, plan, from, to, removed]);

  async function select(i: MpInstall) {
    try {
      setSelected((await mp.install(i.id)).install);
    } catch (e) {
      setError(errorText(e));
    }
  }

  if (error) return <div className="notice notice-error" role="alert">{error}</div>;
  if (!installs) return <p className="muted">Loading…</p>;
  return (
    <>
      <div className="mpc-row" style={{ marginBottom: 10 }}>
        {filtered && (
          <span className="mpc-pill info" data-testid="installs-filter">
            {[user && 'one end user', listing && `listing ${listing}`, plan && `plan ${plan}`, (from || to) && `created ${from || '…'} to ${to || '…'} (UTC)`].filter(Boolean).join(' · ')}
            {' · '}<a href="#/marketplace/installs">show all</a>
          </span>
        )}
        <label className="mpc-check"><input type="checkbox" checked={removed} onChange={(e) => setRemoved(e.target.checked)} /> include removed</label>
      </div>
      {installs.length === 0 ? (
        <p className="muted">{filtered ? 'No installs match these filters.' : 'No installs yet.'}</p>
      ) : (
        <table className="mpc-table">
          <thead>
            <tr><th>Created</th><th>End user</th><th>Listing</th><th>Name</th><th>Status</th><th>Relay route</th></tr>
          </thead>
          <tbody>
            {installs.map((i) => (
              <tr key={i.id} className={`clickable${selected?.id === i.id ? ' selected' : ''}`} onClick={() => void select(i)}>
                <td><When iso={i.created_at} /></td>
                <td className="mpc-mono">{i.external_id}</td>
                <td>{i.listing_name}</td>
                <td>{i.name}</td>
                <td>
                  <span className={`mpc-pill ${statusTone[i.status] ?? ''}`}>{i.status === 'installed' && !i.enabled ? 'disabled' : i.status}</span>
                </td>
                <td className="mpc-mono">{i.destination_id || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && (
        <section className="card mpc-result" aria-label="Install details">
          <h2 style={{ fontSize: 15 }}>
            {selected.name} <span className="mpc-mono muted">{selected.id}</span>
          </h2>
          {selected.error && <p className="mpc-error">{selected.error}</p>}
          <p className="muted">Config: {Object.entries(selected.config ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'} (secret values are sealed and not shown)</p>
          <ul className="mpc-steps">
            {(selected.steps ?? []).map((s) => (
              <li key={s.position}>
                <span className={`mpc-pill ${s.status === 'ok' ? 'ok' : s.status === 'failed' ? 'bad' : ''}`}>{s.status}</span>
                <div>
                  <strong>{s.name}</strong> <span className="muted">{s.kind}</span>
                  {s.detail && <div className="mpc-mono">{s.detail}</div>}
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** Installs refused by a plan limit (they leave no install behind), newest first. */
export function MarketplaceLimitHits() {
  const [hits, setHits] = useState<MpLimitHit[] | null>(null);
  const [error, setError] = useState('');
  // The range from the address: #/marketplace/limit-hits?from=&to= (the dashboard's tile links here).
  const { hash } = useHashRoute();
  const params = new URLSearchParams(hash.split('?')[1] ?? '');
  const [from, to] = ['from', 'to'].map((k) => params.get(k) ?? '');

  useEffect(() => {
    const q = new URLSearchParams();
    if (from) q.set('from', from);
    if (to) q.set('to', to);
    setHits(null);
    mp.limitHits(q.size ? `?${q}` : '')
      .then((r) => setHits(r.limit_hits))
      .catch((e: unknown) => setError(errorText(e)));
  }, [from, to]);

  if (error) return <div className="notice notice-error" role="alert">{error}</div>;
  if (!hits) return <p className="muted">Loading…</p>;
  return (
    <>
      <p className="muted">Installs an end user asked for and their plan refused. Deliveries held by a plan limit are in the relay&apos;s <a href="#/relay/deliveries?status=held">held deliveries</a>.</p>
      {(from || to) && (
        <div className="mpc-row" style={{ marginBottom: 10 }}>
          <span className="mpc-pill info" data-testid="limit-hits-filter">
            created {from || '…'} to {to || '…'} (UTC) · <a href="#/marketplace/limit-hits">show all</a>
          </span>
        </div>
      )}
      {hits.length === 0 ? (
        <p className="muted">{from || to ? 'No installs were refused on these days.' : 'No installs were refused.'}</p>
      ) : (
        <table className="mpc-table" aria-label="Installs refused by a plan limit">
          <thead>
            <tr><th>When</th><th>End user</th><th>Listing</th><th>Plan</th><th>What they saw</th></tr>
          </thead>
          <tbody>
            {hits.map((h) => (
              <tr key={h.id}>
                <td><When iso={h.created_at} /></td>
                <td className="mpc-mono" title={h.email}>{h.external_id || h.end_user_id}</td>
                <td className="mpc-mono">{h.listing_id}</td>
                <td>{h.plan || '—'}</td>
                <td>{h.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
