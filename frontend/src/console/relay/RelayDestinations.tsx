import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { navigate } from '../router';
import { relayApi, type DestinationView, type Preview } from './api';
import { getCharts, type DestinationHealth } from '../dashboard/api';
import { Sparkline, percent } from '../dashboard/charts';
import {
  destinationFromForm, emptyForm, formFromDestination, sampleRecord, statusTone,
  type DestinationForm, type Pair,
} from './model';
import { askConfirm } from '../../shared/askConfirm';
import { useUnsavedGuard } from '../useUnsavedGuard';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function ErrorBox({ error }: { error: string }) {
  return error ? <p className="rly-error" role="alert">{error}</p> : null;
}

export function Pill({ status }: { status: string }) {
  return <span className={`rly-pill ${statusTone(status)}`}>{status}</span>;
}

function sourceOf(v: DestinationView): string {
  const d = v.destination;
  const parts: string[] = [];
  if (v.origin === 'marketplace') parts.push(`marketplace user ${v.owner_id}`);
  if (d.importer) parts.push(`imports of ${d.importer}`);
  if (d.inbound) parts.push(`POST /relay/${d.inbound.route}`);
  return parts.join(' · ') || '—';
}

/** The destinations table. */
export function DestinationList() {
  const [list, setList] = useState<DestinationView[] | null>(null);
  const [error, setError] = useState('');
  const [health, setHealth] = useState<Record<string, DestinationHealth>>({});
  const load = useCallback(() => {
    relayApi.destinations().then(setList, (e) => setError(message(e)));
    // The last 30 days per destination (the dashboard's delivery health); the list shows without it.
    getCharts({}).then(
      (c) => setHealth(Object.fromEntries(c.deliveries.destinations.map((d) => [d.id, d]))),
      () => setHealth({}),
    );
  }, []);
  useEffect(load, [load]);

  const toggle = async (v: DestinationView) => {
    setError('');
    try {
      await relayApi.setEnabled(v.destination.id, !v.enabled);
      load();
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <section>
      <div className="rly-row rly-toolbar">
        <a className="button button-primary" href="#/relay/destinations/new">New destination</a>
        <button className="button" onClick={load}>Refresh</button>
      </div>
      <ErrorBox error={error} />
      {list && list.length === 0 && (
        <p className="rly-muted">
          No destinations yet. Add one here or in the workspace file under <code>destinations:</code>; every submitted import of its
          importer is delivered to it.
        </p>
      )}
      {list && list.length > 0 && (
        <table className="rly-table">
          <thead>
            <tr>
              <th>Destination</th>
              <th>Receives</th>
              <th>Sends to</th>
              <th>Secrets</th>
              <th>Deliveries</th>
              <th>Last 30 days</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => {
              const d = v.destination;
              const failed = (v.counts.failed ?? 0) + (v.counts.dead ?? 0);
              return (
                <tr key={d.id} data-id={d.id}>
                  <td>
                    <a href={`#/relay/destinations/${encodeURIComponent(d.id)}`}>{d.id}</a>
                    <div className="rly-muted">{d.send === 'status' ? 'status events' : `batch ${d.batch === 0 ? '0 (one per record)' : d.batch}`}</div>
                  </td>
                  <td>{sourceOf(v)}</td>
                  <td className="rly-mono rly-break">{(d.method || 'POST') + ' ' + d.url}</td>
                  <td>
                    {v.secrets.length === 0 && <span className="rly-muted">none</span>}
                    {v.secrets.map((s) => (
                      <div key={s.name} className="rly-mono" title={s.set ? 'set in the environment' : 'not set in the environment'}>
                        {s.set ? '✓' : '✗'} {s.name}
                      </div>
                    ))}
                  </td>
                  <td>
                    <a href={`#/relay/deliveries?destination=${encodeURIComponent(d.id)}`} className="rly-counts">
                      <span>{v.counts.delivered ?? 0} delivered</span>
                      {(v.counts.pending ?? 0) + v.pending_jobs > 0 && <span>{v.counts.pending ?? 0} pending{v.pending_jobs ? ` (+${v.pending_jobs} imports)` : ''}</span>}
                      {failed > 0 && <span className="rly-bad">{failed} failed</span>}
                      {(v.counts.discarded ?? 0) > 0 && <span>{v.counts.discarded} discarded</span>}
                      {(v.counts.held ?? 0) > 0 && <span>{v.counts.held} held</span>}
                    </a>
                  </td>
                  <td className="rly-health" data-col="health">
                    {health[d.id] ? (
                      <>
                        <Sparkline ok={health[d.id].delivered_per_day} failed={health[d.id].failed_per_day} label={d.id} />
                        <div className="rly-muted">
                          <span data-col="success_rate">{percent(health[d.id].success_rate)}</span> ok
                          {health[d.id].latency_n > 0 && <> · p50 {health[d.id].p50_ms} ms · p95 {health[d.id].p95_ms} ms</>}
                        </div>
                        {health[d.id].last_error && <div className="rly-bad rly-break" title={health[d.id].last_error_at}>{health[d.id].last_error}</div>}
                      </>
                    ) : <span className="rly-muted">—</span>}
                  </td>
                  <td>
                    <Pill status={v.enabled ? 'enabled' : 'disabled'} />
                    {v.disabled_reason && <div className="rly-muted">{v.disabled_reason}</div>}
                    <div>
                      <button className="button rly-small" onClick={() => toggle(v)} aria-label={`${v.enabled ? 'Disable' : 'Enable'} ${d.id}`}>
                        {v.enabled ? 'Disable' : 'Enable'}
                      </button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Field({ label, help, children }: { label: string; help?: ReactNode; children: ReactNode }) {
  return (
    <label className="rly-field">
      <span>{label}</span>
      {children}
      {help && <span className="rly-help">{help}</span>}
    </label>
  );
}

function PairsEditor({ label, help, pairs, onChange, keyLabel, valueLabel }: {
  label: string;
  help?: ReactNode;
  pairs: Pair[];
  onChange: (p: Pair[]) => void;
  keyLabel: string;
  valueLabel: string;
}) {
  const set = (i: number, p: Partial<Pair>) => onChange(pairs.map((x, j) => (j === i ? { ...x, ...p } : x)));
  return (
    <fieldset className="rly-pairs">
      <legend>{label}</legend>
      {help && <p className="rly-help">{help}</p>}
      {pairs.map((p, i) => (
        <div className="rly-pair" key={i}>
          <input aria-label={`${label} ${keyLabel} ${i + 1}`} placeholder={keyLabel} value={p.key} onChange={(e) => set(i, { key: e.target.value })} />
          <input aria-label={`${label} ${valueLabel} ${i + 1}`} placeholder={valueLabel} value={p.value} onChange={(e) => set(i, { value: e.target.value })} />
          <button type="button" className="button rly-small" aria-label={`Remove ${label} ${i + 1}`} onClick={() => onChange(pairs.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="button rly-small" onClick={() => onChange([...pairs, { key: '', value: '' }])}>
        Add
      </button>
    </fieldset>
  );
}

/** The editor of one destination ("new" creates), with the request preview. */
export function DestinationEditor({ id }: { id: string }) {
  const isNew = id === 'new';
  const [form, setForm] = useState<DestinationForm | null>(isNew ? emptyForm() : null);
  const [view, setView] = useState<DestinationView | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  // The form as last loaded or saved: edits since then are unsaved.
  const [baseline, setBaseline] = useState(() => (isNew ? JSON.stringify(emptyForm()) : ''));
  useUnsavedGuard(!!form && baseline !== JSON.stringify(form), `destination ${isNew ? '(new)' : id}`);
  useEffect(() => {
    if (isNew) return;
    relayApi.destination(id).then(
      (v) => {
        setView(v);
        const f = formFromDestination(v.destination);
        setForm(f);
        setBaseline(JSON.stringify(f));
      },
      (e) => setError(message(e)),
    );
  }, [id, isNew]);

  if (!form) {
    return (
      <section>
        <ErrorBox error={error} />
        {!error && <p className="rly-muted">Loading…</p>}
      </section>
    );
  }
  const readOnly = view?.origin === 'marketplace';
  const set = (p: Partial<DestinationForm>) => setForm({ ...form, ...p });
  const isStatus = form.send === 'status';

  const save = async () => {
    setError('');
    setSaved('');
    try {
      const d = destinationFromForm(form);
      const v = isNew ? await relayApi.create(d) : await relayApi.update(id, d);
      setView(v);
      setBaseline(JSON.stringify(form));
      setSaved(isNew ? 'Created.' : 'Saved.');
      if (isNew) navigate(`/relay/destinations/${encodeURIComponent(v.destination.id)}`);
    } catch (e) {
      setError(message(e));
    }
  };
  const remove = async () => {
    if (!(await askConfirm({ title: `Delete destination ${id}?`, body: 'Its deliveries and their attempt log are deleted with it.', confirm: 'Delete destination' }))) return;
    try {
      await relayApi.remove(id);
      navigate('/relay');
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <section className="rly-editor">
      <div className="rly-row rly-toolbar">
        <a href="#/relay" className="button">← Destinations</a>
        <h2>{isNew ? 'New destination' : id}</h2>
        {view && <Pill status={view.enabled ? 'enabled' : 'disabled'} />}
        {readOnly && <span className="rly-muted">made by a marketplace install; change it through the install</span>}
      </div>
      <div className="rly-two">
        <form className="rly-form" onSubmit={(e) => { e.preventDefault(); void save(); }}>
          <fieldset disabled={readOnly}>
            <div className="rly-grid">
              <Field label="ID"><input value={form.id} disabled={!isNew} onChange={(e) => set({ id: e.target.value })} required /></Field>
              <Field label="Importer" help="Every submitted import of this importer is delivered here.">
                <input value={form.importer} onChange={(e) => set({ importer: e.target.value })} placeholder="contacts" />
              </Field>
              <Field label="Sends">
                <select value={form.send} onChange={(e) => set({ send: e.target.value })}>
                  <option value="records">records</option>
                  <option value="status">import status events</option>
                </select>
              </Field>
              <Field label="Method">
                <select value={form.method} onChange={(e) => set({ method: e.target.value })}>
                  <option>POST</option><option>PUT</option><option>PATCH</option>
                </select>
              </Field>
            </div>
            <Field label="URL" help={<>Absolute, or a path on this server such as <code>/sink/demo</code>. May use {'{{ secret "NAME" }}'}.</>}>
              <input value={form.url} onChange={(e) => set({ url: e.target.value })} required placeholder="https://api.example.com/contacts" />
            </Field>
            <div className="rly-grid">
              {!isStatus && (
                <Field label="Batch" help="0 = one request per record, N = arrays of N, all = the whole import.">
                  <input value={form.batch} onChange={(e) => set({ batch: e.target.value })} />
                </Field>
              )}
              <Field label="Timeout" help="Default 10s."><input value={form.timeout} onChange={(e) => set({ timeout: e.target.value })} placeholder="10s" /></Field>
              <Field label="Concurrency" help="Requests in flight (default 4)."><input value={form.concurrency} onChange={(e) => set({ concurrency: e.target.value })} placeholder="4" /></Field>
              <Field label="Rate limit" help="e.g. 20/s, 600/m."><input value={form.rateLimit} onChange={(e) => set({ rateLimit: e.target.value })} /></Field>
              <Field label="Retry schedule" help="Delays before each retry; default 1s, 5s, 30s, 2m, 10m, 30m.">
                <input value={form.retry} onChange={(e) => set({ retry: e.target.value })} placeholder="1s, 5s, 30s, 2m" />
              </Field>
              <Field label="Signing secret" help="NAME of an environment variable (whsec_… or raw): Standard Webhooks signature.">
                <input value={form.signingSecret} onChange={(e) => set({ signingSecret: e.target.value })} placeholder="CRM_WEBHOOK_SECRET" />
              </Field>
            </div>
            <PairsEditor label="Headers" keyLabel="name" valueLabel="value" pairs={form.headers} onChange={(headers) => set({ headers })}
              help={<>Static headers. Secrets come from the environment at send time: <code>Bearer {'{{ secret "CRM_API_KEY" }}'}</code>.</>} />
            {!isStatus && (
              <>
                <PairsEditor label="Params" keyLabel="field" valueLabel="value" pairs={form.params} onChange={(params) => set({ params })}
                  help={<>Filled into every record: a constant, or {'{{ user_id }}'}, {'{{ user_group }}'}, {'{{ metadata.KEY }}'}, {'{{ file_name }}'}.</>} />
                <Field label="Query param fields" help="Fields moved from the body to the query; field or field:param.">
                  <input value={form.queryParamFields} onChange={(e) => set({ queryParamFields: e.target.value })} placeholder="user_id, team:team_id" />
                </Field>
                <PairsEditor label="Header fields" keyLabel="field" valueLabel="header" pairs={form.headerFields} onChange={(headerFields) => set({ headerFields })}
                  help="Fields moved from the body to headers." />
                <PairsEditor label="Map" keyLabel="field" valueLabel="path" pairs={form.map} onChange={(map) => set({ map })}
                  help={<>Flat fields into nested JSON: <code>email → contact.email</code>.</>} />
                <label className="rly-check">
                  <input type="checkbox" checked={form.keepUnmapped} onChange={(e) => set({ keepUnmapped: e.target.checked })} /> keep fields that are not mapped
                </label>
                <Field label="Session token field" help="Records whose importer session token is invalid are discarded, never sent.">
                  <input value={form.sessionTokenField} onChange={(e) => set({ sessionTokenField: e.target.value })} placeholder="session_token" />
                </Field>
                <fieldset className="rly-pairs">
                  <legend>Inbound relay</legend>
                  <label className="rly-check">
                    <input type="checkbox" checked={form.inbound} onChange={(e) => set({ inbound: e.target.checked })} /> accept records on POST /relay/&lt;route&gt;
                  </label>
                  {form.inbound && (
                    <div className="rly-grid">
                      <Field label="Route"><input value={form.inboundRoute} onChange={(e) => set({ inboundRoute: e.target.value })} /></Field>
                      <Field label="Caller secret" help="NAME of an env var; callers send Authorization: Bearer <value>.">
                        <input value={form.inboundSecret} onChange={(e) => set({ inboundSecret: e.target.value })} />
                      </Field>
                      <Field label="Allowed outbound URLs" help="One per line: bases a sender may pick with x-Osmos-Outbound-Url.">
                        <textarea rows={3} value={form.inboundAllowed} onChange={(e) => set({ inboundAllowed: e.target.value })} />
                      </Field>
                    </div>
                  )}
                </fieldset>
              </>
            )}
            <div className="rly-row">
              <button type="submit" className="button button-primary">{isNew ? 'Create' : 'Save'}</button>
              {!isNew && <button type="button" className="button rly-danger" onClick={remove}>Delete</button>}
              {saved && <span className="rly-ok" role="status">{saved}</span>}
            </div>
          </fieldset>
          <ErrorBox error={error} />
          {view && view.secrets.length > 0 && (
            <div className="rly-secrets">
              <h3>Secrets</h3>
              <p className="rly-help">Read from the environment of the Fusebox process at send time; never stored, never shown.</p>
              <ul>
                {view.secrets.map((s) => (
                  <li key={s.name} className="rly-mono">
                    {s.name}: {s.set ? <span className="rly-ok">set</span> : <span className="rly-bad">not set</span>}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </form>
        <PreviewPanel form={form} />
      </div>
    </section>
  );
}

/** Shows the exact outbound request for a sample record, secrets masked. */
export function PreviewPanel({ form }: { form: DestinationForm }) {
  const [sample, setSample] = useState(() => JSON.stringify(sampleRecord(form), null, 2));
  const [userID, setUserID] = useState('user-123');
  const [fileName, setFileName] = useState('contacts.csv');
  const [metadata, setMetadata] = useState('{"user_id": "user-123"}');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState('');

  const run = async () => {
    setError('');
    setPreview(null);
    let records: unknown;
    let md: Record<string, unknown>;
    try {
      records = JSON.parse(sample);
      md = metadata.trim() ? JSON.parse(metadata) : {};
    } catch (e) {
      setError(`The sample is not valid JSON: ${message(e)}`);
      return;
    }
    try {
      const d = destinationFromForm(form);
      if (!d.id) d.id = 'preview';
      setPreview(await relayApi.preview(d, records, { user_id: userID, file_name: fileName, metadata: md }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : message(e));
    }
  };

  return (
    <aside className="rly-preview" aria-label="Request preview">
      <h3>Preview the outbound request</h3>
      <Field label="Sample record (object or array)">
        <textarea rows={8} className="rly-mono" value={sample} onChange={(e) => setSample(e.target.value)} />
      </Field>
      <div className="rly-grid">
        <Field label="user_id"><input value={userID} onChange={(e) => setUserID(e.target.value)} /></Field>
        <Field label="file_name"><input value={fileName} onChange={(e) => setFileName(e.target.value)} /></Field>
      </div>
      <Field label="Session metadata (JSON)"><input className="rly-mono" value={metadata} onChange={(e) => setMetadata(e.target.value)} /></Field>
      <button type="button" className="button" onClick={run}>Preview</button>
      <ErrorBox error={error} />
      {preview && (
        <div className="rly-preview-out">
          {preview.problems.map((p) => (
            <p key={p} className="rly-warn">{p}</p>
          ))}
          {preview.requests.map((r, i) => (
            <div key={i} className="rly-request" data-testid="preview-request">
              <div className="rly-mono rly-break"><strong>{r.method}</strong> {r.url}</div>
              <table className="rly-headers">
                <tbody>
                  {r.headers.map(([k, v], j) => (
                    <tr key={j}><th>{k}</th><td className="rly-mono rly-break">{v}</td></tr>
                  ))}
                </tbody>
              </table>
              <pre className="rly-pre">{r.body}</pre>
            </div>
          ))}
          {preview.discarded.map((d, i) => (
            <div key={i} className="rly-warn">
              Discarded: {d.reason}
              <pre className="rly-pre">{d.record}</pre>
            </div>
          ))}
        </div>
      )}
    </aside>
  );
}
