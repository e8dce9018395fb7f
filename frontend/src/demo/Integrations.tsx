// The demo app's "Integrations" tab: it embeds the Fusebox marketplace the way a host app does.
// This app's backend (POST /demo/api/marketplace-link, backend/httpapi/marketplace.go) signs a
// signed-link token for the signed-in user with the demo API secret, exactly as a host app's backend
// signs the APIFuse-style JWT; the page mounts the iframe with /sdk/marketplace.js's helper and
// shows the events it receives.
import { useCallback, useEffect, useRef, useState } from 'react';
import FuseboxMarketplace, { type MarketplaceEmbed, type MarketplaceEvent } from '../sdk/marketplace';
import { formatLocalTime } from '../shared/dates';

interface LinkResponse {
  url: string;
  token: string;
  expires_at: string;
}

interface LoggedEvent extends MarketplaceEvent {
  at: string;
}

function fuseboxBase(): string {
  const p = new URLSearchParams(window.location.search).get('fusebox');
  if (p) {
    try {
      return new URL(p).origin;
    } catch {
      // ignore a malformed parameter
    }
  }
  return window.location.origin;
}

export default function Integrations({ userId }: { userId: string }) {
  const [plan, setPlan] = useState('free');
  const [signedIn, setSignedIn] = useState(true);
  const [events, setEvents] = useState<LoggedEvent[]>([]);
  const [error, setError] = useState('');
  const [expires, setExpires] = useState('');
  const container = useRef<HTMLDivElement>(null);
  const embed = useRef<MarketplaceEmbed | null>(null);

  const open = useCallback(async () => {
    setError('');
    embed.current?.destroy();
    embed.current = null;
    let jwt: string | undefined;
    if (signedIn) {
      try {
        const res = await fetch('/demo/api/marketplace-link', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ user_id: userId, plan }),
        });
        const body = (await res.json().catch(() => null)) as (LinkResponse & { error?: { message?: string } }) | null;
        if (!res.ok || !body) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        jwt = body.token;
        setExpires(body.expires_at);
      } catch (e) {
        setError(`Could not sign a marketplace link: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    if (!container.current) return;
    const market = new FuseboxMarketplace({ baseUrl: fuseboxBase() });
    embed.current = market.mount({
      container: container.current,
      jwt,
      title: 'Integrations',
      onEvent: (ev) => setEvents((l) => [{ ...ev, at: formatLocalTime() }, ...l].slice(0, 30)),
    });
  }, [plan, signedIn, userId]);

  useEffect(() => {
    void open();
    return () => {
      embed.current?.destroy();
      embed.current = null;
    };
  }, [open]);

  const lastLoginRequired = events.find((e) => e.id === 'user_login_required');
  return (
    <main className="demo-main">
      <section className="demo-card">
        <div className="demo-card-head">
          <h2>Integrations</h2>
          <span className="demo-muted demo-small">{signedIn && expires ? `link valid until ${formatLocalTime(expires)}` : ''}</span>
        </div>
        <p className="demo-muted">
          Connect Acme CRM to other tools. The catalog is the Fusebox marketplace in an iframe; this app's backend signs the link
          (<code>POST /demo/api/marketplace-link</code>) for user <code>{userId}</code> with the demo API secret.
        </p>
        <div className="demo-form">
          <label>
            <span>Plan of this user</span>
            <select value={plan} onChange={(e) => setPlan(e.target.value)} aria-label="Plan">
              <option value="free">free</option>
              <option value="pro">pro</option>
              <option value="enterprise">enterprise (unknown: the default plan applies)</option>
            </select>
          </label>
          <label className="demo-check">
            <input type="checkbox" checked={signedIn} onChange={(e) => setSignedIn(e.target.checked)} /> Send the user signed in
          </label>
          <button type="button" className="demo-button" onClick={() => void open()}>
            Reload the marketplace
          </button>
        </div>
        {lastLoginRequired && !signedIn && (
          <div className="demo-error" role="alert">
            The marketplace asked this app to sign the user in.{' '}
            <button type="button" className="demo-button primary" onClick={() => setSignedIn(true)}>
              Sign in
            </button>
          </div>
        )}
        {error && (
          <p className="demo-error" role="alert">
            {error}
          </p>
        )}
      </section>
      <div className="demo-integrations">
        <div className="demo-market" ref={container} data-testid="marketplace-frame" />
        <section className="demo-card">
          <h2>Events from the iframe</h2>
          {events.length === 0 && <p className="demo-muted demo-small">None yet.</p>}
          <ul className="demo-log" aria-label="Marketplace events">
            {events.map((e, i) => (
              <li key={events.length - i}>
                <span className="demo-muted">{e.at}</span> <code>{e.id}</code>
                {e.message && <div className="demo-small">{e.message}</div>}
                {e.targetUrl && <div className="demo-muted demo-small">{new URL(e.targetUrl).pathname}</div>}
              </li>
            ))}
          </ul>
        </section>
      </div>
      <style>{`.demo-integrations { display: grid; grid-template-columns: 1fr 280px; gap: 16px; align-items: start; }
@media (max-width: 900px) { .demo-integrations { grid-template-columns: 1fr; } }`}</style>
    </main>
  );
}
