import { useCallback, useEffect, useState } from 'react';
import { api, type Install, type Listing, type Prefill } from './api';
import type { Ctx } from './App';
import { Markdown } from './markdown';
import { errorText, Logo, planBlock, StatusBadge } from './ui';
import { listingUrl } from './events';
import Wizard from './Wizard';

export default function ListingPage({ ctx, id }: { ctx: Ctx; id: string }) {
  const [listing, setListing] = useState<Listing | null>(null);
  const [prefill, setPrefill] = useState<Prefill | undefined>();
  const [mine, setMine] = useState<Install[]>([]);
  const [error, setError] = useState('');
  const [wizard, setWizard] = useState(false);
  const [asked, setAsked] = useState(false);
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

  const blocked = ctx.me ? planBlock(ctx.me.plan, ctx.me.usage) : '';
  const upgrade = () => {
    if (!ctx.me) return;
    ctx.events.emit('upgrade_requested', listingUrl(listing.id), ctx.me.plan.upgrade_message, { listing: listing.id, plan: ctx.me.plan.name });
    setAsked(true);
  };
  const install = () => {
    if (blocked) return;
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
          <button type="button" className="mp-button mp-button-primary" onClick={install} disabled={!!blocked}
            aria-describedby={blocked ? 'mp-plan-block' : undefined}>
            {mine.some((i) => i.status === 'installed') ? 'Install again' : 'Install'}
          </button>
        )}
      </header>
      {ctx.me && !wizard && <PlanNotice ctx={ctx} blocked={blocked} asked={asked} onUpgrade={upgrade} />}
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

/** What the end user's plan allows, before any form; when it stops an install, why, and Upgrade. */
function PlanNotice({ ctx, blocked, asked, onUpgrade }: { ctx: Ctx; blocked: string; asked: boolean; onUpgrade: () => void }) {
  const { plan, usage } = ctx.me!;
  const parts = [
    plan.max_integrations > 0 ? `up to ${plan.max_integrations} integration${plan.max_integrations === 1 ? '' : 's'} (you have ${usage.integrations})` : 'any number of integrations',
    plan.max_transactions > 0 ? `${plan.max_transactions} records a month (${usage.transactions} used)` : 'unlimited records',
  ];
  if (!plan.allowed_actions.includes('customize')) parts.push('preset settings');
  return (
    <div className={`mp-plan ${blocked ? 'mp-plan-blocked' : ''}`} data-testid="plan-notice" role={blocked ? 'status' : undefined}>
      <div>
        <strong>Your {plan.name} plan</strong> allows {parts.join(', ')}.
      </div>
      {blocked && (
        <div className="mp-plan-block">
          <p id="mp-plan-block">{blocked} {plan.upgrade_message}</p>
          {asked ? (
            <p className="mp-muted" role="status">We have passed your upgrade request on.</p>
          ) : (
            <button type="button" className="mp-button mp-button-primary" onClick={onUpgrade}>Upgrade</button>
          )}
        </div>
      )}
    </div>
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
