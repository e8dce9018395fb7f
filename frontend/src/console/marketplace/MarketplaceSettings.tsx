import { useEffect, useState, type FormEvent } from 'react';
import { errorText, mp, type MpSettings } from './api';
import { useUnsavedGuard } from '../useUnsavedGuard';

/** Overview: org id, title, embed origins and token limits, and how a host app signs links. */
export default function MarketplaceSettings() {
  const [st, setSt] = useState<MpSettings | null>(null);
  const [origins, setOrigins] = useState('');
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [base, setBase] = useState(''); // the settings as loaded or last saved (JSON), for unsaved edits
  useUnsavedGuard(!!st && JSON.stringify([st, origins]) !== base, 'the marketplace settings');

  useEffect(() => {
    mp.settings()
      .then((s) => {
        setSt(s);
        setOrigins(s.embed_origins.join('\n'));
        setBase(JSON.stringify([s, s.embed_origins.join('\n')]));
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, []);

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!st) return;
    setError('');
    setSaved('');
    try {
      const next = await mp.saveSettings({ ...st, embed_origins: origins.split(/[\s,]+/).filter(Boolean) });
      setSt(next);
      setOrigins(next.embed_origins.join('\n'));
      setBase(JSON.stringify([next, next.embed_origins.join('\n')]));
      setSaved('Saved.');
    } catch (err) {
      setError(errorText(err));
    }
  }

  if (!st) return error ? <div className="notice notice-error" role="alert">{error}</div> : <p className="muted">Loading…</p>;
  return (
    <>
      <form className="card mpc-section" onSubmit={save} aria-label="Marketplace settings">
        <h2>Settings</h2>
        <div className="mpc-grid">
          <label className="mpc-field">
            <span>Org id</span>
            <input value={st.org_id} onChange={(e) => setSt({ ...st, org_id: e.target.value })} className="mpc-mono" />
            <span className="mpc-help">Every token's orgId claim must equal it.</span>
          </label>
          <label className="mpc-field">
            <span>Title</span>
            <input value={st.title} onChange={(e) => setSt({ ...st, title: e.target.value })} />
          </label>
          <label className="mpc-field">
            <span>Token leeway</span>
            <input value={st.token_leeway} onChange={(e) => setSt({ ...st, token_leeway: e.target.value })} />
            <span className="mpc-help">Clock skew allowed on exp, nbf and iat (0s–60s).</span>
          </label>
          <label className="mpc-field">
            <span>Max token lifetime</span>
            <input value={st.token_max_lifetime} onChange={(e) => setSt({ ...st, token_max_lifetime: e.target.value })} />
            <span className="mpc-help">exp − iat may not be longer (e.g. 24h).</span>
          </label>
        </div>
        <label className="mpc-field" style={{ marginTop: 12 }}>
          <span>Embed origins</span>
          <textarea rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder="http://localhost:3000" />
          <span className="mpc-help">
            Host pages allowed to frame the marketplace (CSP frame-ancestors) and to receive its events, one origin per line.
          </span>
        </label>
        {error && <div className="notice notice-error" role="alert" style={{ marginTop: 12 }}>{error}</div>}
        <div className="mpc-row" style={{ marginTop: 12 }}>
          <button type="submit" className="button button-primary">Save settings</button>
          {saved && <span className="muted">{saved}</span>}
        </div>
      </form>
      <section className="card mpc-section">
        <h2>Sending users in</h2>
        <p>
          Your backend signs an HS256 JWT with one of the <a href="#/marketplace/secrets">API secrets</a> and opens{' '}
          <code>/marketplace?jwt=&lt;token&gt;</code> (or <code>/marketplace/listing/&lt;id&gt;?jwt=…</code>) in an iframe. Claims, as
          APIFuse documents them:
        </p>
        <pre className="mpc-pre">{`{
  "iat": 1602676712, "exp": 1602679712, "nbf": 1602676712,
  "orgId": "${st.org_id}",
  "user": { "externalId": "id from your db", "firstname": "abc", "lastname": "abc",
            "email": "abc@test.com", "monetizationPlan": "free" },
  "connection": { "connectionName": "guid", "connectorId": "crm-v1", "api_key": "…" }
}`}</pre>
        <p className="muted">
          Try it with the <a href="#/marketplace/links">signed-link builder</a>; find out why a token is refused with the{' '}
          <a href="#/marketplace/inspect">token inspector</a>.
        </p>
      </section>
    </>
  );
}
