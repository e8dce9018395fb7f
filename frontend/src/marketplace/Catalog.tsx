import { useEffect, useState } from 'react';
import { api, type Listing } from './api';
import type { Ctx } from './App';
import { listingUrl } from './events';
import { errorText, Logo } from './ui';

export default function Catalog({ ctx, categories }: { ctx: Ctx; categories: { name: string; count: number }[] }) {
  const [q, setQ] = useState('');
  const [category, setCategory] = useState('');
  const [listings, setListings] = useState<Listing[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    const t = window.setTimeout(() => {
      api
        .listings(q.trim(), category)
        .then((r) => live && (setListings(r.listings), setError('')))
        .catch((e: unknown) => live && setError(errorText(e)));
    }, q ? 200 : 0);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [q, category]);

  const open = (l: Listing) => {
    ctx.events.emit('user_listing_click', listingUrl(l.id), '');
    ctx.go({ view: 'listing', id: l.id });
  };

  const total = categories.reduce((n, c) => n + c.count, 0);
  return (
    <div className="mp-catalog">
      <aside className="mp-categories" aria-label="Categories">
        <h2 className="mp-side-title">Categories</h2>
        <ul>
          <li>
            <button type="button" className={category === '' ? 'active' : ''} onClick={() => setCategory('')}>
              All <span className="mp-count">{total}</span>
            </button>
          </li>
          {categories.map((c) => (
            <li key={c.name}>
              <button type="button" className={category === c.name ? 'active' : ''} onClick={() => setCategory(c.name)}>
                {c.name} <span className="mp-count">{c.count}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="mp-results">
        <div className="mp-search">
          <input
            type="search"
            placeholder="Search integrations"
            aria-label="Search integrations"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        {error && <div className="mp-alert mp-alert-error" role="alert">{error}</div>}
        {listings === null && !error && <p className="mp-muted" role="status">Loading…</p>}
        {listings?.length === 0 && (
          <p className="mp-empty">No integration matches{q ? ` “${q}”` : ''}{category ? ` in ${category}` : ''}.</p>
        )}
        <ul className="mp-grid">
          {listings?.map((l) => (
            <li key={l.id}>
              <a
                className="mp-card"
                href={`/marketplace/listing/${encodeURIComponent(l.id)}`}
                data-listing={l.id}
                onClick={(e) => {
                  e.preventDefault();
                  open(l);
                }}
              >
                <Logo src={l.logo} name={l.name} />
                <div className="mp-card-body">
                  <div className="mp-card-title">{l.name}</div>
                  {l.category && <div className="mp-card-category">{l.category}</div>}
                  <p className="mp-card-summary">{l.summary}</p>
                </div>
              </a>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
