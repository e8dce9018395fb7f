// The console's listing editor: a form for what the marketplace shows and runs (name, category,
// summary, an uploaded logo, the Markdown description beside the marketplace's own rendering of it,
// config fields and workflow steps), with the listing's JSON as an "Advanced (JSON)" tab that stays
// in step with the form both ways. The server's validation errors land next to the field they name.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { request } from '../api';
import { errorText, mp, type MpConfigField, type MpListing, type MpLogo, type MpStep } from './api';
import { askConfirm } from '../../shared/askConfirm';
import { useUnsavedGuard } from '../useUnsavedGuard';
import { Markdown } from '../../marketplace/markdown';
import * as F from './listingForm';
import './ListingEditor.css';

type Errors = { slot: string; message: string } | null;

export default function ListingEditor({
  original,
  categories,
  onSaved,
  onClose,
}: {
  /** The listing as stored, or null for a new one. */
  original: MpListing | null;
  categories: string[];
  onSaved: (l: MpListing, previousId: string) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState<MpListing>(() => (original ? structuredClone(original) : F.newListing()));
  const [savedId, setSavedId] = useState(original?.id ?? '');
  const [baseline, setBaseline] = useState(() => F.listingJSON(draft));
  const [idTouched, setIdTouched] = useState(!!original);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState('');
  const [jsonBlocked, setJsonBlocked] = useState(false);
  const [serverErr, setServerErr] = useState<Errors>(null);
  const [general, setGeneral] = useState('');
  const [notice, setNotice] = useState('');
  const [saving, setSaving] = useState(false);
  const [logoError, setLogoError] = useState('');
  const [logoBusy, setLogoBusy] = useState(false);

  const [invalid, setInvalid] = useState<Record<string, string>>({});
  // Text that does not read yet (a JSON body, a header line) is an unsaved edit too.
  const dirty = F.listingJSON(draft) !== baseline || (tab === 'json' && !!jsonError) || Object.keys(invalid).length > 0;
  useUnsavedGuard(dirty, draft.name ? `the listing ${draft.name}` : 'this listing');

  const fields = draft.config_fields ?? [];
  const steps = draft.workflow ?? [];

  /** Changes the draft; an error shown at this slot (or a parent of it) goes, as the user is fixing it. */
  function edit(slot: string, change: (d: MpListing) => MpListing) {
    setDraft((d) => change(d));
    setNotice('');
    if (serverErr && (slot === serverErr.slot || slot.startsWith(serverErr.slot + '.') || serverErr.slot.startsWith(slot + '.'))) {
      setServerErr(null);
      setGeneral('');
    }
  }
  const set = <K extends keyof MpListing>(key: K, value: MpListing[K]) => edit(key, (d) => ({ ...d, [key]: value }));
  const setField = (i: number, patch: Partial<MpConfigField>, key = Object.keys(patch)[0]) =>
    edit(`config_fields[${i}].${key}`, (d) => ({ ...d, config_fields: (d.config_fields ?? []).map((f, j) => (j === i ? { ...f, ...patch } : f)) }));
  const setStep = (i: number, s: MpStep, key: string) =>
    edit(`workflow[${i}].${key}`, (d) => ({ ...d, workflow: d.workflow.map((x, j) => (j === i ? s : x)) }));
  const errAt = (slot: string) => (serverErr?.slot === slot ? serverErr.message : invalid[slot] ?? '');
  const onInvalid = (slot: string, msg: string) =>
    setInvalid((m) => {
      if ((m[slot] ?? '') === msg) return m;
      const out = { ...m };
      if (msg) out[slot] = msg;
      else delete out[slot];
      return out;
    });

  function showTab(next: 'form' | 'json') {
    if (next === tab) return;
    if (next === 'json') {
      setJsonText(F.listingJSON(draft));
      setJsonError('');
      setJsonBlocked(false);
      setTab('json');
      return;
    }
    if (jsonError) {
      setJsonBlocked(true);
      return;
    }
    setInvalid({});
    setTab('form');
  }

  function editJSON(text: string) {
    setJsonText(text);
    setNotice('');
    const r = F.parseListingJSON(text);
    if (r.ok) {
      setDraft(r.listing);
      setJsonError('');
      setJsonBlocked(false);
    } else setJsonError(r.error);
  }

  async function save() {
    setGeneral('');
    setNotice('');
    if (tab === 'json' && jsonError) {
      setGeneral(`Not saved: ${jsonError}`);
      return;
    }
    const listing = draft;
    if (savedId && listing.id !== savedId) {
      const ok = await askConfirm({
        title: `Rename ${savedId} to ${listing.id}?`,
        body: `The listing is saved as ${listing.id} and ${savedId} is deleted from the catalog. Existing installs keep working.`,
        confirm: 'Rename',
      });
      if (!ok) return;
    }
    setSaving(true);
    try {
      const saved = await mp.saveListing(listing);
      if (savedId && savedId !== saved.id) await mp.deleteListing(savedId);
      const prev = savedId;
      setDraft(saved);
      setBaseline(F.listingJSON(saved));
      if (tab === 'json') setJsonText(F.listingJSON(saved));
      setSavedId(saved.id);
      setIdTouched(true);
      setServerErr(null);
      setNotice('Saved.');
      onSaved(saved, prev);
    } catch (e) {
      const se = F.serverError(errorText(e));
      const slot = se ? F.placeholderSlot(listing, F.errorSlot(se.path), se.message) : '';
      if (se && slot) {
        // On the JSON tab the message stands above the JSON; the form marks the field when you switch.
        setServerErr({ slot, message: se.message });
        setGeneral(`Not saved: ${se.path}: ${se.message}`);
      } else setGeneral(`Not saved: ${errorText(e)}`);
    } finally {
      setSaving(false);
    }
  }

  // After a refused save, the first marked field is brought into view.
  const formRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!serverErr) return;
    const el = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .lf-item-error');
    el?.scrollIntoView?.({ block: 'center' });
    if (el?.matches('input, select, textarea')) el.focus();
  }, [serverErr]);

  async function uploadLogo(file: File | Blob, name: string) {
    setLogoError('');
    const why = F.logoProblem({ name, type: file.type, size: file.size });
    if (why) {
      setLogoError(why);
      return;
    }
    setLogoBusy(true);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const logo = await request<MpLogo>(`/api/admin/marketplace/logos?filename=${encodeURIComponent(name)}`, {
        method: 'POST',
        body: bytes,
        headers: { 'Content-Type': file.type },
      });
      set('logo', logo.url);
    } catch (e) {
      setLogoError(errorText(e));
    } finally {
      setLogoBusy(false);
    }
  }

  async function storeDataLogo() {
    const img = F.dataURIImage(draft.logo);
    if (!img) {
      setLogoError('This data: address holds no image the server can store.');
      return;
    }
    await uploadLogo(new Blob([img.bytes as BlobPart], { type: img.type }), 'the embedded logo');
  }

  const pendingLocal = Object.keys(invalid).length > 0;
  const placeholders = [...fields.map((f) => `config.${f.name}`), ...F.knownPlaceholders];

  const removeField = async (i: number) => {
    const f = fields[i];
    if (!(await askConfirm({ title: `Remove the field ${f.name || i + 1}?`, body: 'Steps that use {{config.' + f.name + '}} then need another value. Nothing is saved until you press Save listing.', confirm: 'Remove field' }))) return;
    edit('config_fields', (d) => ({ ...d, config_fields: (d.config_fields ?? []).filter((_, j) => j !== i) }));
    setInvalid({});
  };
  const removeStep = async (i: number) => {
    if (!(await askConfirm({ title: `Remove step ${i + 1}${steps[i].name ? ` (${steps[i].name})` : ''}?`, body: 'Nothing is saved until you press Save listing.', confirm: 'Remove step' }))) return;
    edit('workflow', (d) => ({ ...d, workflow: d.workflow.filter((_, j) => j !== i) }));
    setInvalid({});
  };

  return (
    <div className="card lf-editor" data-testid="listing-editor">
      <div className="lf-head">
        <h2>{savedId ? `Edit ${draft.name || savedId}` : 'New listing'}</h2>
        <div role="tablist" aria-label="Editor view" className="lf-tabs">
          {(['form', 'json'] as const).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'lf-tab active' : 'lf-tab'} onClick={() => showTab(t)}>
              {t === 'form' ? 'Form' : 'Advanced (JSON)'}
            </button>
          ))}
        </div>
      </div>
      {general && <div className="notice notice-error" role="alert">{general}</div>}

      {tab === 'json' ? (
        <div className="lf-json">
          <p className="muted">The listing as the API and the workspace file have it. Edits here show in the form, and the form's in here.</p>
          {jsonBlocked && jsonError && (
            <div className="notice notice-error" role="alert" data-testid="json-blocked">
              Fix the JSON to go back to the form: {jsonError}
            </div>
          )}
          <textarea className="mpc-input mpc-editor" aria-label="Listing JSON" aria-invalid={jsonError ? true : undefined} spellCheck={false} value={jsonText} onChange={(e) => editJSON(e.target.value)} />
          {jsonError && <p className="field-error" data-testid="json-error">{jsonError}</p>}
        </div>
      ) : (
        <div className="lf-form" ref={formRef}>
          <section className="lf-card" aria-labelledby="lf-basics">
            <h3 id="lf-basics">Listing</h3>
            <div className="lf-grid">
              <Field label="Name" err={errAt('name')}>
                <input value={draft.name} aria-invalid={inv(errAt('name'))} maxLength={100} onChange={(e) => {
                  const name = e.target.value;
                  edit('name', (d) => ({ ...d, name, id: idTouched ? d.id : F.slugify(name) }));
                }} />
              </Field>
              <Field label="Listing ID" err={errAt('id')} hint="In links and the API: lowercase letters, digits, - and _.">
                <input value={draft.id} aria-invalid={inv(errAt('id'))} className="lf-mono" maxLength={64} onChange={(e) => {
                  setIdTouched(true);
                  set('id', e.target.value);
                }} />
              </Field>
              <Field label="Category" err={errAt('category')} hint="Users filter the catalog by it.">
                <input value={draft.category} aria-invalid={inv(errAt('category'))} maxLength={60} list="lf-categories" onChange={(e) => set('category', e.target.value)} />
                <datalist id="lf-categories">{categories.map((c) => <option key={c} value={c} />)}</datalist>
              </Field>
              <Field label="Connector ID" err={errAt('connector_id')} hint="Optional: matches the connectorId of a signed link's connection.">
                <input value={draft.connector_id} aria-invalid={inv(errAt('connector_id'))} className="lf-mono" onChange={(e) => set('connector_id', e.target.value)} />
              </Field>
              <Field label="Summary" err={errAt('summary')} hint={`One line on the catalog card (${draft.summary.length}/300).`} wide>
                <input value={draft.summary} aria-invalid={inv(errAt('summary'))} maxLength={300} onChange={(e) => set('summary', e.target.value)} />
              </Field>
            </div>
          </section>

          <section className="lf-card" aria-labelledby="lf-logo">
            <h3 id="lf-logo">Logo</h3>
            <div className="lf-logo-row">
              <LogoView src={draft.logo} name={draft.name} />
              <div className="lf-logo-actions">
                <div className="mpc-row">
                  <label className="button">
                    {logoBusy ? 'Uploading…' : draft.logo ? 'Replace…' : 'Upload…'}
                    <input type="file" hidden data-testid="logo-input" accept={F.LOGO_TYPES.join(',')} disabled={logoBusy} onChange={(e) => {
                      const f = e.target.files?.[0];
                      e.target.value = '';
                      if (f) void uploadLogo(f, f.name);
                    }} />
                  </label>
                  {draft.logo.startsWith('data:') && (
                    <button type="button" className="button" onClick={() => void storeDataLogo()} disabled={logoBusy}>Store on the server</button>
                  )}
                  {draft.logo && <button type="button" className="button" onClick={() => set('logo', '')}>Remove</button>}
                </div>
                {logoError || errAt('logo') ? (
                  <span className="field-error" role="alert" data-testid="logo-error">{logoError || errAt('logo')}</span>
                ) : (
                  <span className="lf-hint">
                    PNG, JPEG, WebP or SVG, at most 200 KB; stored on this server.
                    {draft.logo.startsWith('data:') && ' This logo is embedded in the listing as a data: address; it still shows, and "Store on the server" makes it a file.'}
                  </span>
                )}
                <Field label="Or an image address or emoji" err="">
                  <input value={draft.logo.startsWith('data:') ? '' : draft.logo} placeholder={draft.logo.startsWith('data:') ? '(embedded image)' : 'https://… or 🔔'} onChange={(e) => set('logo', e.target.value)} />
                </Field>
              </div>
            </div>
          </section>

          <section className="lf-card" aria-labelledby="lf-desc">
            <h3 id="lf-desc">Description</h3>
            <div className="lf-md">
              <Field label="Description (Markdown)" err={errAt('description')} hint="Headings, **bold**, *italic*, lists, `code`, > quotes and http(s) links.">
                <textarea value={draft.description} aria-invalid={inv(errAt('description'))} rows={14} onChange={(e) => set('description', e.target.value)} />
              </Field>
              <div className="lf-preview" role="region" aria-label="Description preview">
                <div className="lf-preview-label">Preview, as the marketplace shows it</div>
                <div className="lf-preview-card">
                  <LogoView src={draft.logo} name={draft.name} size={40} />
                  <div>
                    <strong>{draft.name || 'Name'}</strong>
                    <div className="muted">{draft.category}</div>
                    <div className="lf-preview-summary">{draft.summary}</div>
                  </div>
                </div>
                {draft.description.trim() ? <Markdown source={draft.description} className="mp-markdown" /> : <p className="muted">Nothing to show yet.</p>}
              </div>
            </div>
          </section>

          <section className="lf-card" aria-labelledby="lf-fields">
            <h3 id="lf-fields">Config fields</h3>
            <p className="lf-hint">What the install form asks the user for. Steps use a field's value as <code>{'{{config.NAME}}'}</code>.</p>
            {errAt('config_fields') && <p className="field-error lf-item-error" role="alert">{errAt('config_fields')}</p>}
            {fields.map((f, i) => {
              const at = (k: string) => errAt(`config_fields[${i}].${k}`);
              return (
                <section key={i} className="lf-item" data-field-index={i} aria-label={`Field ${i + 1}: ${f.name}`}>
                  <ItemBar title={`Field ${i + 1}`} sub={f.name} what="field" n={i} count={fields.length} label={f.name || String(i + 1)}
                    onMove={(to) => edit('config_fields', (d) => ({ ...d, config_fields: F.moveItem(d.config_fields ?? [], i, to) }))} onRemove={() => void removeField(i)} />
                  {errAt(`config_fields[${i}]`) && <p className="field-error lf-item-error" role="alert">{errAt(`config_fields[${i}]`)}</p>}
                  <div className="lf-grid">
                    <Field label="Field name" err={at('name')} hint="Letters, digits and _.">
                      <input className="lf-mono" value={f.name} aria-invalid={inv(at('name'))} onChange={(e) => setField(i, { name: e.target.value })} />
                    </Field>
                    <Field label="Label" err={at('label')} hint="What the install form shows (default: the name).">
                      <input value={f.label} aria-invalid={inv(at('label'))} onChange={(e) => setField(i, { label: e.target.value })} />
                    </Field>
                    <Field label="Type" err={at('type')}>
                      <select value={f.type} aria-invalid={inv(at('type'))} onChange={(e) => {
                        const type = e.target.value as MpConfigField['type'];
                        setField(i, { type, options: type === 'select' ? f.options ?? [] : null, secret: type === 'password' ? true : f.secret });
                      }}>
                        {F.fieldTypes.map((t) => <option key={t} value={t}>{t}</option>)}
                      </select>
                    </Field>
                    <Field label="Default value" err={at('default')}>
                      <input value={f.default} aria-invalid={inv(at('default'))} onChange={(e) => setField(i, { default: e.target.value })} />
                    </Field>
                    <Field label="Help text" err={at('help')} wide>
                      <input value={f.help} aria-invalid={inv(at('help'))} onChange={(e) => setField(i, { help: e.target.value })} />
                    </Field>
                    {f.type === 'select' && (
                      <Field label="Options (one per line)" err={at('options')} wide>
                        <SyncedText multiline rows={3} value={f.options} format={F.formatLines} parse={F.parseLines} slot={`config_fields[${i}].options`} onInvalid={onInvalid}
                          invalid={!!at('options')} onChange={(v) => setField(i, { options: v ?? [] }, 'options')} />
                      </Field>
                    )}
                  </div>
                  <div className="mpc-row lf-checks">
                    <label className="mpc-check"><input type="checkbox" checked={f.required} onChange={(e) => setField(i, { required: e.target.checked })} /> Required</label>
                    <label className="mpc-check"><input type="checkbox" checked={f.secret || f.type === 'password'} disabled={f.type === 'password'} onChange={(e) => setField(i, { secret: e.target.checked })} /> Secret (sealed at rest, never shown again)</label>
                  </div>
                </section>
              );
            })}
            <button type="button" className="button" onClick={() => edit('config_fields', (d) => ({ ...d, config_fields: [...(d.config_fields ?? []), F.newField((d.config_fields ?? []).length + 1)] }))}>
              Add field
            </button>
            <details className="lf-more" open={!!draft.connection_fields || !!errAt('connection_fields')}>
              <summary>Connection fields (signed-link claims that fill config fields)</summary>
              <Field label="One per line: claim = field" err={errAt('connection_fields')} hint="E.g. apikey = api_key: the token's connection.apikey fills the field api_key.">
                <SyncedText multiline rows={2} value={draft.connection_fields} format={F.formatPairs} parse={F.parsePairs} slot="connection_fields" onInvalid={onInvalid}
                  invalid={!!errAt('connection_fields')} onChange={(v) => edit('connection_fields', (d) => {
                    const out = { ...d };
                    if (v) out.connection_fields = v;
                    else delete out.connection_fields;
                    return out;
                  })} />
              </Field>
            </details>
          </section>

          <section className="lf-card" aria-labelledby="lf-steps">
            <h3 id="lf-steps">Workflow steps</h3>
            <p className="lf-hint">
              Run in order when a user installs. Placeholders: {placeholders.map((p) => <code key={p} className="lf-ph">{`{{${p}}}`}</code>)}
            </p>
            {errAt('workflow') && <p className="field-error lf-item-error" role="alert">{errAt('workflow')}</p>}
            {steps.map((s, i) => (
              <StepCard key={i} i={i} step={s} count={steps.length} errAt={errAt} onInvalid={onInvalid}
                onChange={(next, key) => setStep(i, next, key)}
                onMove={(to) => edit('workflow', (d) => ({ ...d, workflow: F.moveItem(d.workflow, i, to) }))}
                onRemove={() => void removeStep(i)} />
            ))}
            <div className="mpc-row">
              {F.stepKinds.map((k) => (
                <button key={k.kind} type="button" className="button" title={k.help}
                  aria-label={`Add ${k.kind === 'http_request' ? 'an HTTP request' : k.kind === 'relay_route' ? 'a relay route' : 'a message'} step`}
                  onClick={() => edit('workflow', (d) => ({ ...d, workflow: [...(d.workflow ?? []), F.newStep(k.kind)] }))}>
                  + {k.label}
                </button>
              ))}
            </div>
          </section>
        </div>
      )}

      <div className="lf-actions">
        <button type="button" className="button button-primary" onClick={() => void save()} disabled={saving || pendingLocal || (tab === 'json' && !!jsonError)}>
          {saving ? 'Saving…' : 'Save listing'}
        </button>
        <button type="button" className="button" onClick={onClose}>Close</button>
        {savedId && !dirty && (
          <a className="button lf-open" href={`/marketplace/listing/${encodeURIComponent(savedId)}`} target="_blank" rel="noopener noreferrer">Open in the marketplace</a>
        )}
        <span className="lf-status" role="status">
          {notice || (pendingLocal ? 'Fix the marked fields to save.' : dirty ? 'Unsaved changes' : '')}
        </span>
      </div>
    </div>
  );
}

const inv = (err: string) => (err ? true : undefined);

function Field({ label, err, hint, wide, children }: { label: string; err: string; hint?: string; wide?: boolean; children: ReactNode }) {
  return (
    <label className={`lf-field${wide ? ' wide' : ''}${err ? ' invalid' : ''}`}>
      <span className="lf-label">{label}</span>
      {children}
      {err ? <span className="field-error">{err}</span> : hint ? <span className="lf-hint">{hint}</span> : null}
    </label>
  );
}

function LogoView({ src, name, size = 64 }: { src: string; name: string; size?: number }) {
  // Shown as the marketplace shows it: an <img> for addresses (where an SVG's scripts never run), else the text.
  if (src && /^(https?:|data:image\/|\/)/.test(src)) return <img className="lf-logo" data-testid="logo-preview" src={src} alt="Logo" width={size} height={size} />;
  return (
    <span className="lf-logo lf-logo-text" style={{ width: size, height: size, fontSize: size * 0.45 }} aria-hidden="true">
      {src || (name ? name.slice(0, 1).toUpperCase() : '?')}
    </span>
  );
}

function ItemBar({ title, sub, what, n, count, label, onMove, onRemove }: {
  title: string; sub: string; what: 'field' | 'step'; n: number; count: number; label: string; onMove: (to: number) => void; onRemove: () => void;
}) {
  return (
    <div className="lf-item-bar">
      <strong>{title}</strong>
      {sub && <span className="lf-mono muted">{sub}</span>}
      <span className="lf-item-tools">
        <button type="button" className="button small" aria-label={`Move ${what} ${label} up`} disabled={n === 0} onClick={() => onMove(n - 1)}>↑</button>
        <button type="button" className="button small" aria-label={`Move ${what} ${label} down`} disabled={n === count - 1} onClick={() => onMove(n + 1)}>↓</button>
        <button type="button" className="button small button-danger" aria-label={`Remove ${what} ${label}`} onClick={onRemove}>Remove</button>
      </span>
    </div>
  );
}

function StepCard({ i, step: s, count, errAt, onInvalid, onChange, onMove, onRemove }: {
  i: number; step: MpStep; count: number; errAt: (slot: string) => string; onInvalid: (slot: string, msg: string) => void;
  onChange: (s: MpStep, key: string) => void; onMove: (to: number) => void; onRemove: () => void;
}) {
  const at = (k: string) => errAt(`workflow[${i}].${k}`);
  const slot = (k: string) => `workflow[${i}].${k}`;
  const put = (k: keyof MpStep, v: unknown) => {
    const next = { ...s } as Record<string, unknown>;
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next as MpStep, k);
  };
  const kind = F.stepKinds.find((k) => k.kind === s.kind);
  return (
    <section className="lf-item" data-step-index={i} aria-label={`Step ${i + 1}: ${s.name || kind?.label || s.kind}`}>
      <ItemBar title={`Step ${i + 1}`} sub={kind?.label ?? s.kind} what="step" n={i} count={count} label={String(i + 1)} onMove={onMove} onRemove={onRemove} />
      {errAt(`workflow[${i}]`) && <p className="field-error lf-item-error" role="alert">{errAt(`workflow[${i}]`)}</p>}
      <div className="lf-grid">
        <Field label="Step kind" err={at('kind')} hint={kind?.help}>
          <select value={s.kind} aria-invalid={inv(at('kind'))} onChange={(e) => onChange(F.withKind(s, e.target.value), 'kind')}>
            {F.stepKinds.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
            {!kind && <option value={s.kind}>{s.kind}</option>}
          </select>
        </Field>
        <Field label="Step name" err={at('name')} hint="What the user sees while it runs.">
          <input value={s.name} aria-invalid={inv(at('name'))} placeholder={kind?.label} onChange={(e) => onChange({ ...s, name: e.target.value }, 'name')} />
        </Field>
        {s.kind === 'notify' ? (
          <Field label="Message" err={at('message')} wide>
            <input value={s.message ?? ''} aria-invalid={inv(at('message'))} onChange={(e) => onChange({ ...s, message: e.target.value }, 'message')} />
          </Field>
        ) : (
          <>
            <Field label="Method" err={at('method')}>
              <select value={s.method || (s.kind === 'relay_route' ? 'POST' : 'GET')} aria-invalid={inv(at('method'))} onChange={(e) => put('method', e.target.value)}>
                {F.methods.map((m) => <option key={m}>{m}</option>)}
              </select>
            </Field>
            {s.kind === 'relay_route' ? (
              <Field label="Importer" err={at('importer')} hint="Optional: only this importer's imports (its slug).">
                <input className="lf-mono" value={s.importer ?? ''} aria-invalid={inv(at('importer'))} onChange={(e) => put('importer', e.target.value)} />
              </Field>
            ) : (
              <Field label="Timeout" err={at('timeout')} hint="E.g. 10s (at most 2m).">
                <input className="lf-mono" value={s.timeout ?? ''} aria-invalid={inv(at('timeout'))} onChange={(e) => put('timeout', e.target.value)} />
              </Field>
            )}
            <Field label="URL" err={at('url')} wide hint="An absolute http(s) URL, or starting with a placeholder such as {{fusebox.base_url}}.">
              <input className="lf-mono" value={s.url ?? ''} aria-invalid={inv(at('url'))} onChange={(e) => onChange({ ...s, url: e.target.value }, 'url')} />
            </Field>
            <Field label="Headers" err={at('headers')} wide hint="One per line: Name: value">
              <SyncedText multiline rows={2} value={s.headers} format={F.formatHeaders} parse={F.parseHeaders} slot={slot('headers')} onInvalid={onInvalid} invalid={!!at('headers')} onChange={(v) => put('headers', v)} />
            </Field>
            {s.kind === 'http_request' && (
              <>
                <Field label="Body (JSON)" err={at('body')} wide hint="Optional; strings may hold placeholders.">
                  <SyncedText multiline rows={3} value={s.body} format={F.formatBody} parse={F.parseBody} slot={slot('body')} onInvalid={onInvalid} invalid={!!at('body')} onChange={(v) => put('body', v)} />
                </Field>
                <Field label="Expected status codes" err={at('expect_status')} hint="Optional, e.g. 200, 201 (default: any 2xx).">
                  <SyncedText value={s.expect_status} format={F.formatStatuses} parse={F.parseStatuses} slot={slot('expect_status')} onInvalid={onInvalid} invalid={!!at('expect_status')} onChange={(v) => put('expect_status', v)} />
                </Field>
              </>
            )}
          </>
        )}
      </div>
    </section>
  );
}

/**
 * A text input for a value with its own small format (headers, a JSON body, status codes). The typed
 * text stays as typed; the value changes when the text reads; text that does not read is reported
 * (onInvalid) and the form will not save until it does.
 */
function SyncedText<T>({ value, format, parse, onChange, onInvalid, slot, invalid, multiline, rows }: {
  value: T; format: (v: T) => string; parse: (t: string) => F.Parsed<T>; onChange: (v: T) => void;
  onInvalid: (slot: string, msg: string) => void; slot: string; invalid: boolean; multiline?: boolean; rows?: number;
}) {
  const [text, setText] = useState(() => format(value));
  const emitted = useRef(JSON.stringify(value));
  const key = JSON.stringify(value);
  useEffect(() => {
    if (key === emitted.current) return;
    // Changed from elsewhere (a move, a kind change): show the new value.
    emitted.current = key;
    setText(format(value));
    onInvalid(slot, '');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => () => onInvalid(slot, ''), [slot]); // eslint-disable-line react-hooks/exhaustive-deps
  const change = (t: string) => {
    setText(t);
    const p = parse(t);
    if (p.ok) {
      emitted.current = JSON.stringify(p.value);
      onInvalid(slot, '');
      onChange(p.value);
    } else onInvalid(slot, p.error);
  };
  const id = useId();
  return multiline ? (
    <textarea id={id} className="lf-mono" rows={rows} value={text} aria-invalid={invalid ? true : undefined} spellCheck={false} onChange={(e) => change(e.target.value)} />
  ) : (
    <input id={id} className="lf-mono" value={text} aria-invalid={invalid ? true : undefined} onChange={(e) => change(e.target.value)} />
  );
}
