import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText, mp, type MpListing } from './api';
import { askConfirm } from '../../shared/askConfirm';
import { useHashRoute } from '../router';
import ListingEditor from './ListingEditor';
import { stepKinds } from './listingForm';

const base = '#/marketplace/listings';

/**
 * Listings: the catalog, and the editor of one listing (#/marketplace/listings/<id>, or /new) with
 * the same validation as the workspace file.
 */
export default function MarketplaceListings() {
  const [listings, setListings] = useState<MpListing[] | null>(null);
  const [error, setError] = useState('');
  const { match } = useHashRoute();
  const sub = (match?.rest ?? '').replace(/^\/listings\/?/, '');
  const routeId = sub ? decodeURIComponent(sub) : '';

  // The editor stays mounted when its own save moves the address (a new listing gets its id).
  const selfNav = useRef('');
  const [shown, setShown] = useState({ route: routeId, editor: routeId });
  if (shown.route !== routeId) {
    setShown({ route: routeId, editor: selfNav.current !== '' && selfNav.current === routeId ? shown.editor : routeId });
    selfNav.current = '';
  }
  const [goTo, setGoTo] = useState('');
  useEffect(() => {
    if (!goTo) return;
    selfNav.current = goTo;
    window.location.hash = `${base}/${encodeURIComponent(goTo)}`;
    setGoTo('');
  }, [goTo]);

  const load = useCallback(() => {
    mp.listings()
      .then((r) => setListings(r.listings))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function remove(l: MpListing) {
    if (!(await askConfirm({ title: `Delete listing ${l.name}?`, body: 'Existing installs stay until their users uninstall them.', confirm: 'Delete listing' }))) return;
    try {
      await mp.deleteListing(l.id);
      load();
    } catch (e) {
      setError(errorText(e));
    }
  }

  const categories = [...new Set((listings ?? []).map((l) => l.category).filter(Boolean))].sort();

  if (shown.editor) {
    const isNew = shown.editor === 'new';
    const original = isNew ? null : listings?.find((l) => l.id === shown.editor);
    return (
      <section className="mpc-section">
        <a href={base} className="lf-back">← All listings</a>
        {error && <div className="notice notice-error" role="alert">{error}</div>}
        {listings === null ? (
          <p className="muted">Loading…</p>
        ) : original === undefined ? (
          <div className="notice notice-error" role="alert">No listing {shown.editor} in the catalog.</div>
        ) : (
          <ListingEditor
            key={shown.editor}
            original={original}
            categories={categories}
            onClose={() => (window.location.hash = base)}
            onSaved={(l, prev) => {
              setListings((all) => [...(all ?? []).filter((x) => x.id !== l.id && x.id !== prev), l]);
              load();
              if (l.id !== routeId) setGoTo(l.id);
            }}
          />
        )}
      </section>
    );
  }

  return (
    <section className="mpc-section">
      <div className="mpc-row" style={{ justifyContent: 'space-between', marginBottom: 10 }}>
        <p className="muted" style={{ margin: 0 }}>
          What end users browse and install. Each listing has a form editor, and its JSON under Advanced.
        </p>
        <a className="button button-primary" href={`${base}/new`}>New listing</a>
      </div>
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      {listings === null ? (
        <p className="muted">Loading…</p>
      ) : listings.length === 0 ? (
        <p className="muted">The catalog is empty.</p>
      ) : (
        <div className="lf-table-scroll">
        <table className="mpc-table">
          <thead>
            <tr><th /><th>Listing</th><th className="lf-wide">Category</th><th className="lf-wide">Config fields</th><th className="lf-wide">Workflow</th><th /></tr>
          </thead>
          <tbody>
            {listings.map((l) => (
              <tr key={l.id} data-listing={l.id}>
                <td>{l.logo && /^(https?:|data:image\/|\/)/.test(l.logo) ? <img src={l.logo} alt="" width={28} height={28} style={{ borderRadius: 7 }} /> : l.logo}</td>
                <td>
                  <strong>{l.name}</strong> <span className="mpc-mono muted">{l.id}</span>
                  <div className="muted">{l.summary}</div>
                </td>
                <td className="lf-wide">{l.category}</td>
                <td className="lf-wide">{(l.config_fields ?? []).map((f) => f.name + (f.secret ? ' (secret)' : '')).join(', ') || '—'}</td>
                <td className="lf-wide">{l.workflow.map((s) => stepKinds.find((k) => k.kind === s.kind)?.label ?? s.kind).join(' → ')}</td>
                <td><div className="mpc-row mpc-nowrap lf-row-actions">
                  <a className="button" href={`/marketplace/listing/${encodeURIComponent(l.id)}`} target="_blank" rel="noopener noreferrer">Preview</a>
                  <a className="button" href={`${base}/${encodeURIComponent(l.id)}`}>Edit</a>
                  <button type="button" className="button button-danger" onClick={() => void remove(l)}>Delete</button>
                </div></td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
