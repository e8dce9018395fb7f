import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { errorText, mp, type MpSecret } from './api';
import { askConfirm } from '../../shared/askConfirm';
import { When } from '../../shared/When';

/** API secrets that host apps sign links with: created here or with the CLI, shown once. */
export default function MarketplaceSecrets() {
  const [secrets, setSecrets] = useState<MpSecret[] | null>(null);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const [error, setError] = useState('');

  const load = useCallback(() => {
    mp.secrets()
      .then((r) => setSecrets(r.secrets))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError('');
    try {
      const s = await mp.createSecret(label);
      setCreated({ id: s.id, secret: s.secret });
      setLabel('');
      load();
    } catch (err) {
      setError(errorText(err));
    }
  }

  async function deactivate(s: MpSecret) {
    if (!(await askConfirm({ title: `Deactivate ${s.id}?`, body: 'Links signed with it stop working, for good.', confirm: 'Deactivate' }))) return;
    try {
      await mp.deactivateSecret(s.id);
      load();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section className="mpc-section">
      <form className="mpc-row" onSubmit={create} style={{ marginBottom: 12 }}>
        <input className="mpc-input" placeholder="Label, e.g. production" value={label} onChange={(e) => setLabel(e.target.value)} aria-label="Secret label" />
        <button type="submit" className="button button-primary">Create secret</button>
        <span className="muted">
          or <code>fusebox marketplace secrets create --data-dir DIR</code>
        </span>
      </form>
      {created && (
        <div className="mpc-once" role="status">
          <strong>Copy the secret of {created.id} now: it is not shown again.</strong>
          <code data-testid="new-secret">{created.secret}</code>
          <div className="mpc-row">
            <button type="button" className="button" onClick={() => void navigator.clipboard?.writeText(created.secret)}>Copy</button>
            <button type="button" className="button" onClick={() => setCreated(null)}>I stored it</button>
          </div>
        </div>
      )}
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      <p className="muted">
        Secrets are sealed at rest with AES-256-GCM under <code>secrets.key</code> in the data directory (0600). Several may be active;
        tokens name one with the <code>kid</code> header, or every active secret is tried.
      </p>
      {secrets === null ? (
        <p className="muted">Loading…</p>
      ) : secrets.length === 0 ? (
        <p className="muted">No secrets yet.</p>
      ) : (
        <table className="mpc-table">
          <thead>
            <tr><th>Id (kid)</th><th>Label</th><th>Ends with</th><th>Status</th><th>Created</th><th>Last used</th><th /></tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <tr key={s.id}>
                <td className="mpc-mono">{s.id}</td>
                <td>{s.label || '—'}</td>
                <td className="mpc-mono">…{s.hint}</td>
                <td>{s.active ? <span className="mpc-pill ok">active</span> : <span className="mpc-pill">deactivated</span>}</td>
                <td><When iso={s.created_at} /></td>
                <td>{s.last_used_at ? <When iso={s.last_used_at} /> : 'never'}</td>
                <td>{s.active && <button type="button" className="button button-danger" onClick={() => void deactivate(s)}>Deactivate</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
