import { useCallback, useEffect, useState } from 'react';
import { errorText, mp, type MpConfigField, type MpListing } from './api';
import { askConfirm } from '../../shared/askConfirm';
import { useUnsavedGuard } from '../useUnsavedGuard';

/** A new listing's starting text (the server fills the config field's omitted keys). */
const template: Omit<MpListing, 'config_fields'> & { config_fields: Pick<MpConfigField, 'name' | 'label' | 'type' | 'required' | 'default'>[] } = {
  id: 'new-listing',
  name: 'New listing',
  category: 'Developer tools',
  logo: '',
  summary: 'One line about what it does.',
  description: '## What it does\n\nMarkdown: **bold**, *italic*, lists, `code`, [links](https://example.com).',
  connector_id: '',
  config_fields: [{ name: 'endpoint', label: 'Endpoint name', type: 'text', required: true, default: 'my-endpoint' }],
  workflow: [
    { kind: 'http_request', name: 'Test the connection', method: 'POST', url: '{{fusebox.base_url}}/sink/{{config.endpoint}}', body: { hello: '{{user.externalId}}' } },
    { kind: 'relay_route', name: 'Create the route', url: '{{fusebox.base_url}}/sink/{{config.endpoint}}' },
    { kind: 'notify', name: 'Done', message: 'Connected to {{config.endpoint}}.' },
  ],
};

/** Listings: the catalog, each edited as JSON with the same validation as the workspace file. */
export default function MarketplaceListings() {
  const [listings, setListings] = useState<MpListing[] | null>(null);
  const [editing, setEditing] = useState<{ original: string; text: string; loaded?: string } | null>(null);
  useUnsavedGuard(!!editing && editing.text !== (editing.loaded ?? editing.text), 'this listing');
  const [error, setError] = useState('');

  const load = useCallback(() => {
    mp.listings()
      .then((r) => setListings(r.listings))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function save() {
    if (!editing) return;
    setError('');
    let l: MpListing;
    try {
      l = JSON.parse(editing.text) as MpListing;
    } catch (e) {
      setError(`The listing is not valid JSON: ${errorText(e)}`);
      return;
    }
    try {
      await mp.saveListing(l);
      if (editing.original && editing.original !== l.id) await mp.deleteListing(editing.original);
      setEditing(null);
      load();
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function remove(l: MpListing) {
    if (!(await askConfirm({ title: `Delete listing ${l.name}?`, body: 'Existing installs stay until their users uninstall them.', confirm: 'Delete listing' }))) return;
    try {
      await mp.deleteListing(l.id);
      load();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <section className="mpc-section">
      <div className="mpc-row" style={{ justifyContent: 'space-between', marginBottom: 10 }}>
        <p className="muted" style={{ margin: 0 }}>
          Workflow steps: <code>http_request</code>, <code>relay_route</code>, <code>notify</code>. Placeholders:{' '}
          <code>{'{{config.FIELD}}'}</code>, <code>{'{{user.externalId}}'}</code>, <code>{'{{fusebox.base_url}}'}</code>…
        </p>
        <button type="button" className="button" onClick={() => setEditing({ original: '', text: JSON.stringify(template, null, 2), loaded: JSON.stringify(template, null, 2) })}>
          New listing
        </button>
      </div>
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      {editing && (
        <div className="card mpc-section">
          <h2>{editing.original ? `Edit ${editing.original}` : 'New listing'}</h2>
          <textarea
            className="mpc-input mpc-editor"
            aria-label="Listing JSON"
            spellCheck={false}
            value={editing.text}
            onChange={(e) => setEditing({ ...editing, text: e.target.value })}
          />
          <div className="mpc-row" style={{ marginTop: 10 }}>
            <button type="button" className="button button-primary" onClick={() => void save()}>Save listing</button>
            <button type="button" className="button" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </div>
      )}
      {listings === null ? (
        <p className="muted">Loading…</p>
      ) : listings.length === 0 ? (
        <p className="muted">The catalog is empty.</p>
      ) : (
        <table className="mpc-table">
          <thead>
            <tr><th /><th>Listing</th><th>Category</th><th>Config fields</th><th>Workflow</th><th /></tr>
          </thead>
          <tbody>
            {listings.map((l) => (
              <tr key={l.id} data-listing={l.id}>
                <td>{l.logo && /^(https?:|data:image\/|\/)/.test(l.logo) ? <img src={l.logo} alt="" width={28} height={28} style={{ borderRadius: 7 }} /> : l.logo}</td>
                <td>
                  <strong>{l.name}</strong> <span className="mpc-mono muted">{l.id}</span>
                  <div className="muted">{l.summary}</div>
                </td>
                <td>{l.category}</td>
                <td>{(l.config_fields ?? []).map((f) => f.name + (f.secret ? ' (secret)' : '')).join(', ') || '—'}</td>
                <td>{l.workflow.map((s) => s.kind).join(' → ')}</td>
                <td><div className="mpc-row mpc-nowrap">
                  <a className="button" href={`/marketplace/listing/${encodeURIComponent(l.id)}`} target="_blank" rel="noopener noreferrer">Preview</a>
                  <button type="button" className="button" onClick={() => setEditing({ original: l.id, text: JSON.stringify(l, null, 2), loaded: JSON.stringify(l, null, 2) })}>Edit</button>
                  <button type="button" className="button button-danger" onClick={() => void remove(l)}>Delete</button>
                </div></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
