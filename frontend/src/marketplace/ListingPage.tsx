import { useCallback, useEffect, useState } from 'react';
import { api, type Install, type Listing, type Prefill } from './api';
import type { Ctx } from './App';
import { Markdown } from './markdown';
import { errorText, Logo, StatusBadge } from './ui';
import Wizard from './Wizard';

export default function ListingPage({ ctx, id }: { ctx: Ctx; id: string }) {
  const [listing, setListing] = useState<Listing | null>(null);
  const [prefill, setPrefill] = useState<Prefill | undefined>();
  const [mine, setMine] = useState<Install[]>([]);
  const [error, setError] = useState('');
  const [wizard, setWizard] = useState(false);
  const loggedIn = !!ctx.me;

  const loadMine = useCallback(async () => {
    if (!loggedIn) return setMine([]);
    const r = await api.installs();
    setMine(r.installs.filter((i) => i.listing_id === id));
  }, [id, loggedIn]);

  useEffect(() => {
    api
      .listing(id)
      .then((r) => {
        setListing(r.listing);
        setPrefill(r.prefill);
      })
      .catch((e: unknown) => setError(errorText(e)));
    loadMine().catch((e: unknown) => setError(errorText(e)));
  }, [id, loadMine]);

  if (error) {
    return (
      <div>
        <BackLink ctx={ctx} />
        <div className="mp-alert mp-alert-error" role="alert">{error}</div>
      </div>
    );
  }
  if (!listing) return <p className="mp-muted" role="status">Loading…</p>;

  const install = () => {
    if (!loggedIn) {
      ctx.loginRequired(listing.id);
      return;
    }
    setWizard(true);
  };

  return (
    <article className="mp-listing" data-listing={listing.id}>
      <BackLink ctx={ctx} />
      <header className="mp-listing-head">
        <Logo src={listing.logo} name={listing.name} size={64} />
        <div className="mp-listing-title">
          <h1>{listing.name}</h1>
          <div className="mp-muted">
            {listing.category}
            {listing.connector_id && <span className="mp-connector"> · {listing.connector_id}</span>}
          </div>
          <p className="mp-listing-summary">{listing.summary}</p>
        </div>
        {!wizard && (
          <button type="button" className="mp-button mp-button-primary" onClick={install}>
            {mine.some((i) => i.status === 'installed') ? 'Install again' : 'Install'}
          </button>
        )}
      </header>
      {wizard && ctx.me && (
        <Wizard
          ctx={ctx}
          listing={listing}
          prefill={prefill}
          onClose={() => setWizard(false)}
          onDone={() => {
            void loadMine();
            void ctx.refreshMe();
          }}
        />
      )}
      {mine.length > 0 && (
        <section className="mp-panel">
          <h2>Your installs</h2>
          <ul className="mp-mini-list">
            {mine.map((i) => (
              <li key={i.id}>
                <span>{i.name}</span> <StatusBadge status={i.status} enabled={i.enabled} />
              </li>
            ))}
          </ul>
          <a
            href="/marketplace/installed"
            onClick={(e) => {
              e.preventDefault();
              ctx.go({ view: 'installed' });
            }}
          >
            Manage installed integrations
          </a>
        </section>
      )}
      <div className="mp-listing-body">
        <Markdown source={listing.description} className="mp-markdown" />
        <aside className="mp-panel mp-how">
          <h2>What installing does</h2>
          <ol>
            {listing.steps.map((s, i) => (
              <li key={i}>{s.name}</li>
            ))}
          </ol>
          {listing.config_fields.length > 0 && (
            <>
              <h2>You will be asked for</h2>
              <ul>
                {listing.config_fields.map((f) => (
                  <li key={f.name}>
                    {f.label}
                    {f.required ? '' : ' (optional)'}
                  </li>
                ))}
              </ul>
            </>
          )}
        </aside>
      </div>
    </article>
  );
}

function BackLink({ ctx }: { ctx: Ctx }) {
  return (
    <a
      className="mp-back"
      href="/marketplace"
      onClick={(e) => {
        e.preventDefault();
        ctx.go({ view: 'catalog' });
      }}
    >
      ← All integrations
    </a>
  );
}
