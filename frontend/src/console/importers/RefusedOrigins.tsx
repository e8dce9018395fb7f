// Console: "Origins recently refused" on an importer's page — host pages that asked to embed this
// importer (the SDK's GET /api/v1/embed/check) and were not allowed, with "Allow this origin", which
// adds the origin to settings.allowed_origins through the importer save path
// (POST /api/admin/importers/{slug}/refused-origins/allow).
import { useCallback, useEffect, useState } from 'react';
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';
import type { Importer } from './model';
import { When } from '../../shared/When';

type RefusedOrigin = components['schemas']['RefusedOrigin'];
type RefusedList = components['schemas']['RefusedOrigins'];

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));


export default function RefusedOrigins({ slug, onAllowed }: { slug: string; onAllowed: (imp: Importer, origin: string) => void }) {
  const [list, setList] = useState<RefusedOrigin[] | null>(null);
  const [loopback, setLoopback] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  const [done, setDone] = useState('');

  const load = useCallback(() => {
    let stale = false;
    api.get<RefusedList>(`/api/admin/importers/${encodeURIComponent(slug)}/refused-origins`).then(
      (r) => {
        if (stale) return;
        setList(r.origins ?? []);
        setLoopback(!!r.loopback_only);
        setError('');
      },
      (e: unknown) => !stale && setError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [slug]);
  useEffect(load, [load]);

  async function allow(origin: string) {
    setBusy(origin);
    setError('');
    setDone('');
    try {
      const out = await api.post<{ importer: Importer; origins: RefusedOrigin[] }>(
        `/api/admin/importers/${encodeURIComponent(slug)}/refused-origins/allow`,
        { origin },
      );
      setList(out.origins ?? []);
      setDone(`${origin} may now embed this importer (added to settings.allowed_origins).`);
      onAllowed(out.importer, origin);
    } catch (e) {
      setError(`Could not allow ${origin}: ${errMessage(e)}`);
    } finally {
      setBusy('');
    }
  }

  return (
    <section className="card ied-card ied-refused" aria-labelledby="ied-refused-title">
      <div className="ied-refused-head">
        <h2 id="ied-refused-title">Origins recently refused</h2>
        <button type="button" className="button small" onClick={() => load()}>Refresh</button>
      </div>
      <p className="muted ied-refused-intro">
        Host pages that tried to embed this importer from an origin that is not allowed. Allow one to add it to this
        importer's allowed origins; a publishable key's origins (Keys &amp; Sessions) work too. Any page can claim
        an origin here, so allow only origins you know are your own.
        {loopback && ' This server listens on loopback only: pages on http://localhost and http://127.0.0.1 (any port) need no setup.'}
      </p>
      {done && <div className="notice ied-refused-done" role="status">{done}</div>}
      {error && <div className="notice notice-error" role="alert">{error}</div>}
      {list === null && !error && <p className="muted">Loading…</p>}
      {list && list.length === 0 && <p className="muted" data-testid="refused-none">No page has been refused lately.</p>}
      {list && list.length > 0 && (
        <table className="imp-table ied-refused-table" aria-label="Origins recently refused">
          <thead>
            <tr>
              <th scope="col">Origin</th>
              <th scope="col">Refused</th>
              <th scope="col">Last seen</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.map((ro) => (
              <tr key={ro.origin} data-origin={ro.origin}>
                <td><code>{ro.origin}</code></td>
                <td>{ro.count === 1 ? 'once' : `${ro.count.toLocaleString('en-US')} times`}</td>
                <td><When iso={ro.last_seen} /></td>
                <td className="ied-refused-action">
                  <button
                    type="button"
                    className="button primary small"
                    disabled={busy !== ''}
                    aria-label={`Allow this origin: ${ro.origin}`}
                    onClick={() => allow(ro.origin)}
                  >
                    {busy === ro.origin ? 'Allowing…' : 'Allow this origin'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
