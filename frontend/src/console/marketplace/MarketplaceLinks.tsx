import { useEffect, useState, type FormEvent } from 'react';
import { errorText, mp, type MpLink, type MpLinkRequest, type MpListing, type MpPlan, type MpReport, type MpSecret } from './api';
import { When } from '../../shared/When';

const INSPECT_KEY = 'fusebox.console.inspect';

/** Signed-link builder: pick user fields and a plan, get a working URL (as a host app's backend would). */
export function MarketplaceLinkBuilder() {
  const [req, setReq] = useState<MpLinkRequest>({
    external_id: 'user-1',
    firstname: 'Ada',
    lastname: 'Lovelace',
    email: 'ada@example.com',
    plan: '',
    ttl: '1h',
    jti: false,
    no_kid: false,
  });
  const [connection, setConnection] = useState('{\n  "connectionName": "Ada\'s account",\n  "connectorId": "",\n  "api_key": ""\n}');
  const [secrets, setSecrets] = useState<MpSecret[]>([]);
  const [plans, setPlans] = useState<MpPlan[]>([]);
  const [listings, setListings] = useState<MpListing[]>([]);
  const [link, setLink] = useState<MpLink | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    Promise.all([mp.secrets(), mp.plans(), mp.listings()])
      .then(([s, p, l]) => {
        setSecrets(s.secrets.filter((x) => x.active));
        setPlans(p.plans);
        setListings(l.listings);
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, []);

  async function sign(e: FormEvent) {
    e.preventDefault();
    setError('');
    setLink(null);
    let conn: Record<string, unknown> | undefined;
    try {
      const parsed = connection.trim() ? (JSON.parse(connection) as Record<string, unknown>) : {};
      conn = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== ''));
    } catch (err) {
      setError(`connection is not valid JSON: ${errorText(err)}`);
      return;
    }
    try {
      setLink(await mp.signLink({ ...req, connection: conn }));
    } catch (err) {
      setError(errorText(err));
    }
  }

  const set = (k: keyof MpLinkRequest) => (e: { target: { value: string } }) => setReq({ ...req, [k]: e.target.value });
  return (
    <section className="mpc-section">
      <form className="card" onSubmit={sign} aria-label="Signed-link builder">
        <div className="mpc-grid">
          <label className="mpc-field"><span>externalId *</span><input value={req.external_id} onChange={set('external_id')} required /></label>
          <label className="mpc-field"><span>firstname</span><input value={req.firstname} onChange={set('firstname')} /></label>
          <label className="mpc-field"><span>lastname</span><input value={req.lastname} onChange={set('lastname')} /></label>
          <label className="mpc-field"><span>email</span><input value={req.email} onChange={set('email')} /></label>
          <label className="mpc-field">
            <span>monetizationPlan</span>
            <select value={req.plan} onChange={set('plan')} aria-label="Plan">
              <option value="">(none: default plan)</option>
              {plans.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
              <option value="unknown-plan">unknown-plan (falls back to the default)</option>
            </select>
          </label>
          <label className="mpc-field">
            <span>Open</span>
            <select value={req.listing_id ?? ''} onChange={set('listing_id')} aria-label="Listing">
              <option value="">the catalog</option>
              {listings.map((l) => <option key={l.id} value={l.id}>listing: {l.name}</option>)}
            </select>
          </label>
          <label className="mpc-field">
            <span>Lifetime</span>
            <select value={req.ttl} onChange={set('ttl')} aria-label="Lifetime">
              {['5m', '15m', '1h', '8h', '24h'].map((t) => <option key={t}>{t}</option>)}
            </select>
          </label>
          <label className="mpc-field">
            <span>Secret</span>
            <select value={req.secret_id ?? ''} onChange={set('secret_id')} aria-label="Secret">
              <option value="">newest active</option>
              {secrets.map((s) => <option key={s.id} value={s.id}>{s.id}{s.label ? ` (${s.label})` : ''}</option>)}
            </select>
          </label>
          <label className="mpc-field"><span>Host origin (?origin=)</span><input value={req.origin ?? ''} onChange={set('origin')} placeholder="http://localhost:3000" /></label>
        </div>
        <div className="mpc-row" style={{ margin: '12px 0' }}>
          <label className="mpc-check"><input type="checkbox" checked={req.jti} onChange={(e) => setReq({ ...req, jti: e.target.checked })} /> single use (jti)</label>
          <label className="mpc-check"><input type="checkbox" checked={!req.no_kid} onChange={(e) => setReq({ ...req, no_kid: !e.target.checked })} /> kid header</label>
        </div>
        <label className="mpc-field">
          <span>connection claims (JSON; prefill the install wizard)</span>
          <textarea rows={5} value={connection} onChange={(e) => setConnection(e.target.value)} spellCheck={false} />
        </label>
        {error && <div className="notice notice-error" role="alert" style={{ marginTop: 12 }}>{error}</div>}
        <div className="mpc-row" style={{ marginTop: 12 }}>
          <button type="submit" className="button button-primary">Sign link</button>
          {secrets.length === 0 && <span className="muted">Create an <a href="#/marketplace/secrets">API secret</a> first.</span>}
        </div>
      </form>
      {link && (
        <div className="mpc-result" data-testid="signed-link">
          <p>
            <strong>URL</strong> (valid until <When iso={link.expires_at} />, signed with {link.secret_id}):
          </p>
          <p><a href={link.url} target="_blank" rel="noopener noreferrer">{link.url}</a></p>
          <div className="mpc-two">
            <div>
              <strong>Token</strong>
              <pre className="mpc-pre">{link.token}</pre>
            </div>
            <div>
              <strong>Claims</strong>
              <pre className="mpc-pre">{JSON.stringify(link.claims, null, 2)}</pre>
            </div>
          </div>
          <div className="mpc-row" style={{ marginTop: 10 }}>
            <button type="button" className="button" onClick={() => void navigator.clipboard?.writeText(link.url)}>Copy URL</button>
            <a
              className="button"
              href="#/marketplace/inspect"
              onClick={() => sessionStorage.setItem(INSPECT_KEY, link.token)}
            >
              Inspect this token
            </a>
          </div>
        </div>
      )}
    </section>
  );
}

const icon = { ok: '✓', failed: '✕', skipped: '–' };

/** Token inspector: explains exactly why a token is accepted or rejected. */
export function MarketplaceInspector() {
  const [token, setToken] = useState(() => sessionStorage.getItem(INSPECT_KEY) ?? '');
  const [report, setReport] = useState<MpReport | null>(null);
  const [error, setError] = useState('');

  async function inspect(e?: FormEvent) {
    e?.preventDefault();
    setError('');
    try {
      setReport(await mp.inspect(token.trim()));
    } catch (err) {
      setError(errorText(err));
    }
  }

  useEffect(() => {
    if (sessionStorage.getItem(INSPECT_KEY)) {
      sessionStorage.removeItem(INSPECT_KEY);
      void inspect();
    }
  }, []);

  return (
    <section className="mpc-section">
      <form className="card" onSubmit={inspect} aria-label="Token inspector">
        <label className="mpc-field">
          <span>Token (the jwt= value of a link)</span>
          <textarea rows={4} value={token} onChange={(e) => setToken(e.target.value)} spellCheck={false} placeholder="eyJhbGciOiJIUzI1NiIs…" />
        </label>
        <div className="mpc-row" style={{ marginTop: 10 }}>
          <button type="submit" className="button button-primary">Inspect</button>
          <span className="muted">Checks it exactly as a login would, without spending its jti.</span>
        </div>
      </form>
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      {report && (
        <div className="mpc-result" data-testid="inspect-report">
          <div className={`mpc-verdict ${report.valid ? 'ok' : 'bad'}`} role="status">
            {report.verdict}
            {report.code && <span className="error-code"> ({report.code}, HTTP {report.code === 'ETOOLARGE' ? 413 : 401})</span>}
          </div>
          {report.plan && <p>Plan: <strong>{report.plan}</strong>{report.plan_note ? ` — ${report.plan_note}` : ''}</p>}
          <table className="mpc-table mpc-checks">
            <tbody>
              {report.checks.map((c) => (
                <tr key={c.name} data-check={c.name} data-status={c.status}>
                  <td><span className={`mpc-pill ${c.status === 'ok' ? 'ok' : c.status === 'failed' ? 'bad' : ''}`}>{icon[c.status]}</span></td>
                  <td><strong>{c.name}</strong></td>
                  <td>{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="mpc-two" style={{ marginTop: 12 }}>
            <div><strong>Header</strong><pre className="mpc-pre">{JSON.stringify(report.header, null, 2)}</pre></div>
            <div><strong>Payload (unverified)</strong><pre className="mpc-pre">{JSON.stringify(report.claims, null, 2)}</pre></div>
          </div>
        </div>
      )}
    </section>
  );
}
