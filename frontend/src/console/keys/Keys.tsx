import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { LoadError, PageHeader } from '../components';
import { Pager, type Page } from '../../shared/table';
import { compactJSON, splitList } from '../format';
import {
  createKey,
  deactivateKey,
  listKeys,
  listSessions,
  revokeSession,
  type ApiKey,
  type CreatedKey,
  type KeyKind,
  type Session,
  type SessionStatus,
} from './api';
import './Keys.css';
import { When } from '../../shared/When';

export default function Keys() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [reload, setReload] = useState(0);
  const refresh = useCallback(() => setReload((n) => n + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    listKeys(ctl.signal).then(
      (r) => {
        setKeys(r.data);
        setError(null);
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return () => ctl.abort();
  }, [reload]);

  const names = useMemo(() => new Map((keys ?? []).map((k) => [k.id, k.name])), [keys]);

  return (
    <>
      <PageHeader
        title="Keys & Sessions"
        subtitle="API keys for host app backends, and the importer sessions they issue."
        actions={<button type="button" className="button" onClick={refresh}>Refresh</button>}
      />
      {error && <LoadError error={error} onRetry={refresh} what="API keys" />}
      <KeysSection keys={keys} onChanged={refresh} />
      <SessionsSection keyNames={names} reload={reload} />
    </>
  );
}

function KeysSection({ keys, onChanged }: { keys: ApiKey[] | null; onChanged: () => void }) {
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);

  return (
    <section className="ks-section" aria-labelledby="keys-heading">
      <div className="ks-section-head">
        <div>
          <h2 id="keys-heading">API keys</h2>
          <p className="muted">
            Secret keys (<code>fbx_sk_…</code>) stay on your servers. Publishable keys (<code>fbx_pk_…</code>) only create
            importer sessions, from the browser origins and for the importers listed on them.
          </p>
        </div>
        {!creating && !created && (
          <button type="button" className="button ks-primary" onClick={() => setCreating(true)}>
            Create key
          </button>
        )}
      </div>

      {created && (
        <RevealKey
          created={created}
          onDone={() => {
            setCreated(null);
          }}
        />
      )}
      {creating && (
        <CreateKeyForm
          onCancel={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            setCreated(k);
            onChanged();
          }}
        />
      )}

      {keys === null ? (
        <p className="muted" role="status">Loading keys…</p>
      ) : keys.length === 0 ? (
        <p className="ks-empty">
          No API keys yet. Create one here or with <code>fusebox keys create --name NAME --kind secret</code>.
        </p>
      ) : (
        <KeysTable keys={keys} onChanged={onChanged} />
      )}
    </section>
  );
}

function CreateKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (k: CreatedKey) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<KeyKind>('secret');
  const [importers, setImporters] = useState('*');
  const [origins, setOrigins] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const k = await createKey({
        name,
        kind,
        importers: kind === 'publishable' ? splitList(importers) : [],
        origins: kind === 'publishable' ? splitList(origins) : [],
      });
      onCreated(k);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card ks-form" onSubmit={submit} aria-label="Create API key">
      <label className="ks-field">
        <span>Name</span>
        <input
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. billing backend"
          required
          autoFocus
        />
      </label>
      <fieldset className="ks-field ks-kinds">
        <legend>Kind</legend>
        <label>
          <input type="radio" name="kind" value="secret" checked={kind === 'secret'} onChange={() => setKind('secret')} />
          Secret — for your backend; may call every <code>/api/v1</code> route
        </label>
        <label>
          <input
            type="radio"
            name="kind"
            value="publishable"
            checked={kind === 'publishable'}
            onChange={() => setKind('publishable')}
          />
          Publishable — in a browser page; only creates importer sessions
        </label>
      </fieldset>
      {kind === 'publishable' && (
        <>
          <div className="notice notice-warn ks-warning">
            A publishable key is visible to anyone who can open the page. Use client-side sessions only for trusted
            internal tools and testing.
          </div>
          <label className="ks-field">
            <span>Importers</span>
            <input
              name="importers"
              value={importers}
              onChange={(e) => setImporters(e.target.value)}
              placeholder="contacts, orders (or * for all)"
            />
          </label>
          <label className="ks-field">
            <span>Origins</span>
            <input
              name="origins"
              value={origins}
              onChange={(e) => setOrigins(e.target.value)}
              placeholder="https://admin.example.com, http://localhost:*"
            />
            <small className="muted">
              Exact origins; a loopback host may take any port (<code>http://localhost:*</code>).
            </small>
          </label>
        </>
      )}
      {error && (
        <p className="ks-form-error" role="alert">
          {error}
        </p>
      )}
      <div className="ks-actions">
        <button type="submit" className="button ks-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Clipboard API refused (permissions): fall back to selecting the text.
  }
  if (input) {
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
  return false;
}

function RevealKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'' | 'yes' | 'no'>('');

  return (
    <div className="card ks-reveal" role="region" aria-label="New API key">
      <strong>
        Copy your new {created.kind} key “{created.name}” now. It is stored only as a hash and will not be shown again.
      </strong>
      <div className="ks-reveal-row">
        <input
          ref={input}
          className="ks-secret"
          readOnly
          value={created.secret}
          aria-label="New API key"
          data-testid="new-key"
          onFocus={(e) => e.target.select()}
        />
        <button
          type="button"
          className="button ks-primary"
          onClick={async () => setCopied((await copyText(created.secret, input.current)) ? 'yes' : 'no')}
        >
          Copy
        </button>
      </div>
      <p className="muted ks-copied" aria-live="polite">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'Select the key and copy it by hand.' : ''}
      </p>
      <button type="button" className="button" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}

function KeysTable({ keys, onChanged }: { keys: ApiKey[]; onChanged: () => void }) {
  const [confirming, setConfirming] = useState('');
  const [error, setError] = useState('');

  async function deactivate(id: string) {
    setError('');
    try {
      await deactivateKey(id);
      setConfirming('');
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <>
      {error && (
        <p className="ks-form-error" role="alert">
          {error}
        </p>
      )}
      <table className="ks-table" aria-label="API keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Key</th>
            <th>Scope</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Status</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-key-id={k.id} className={k.active ? '' : 'ks-inactive'}>
              <td>{k.name}</td>
              <td>
                <span className={`ks-badge ks-kind-${k.kind}`}>{k.kind}</span>
              </td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td className="ks-scope">
                {k.kind === 'secret' ? (
                  <span className="muted">all importers · servers</span>
                ) : (
                  <>
                    <div>{k.importers.includes('*') ? 'all importers' : k.importers.join(', ')}</div>
                    <div className="muted">{k.origins.join(', ')}</div>
                  </>
                )}
              </td>
              <td className="ks-when"><When iso={k.created_at} /></td>
              <td className="ks-when">{k.last_used_at ? <When iso={k.last_used_at} /> : <span className="muted">never</span>}</td>
              <td>
                <span className={`ks-badge ks-status-${k.active ? 'active' : 'revoked'}`}>
                  {k.active ? 'active' : 'deactivated'}
                </span>
              </td>
              <td className="ks-row-actions">
                {k.active &&
                  (confirming === k.id ? (
                    <>
                      <button type="button" className="button ks-danger" onClick={() => deactivate(k.id)}>
                        Yes, deactivate
                      </button>
                      <button type="button" className="button" onClick={() => setConfirming('')}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button type="button" className="button" onClick={() => setConfirming(k.id)}>
                      Deactivate
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const statusOptions: { value: SessionStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'expired', label: 'Expired' },
  { value: 'revoked', label: 'Revoked' },
];

function SessionsSection({ keyNames, reload }: { keyNames: Map<string, string>; reload: number }) {
  const [status, setStatus] = useState<SessionStatus | ''>('');
  const [importer, setImporter] = useState('');
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<Session> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [own, setOwn] = useState(0);
  const [actionError, setActionError] = useState('');

  useEffect(() => {
    const ctl = new AbortController();
    listSessions({ status, importer: importer.trim(), page }, ctl.signal).then(
      (r) => {
        setData(r);
        setError(null);
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return () => ctl.abort();
  }, [status, importer, page, reload, own]);

  async function revoke(id: string) {
    setActionError('');
    try {
      await revokeSession(id);
      setOwn((n) => n + 1);
    } catch (err) {
      setActionError(err instanceof Error ? err.message : String(err));
    }
  }

  const p = data?.pagination;
  return (
    <section className="ks-section" aria-labelledby="sessions-heading">
      <div className="ks-section-head">
        <div>
          <h2 id="sessions-heading">Sessions</h2>
          <p className="muted">
            Importer sessions issued with <code>POST /api/v1/importer/sessions</code>. Revoking one stops its token at once.
          </p>
        </div>
      </div>
      <div className="ks-filters">
        <label>
          Status{' '}
          <select
            aria-label="Session status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as SessionStatus | '');
              setPage(1);
            }}
          >
            {statusOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Importer{' '}
          <input
            aria-label="Session importer"
            value={importer}
            placeholder="any"
            onChange={(e) => {
              setImporter(e.target.value);
              setPage(1);
            }}
          />
        </label>
      </div>
      {error && <LoadError error={error} onRetry={() => setOwn((n) => n + 1)} what="sessions" />}
      {actionError && (
        <p className="ks-form-error" role="alert">
          {actionError}
        </p>
      )}
      {!data && !error && <p className="muted" role="status">Loading sessions…</p>}
      {data && data.data.length === 0 && (
        <p className="ks-empty">
          {status || importer ? 'No sessions match these filters.' : 'No sessions yet. Host apps create them with a secret key.'}
        </p>
      )}
      {data && data.data.length > 0 && (
        <table className="ks-table" aria-label="Sessions">
          <thead>
            <tr>
              <th>Session</th>
              <th>Importer</th>
              <th>Metadata</th>
              <th>Origin</th>
              <th>Key</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Status</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {data.data.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td>
                  <code className="ks-json ks-id" title={s.id}>
                    {s.id}
                  </code>
                </td>
                <td className="ks-when">{s.importer_slug}</td>
                <td>
                  <code className="ks-json">{compactJSON(s.metadata)}</code>
                </td>
                <td>{s.origin || <span className="muted">server</span>}</td>
                <td>{s.key_id ? keyNames.get(s.key_id) ?? s.key_id : <span className="muted">console / CLI</span>}</td>
                <td className="ks-when"><When iso={s.created_at} /></td>
                <td className="ks-when"><When iso={s.expires_at} /></td>
                <td>
                  <span className={`ks-badge ks-status-${s.status}`}>{s.status}</span>
                </td>
                <td className="ks-row-actions">
                  {s.status === 'active' && (
                    <button type="button" className="button" onClick={() => revoke(s.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p && p.total_count > 0 && (
        <Pager pagination={p} noun="session" onPage={setPage} />
      )}
    </section>
  );
}
