// Console: the importer editor (#/importers/<slug>, #/importers/new) — name, slug (fixed after
// create), settings and columns of one importer definition, checked live by
// POST /api/admin/importers/validate with every problem shown next to the field it names; saved with
// POST (create) or PUT /api/admin/importers/{slug}. A YAML tab shows the definition as the workspace
// file holds it. #/importers/<slug>/imports is the importer's imports (ImportDetail.tsx).
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api';
import { PageHeader } from '../components';
import { navigate, useHashRoute } from '../router';
import ImportDetail from './ImportDetail';
import RefusedOrigins from './RefusedOrigins';
import HookEditor, { hookCount } from './HookEditor';
import { BrandingCard, LivePreview, colorProblem } from './Branding';
import {
  COLUMN_TYPES, FILE_TYPES, INVALID_ROWS, NO_VALUE, TRANSFORMERS, VALIDATORS,
  addColumn, addItem, errorsFor, fromDefinition, mapErrors, moveColumn, newDraft, removeColumn, removeItem,
  setMatchColumn, setMatching, toDefinition, toYAML, updateColumn, updateItem,
  type Draft, type DraftColumn, type FieldError, type Importer,
} from './model';
import './ImporterEditor.css';
import { askConfirm } from '../../shared/askConfirm';
import { useUnsavedGuard } from '../useUnsavedGuard';

export default function ImportersEditor({ slug }: { slug: string }) {
  const { match } = useHashRoute();
  if (match && match.route.path !== '/' && match.route.key !== 'importers') return null; // leaving #/importers (see Importers.tsx)
  const parts = (match?.rest ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[1] === 'imports') return <ImportDetail importer={slug} importSlug={parts[2] ?? ''} />;
  return <Editor key={slug} slug={slug === 'new' ? '' : slug} />;
}

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

function Editor({ slug }: { slug: string }) {
  const creating = slug === '';
  const [draft, setDraft] = useState<Draft | null>(() => (creating ? newDraft() : null));
  const [loadError, setLoadError] = useState('');
  const [tab, setTab] = useState<'form' | 'hooks' | 'yaml'>('form');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState('');
  const [saved, setSaved] = useState('');
  const [dirty, setDirty] = useState(false);
  const [touched, setTouched] = useState(!creating);
  const [lang, setLang] = useState('*');

  useEffect(() => {
    if (creating) return;
    let stale = false; // not aborted: a page left quickly would log a failed request
    api.get<Importer>(`/api/admin/importers/${encodeURIComponent(slug)}`).then(
      (imp) => !stale && setDraft(fromDefinition(imp)),
      (e: unknown) => !stale && setLoadError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [slug, creating]);

  const definition = useMemo(() => (draft ? toDefinition(draft) : null), [draft]);
  // What the server checks; unchanged text (e.g. the saved answer replacing the draft) is not re-checked.
  const definitionJSON = useMemo(() => JSON.stringify(definition), [definition]);

  // Live validation: the server's own check, debounced.
  const seq = useRef(0);
  useEffect(() => {
    if (!definition || !draft) return;
    const n = ++seq.current;
    setChecking(true); // from the edit on, not only once the request goes out: no stale "valid" meanwhile
    const timer = setTimeout(() => {
      api.post('/api/admin/importers/validate', definition).then(
        () => n === seq.current && setErrors([]),
        (e: unknown) => {
          if (n !== seq.current) return;
          if (e instanceof ApiError && e.status === 422) setErrors(mapErrors(e.message, draft.columns));
          else setErrors([{ column: null, field: '', message: `Cannot check the definition: ${errMessage(e)}`, text: '' }]);
        },
      ).finally(() => n === seq.current && setChecking(false));
    }, 300);
    return () => clearTimeout(timer);
    // draft.columns is read for key lookup only; the text changes whenever what is checked does
  }, [definitionJSON]); // eslint-disable-line react-hooks/exhaustive-deps

  // Leaving with unsaved edits (another console page, closing or reloading the tab) asks first.
  const allowLeave = useUnsavedGuard(dirty, creating ? 'the new importer' : `the importer ${slug}`);

  const edit = (fn: (d: Draft) => Draft) => {
    setDraft((d) => (d ? fn(d) : d));
    setDirty(true);
    setTouched(true);
    setSaved('');
  };

  async function save() {
    if (!definition || !draft) return;
    setSaving(true);
    setSaveError('');
    try {
      const out = creating
        ? await api.post<Importer>('/api/admin/importers', definition)
        : await api.put<Importer>(`/api/admin/importers/${encodeURIComponent(slug)}`, definition);
      setDirty(false);
      if (creating) {
        allowLeave();
        navigate(`/importers/${encodeURIComponent(out.slug)}`);
        return;
      }
      setDraft(fromDefinition(out));
      setSaved('Saved.');
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setErrors(mapErrors(e.message, draft.columns));
      setSaveError(errMessage(e));
    } finally {
      setSaving(false);
    }
  }

  // "Allow this origin" saved the importer: take the saved definition, or keep unsaved edits and add
  // the origin to the draft's list too.
  function originAllowed(saved: Importer, origin: string) {
    if (!dirty) {
      setDraft(fromDefinition(saved));
      return;
    }
    setDraft((d) => (d && !d.origins.split(/[\n,]/).map((o) => o.trim()).includes(origin) ? { ...d, origins: d.origins.trim() ? `${d.origins.trimEnd()}\n${origin}` : origin } : d));
  }

  async function remove() {
    if (!(await askConfirm({ title: `Delete the importer "${slug}"?`, body: 'Its imports are deleted with it.', confirm: 'Delete importer' }))) return;
    try {
      await api.del(`/api/admin/importers/${encodeURIComponent(slug)}`);
      allowLeave();
      navigate('/importers');
    } catch (e) {
      setSaveError(errMessage(e));
    }
  }

  if (loadError) {
    return (
      <>
        <PageHeader title="Importer" />
        <div className="notice notice-error" role="alert">
          <strong>Could not load the importer “{slug}”.</strong>
          <p>{loadError}</p>
          <a className="button" href="#/importers">Back to importers</a>
        </div>
      </>
    );
  }
  if (!draft || !definition) return <p className="muted" role="status">Loading importer…</p>;

  const top = (field: string) => errorsFor(errors, null, field);
  const shownTop = ['slug', 'name', 'columns', 'settings', 'branding', 'match_on', 'match_scope', 'match_user_key'];
  const badColor = colorProblem(draft.branding);
  const otherTop = errors.filter((e) => e.column === null && !shownTop.some((f) => e.field === f || e.field.startsWith(f + '.') || e.field.startsWith(f + '[')));
  const unknownColumn = errors.filter((e) => e.column !== null && (e.column < 0 || e.column >= draft.columns.length));

  return (
    <div className="ied">
      <PageHeader
        title={creating ? 'New importer' : draft.name || slug}
        subtitle={creating ? 'Define the columns an import has and how rows are checked.' : `Importer ${slug}`}
        actions={
          <>
            <a className="button" href="#/importers">Back</a>
            {!creating && <a className="button" href={`#/importers/${encodeURIComponent(slug)}/imports`}>Imports</a>}
            {!creating && (
              <a className="button" href={`#/importers/${encodeURIComponent(slug)}/try`}>Try this importer</a>
            )}
            {!creating && <button type="button" className="button ied-danger" onClick={remove}>Delete</button>}
          </>
        }
      />

      <div className="ied-bar">
        <div className="ied-tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'form'} className={tab === 'form' ? 'active' : ''} onClick={() => setTab('form')}>Editor</button>
          <button type="button" role="tab" aria-selected={tab === 'hooks'} className={tab === 'hooks' ? 'active' : ''} onClick={() => setTab('hooks')}>Hooks{hookCount(draft.hooks) ? ` (${hookCount(draft.hooks)})` : ''}</button>
          <button type="button" role="tab" aria-selected={tab === 'yaml'} className={tab === 'yaml' ? 'active' : ''} onClick={() => setTab('yaml')}>YAML</button>
        </div>
        <div className="ied-status" role="status" aria-live="polite">
          {checking ? 'Checking…' : errors.length > 0 ? (
            touched ? <span className="ied-bad">{errors.length === 1 ? '1 problem' : `${errors.length} problems`}</span> : ''
          ) : <span className="ied-ok">Definition is valid</span>}
          {saved && <span className="ied-ok"> · {saved}</span>}
          {dirty && !saved && <span className="muted"> · unsaved changes</span>}
        </div>
        <button type="button" className="button primary" onClick={save} disabled={saving || !!badColor} title={badColor ?? undefined}>
          {saving ? 'Saving…' : creating ? 'Create importer' : 'Save'}
        </button>
      </div>
      {saveError && (
        <div className="notice notice-error ied-save-error" role="alert">
          <strong>Not saved.</strong>
          <p>{saveError}</p>
        </div>
      )}
      {touched && (otherTop.length > 0 || unknownColumn.length > 0) && <Errs list={[...otherTop, ...unknownColumn]} full />}

      {tab === 'hooks' ? (
        <HookEditor definition={definition} hooks={draft.hooks} onChange={(hooks) => edit((d) => ({ ...d, hooks }))} problems={errors.map((e) => e.text || e.message)} />
      ) : tab === 'yaml' ? (
        <section className="card ied-yaml">
          <p className="muted">This importer as an entry of the workspace file (<code>fusebox apply</code> accepts it; unsaved edits included).</p>
          <pre data-testid="importer-yaml">{toYAML(definition)}</pre>
        </section>
      ) : (
        <div className="ied-split">
        <div className="ied-form">
          {!creating && <RefusedOrigins slug={slug} onAllowed={originAllowed} />}
          <section className="card ied-card">
            <h2>Importer</h2>
            <div className="ied-grid">
              <Field label="Name" errs={top('name')}>
                <input value={draft.name} onChange={(e) => edit((d) => ({ ...d, name: e.target.value }))} placeholder="Contacts" />
              </Field>
              <Field label="Slug" errs={top('slug')} hint={creating ? 'Fixed once created; the SDK and sessions name the importer by it.' : 'Fixed after create.'}>
                <input value={draft.slug} disabled={!creating} onChange={(e) => edit((d) => ({ ...d, slug: e.target.value }))} placeholder="contacts" />
              </Field>
              <Field label="Description" wide>
                <input value={draft.description} onChange={(e) => edit((d) => ({ ...d, description: e.target.value }))} />
              </Field>
            </div>
          </section>

          <section className="card ied-card">
            <h2>Settings</h2>
            <div className="ied-grid">
              <Field label="Rows with errors on submit" errs={top('settings.invalid_rows')}>
                <select value={draft.invalidRows || 'block'} onChange={(e) => edit((d) => ({ ...d, invalidRows: e.target.value }))}>
                  {INVALID_ROWS.map((v) => <option key={v} value={v}>{v === 'block' ? 'block (refuse submit)' : v === 'exclude' ? 'exclude (leave them out)' : 'include (submit as they are)'}</option>)}
                </select>
              </Field>
              <Field label="Session TTL" errs={top('settings.session_ttl')} hint="e.g. 30m, 2h (empty: the default)">
                <input value={draft.sessionTTL} onChange={(e) => edit((d) => ({ ...d, sessionTTL: e.target.value }))} placeholder="2h" />
              </Field>
              <Field label="Max file size" errs={top('settings.max_file_size')} hint="e.g. 200MB (empty: 100 MB)">
                <input value={draft.maxFileSize} onChange={(e) => edit((d) => ({ ...d, maxFileSize: e.target.value }))} placeholder="200MB" />
              </Field>
              <Field label="Allowed file types" errs={top('settings.allowed_file_types')} hint="none checked: all">
                <div className="ied-checks">
                  {FILE_TYPES.map((t) => (
                    <label key={t} className="ied-check">
                      <input
                        type="checkbox"
                        checked={draft.fileTypes.includes(t)}
                        onChange={(e) => edit((d) => ({ ...d, fileTypes: e.target.checked ? [...d.fileTypes, t] : d.fileTypes.filter((x) => x !== t) }))}
                      />
                      {t}
                    </label>
                  ))}
                </div>
              </Field>
              <Field label="Allowed origins" errs={top('settings.allowed_origins')} hint="Host pages that may frame the embed, one per line." wide>
                <textarea rows={2} value={draft.origins} onChange={(e) => edit((d) => ({ ...d, origins: e.target.value }))} placeholder="https://app.example.com" />
              </Field>
              <Field label="File columns mapped to no field" errs={top('settings.unmapped_columns')}>
                <select value={draft.unmappedColumns || 'drop'} onChange={(e) => edit((d) => ({ ...d, unmappedColumns: e.target.value === 'drop' ? '' : e.target.value }))}>
                  <option value="drop">drop them</option>
                  <option value="keep">keep them under custom</option>
                </select>
              </Field>
            </div>
          </section>

          <MatchingCard draft={draft} edit={edit} errs={(f) => (touched ? top(f) : [])} />

          <BrandingCard
            branding={draft.branding}
            lang={lang}
            onLang={setLang}
            onChange={(b) => edit((d) => ({ ...d, branding: b }))}
            serverErrors={touched ? errors.filter((e) => e.column === null && e.field.startsWith('branding')).map((e) => `${e.field}: ${e.message}`) : []}
          />

          <div className="ied-cols-head">
            <h2>Columns <span className="muted">({draft.columns.length})</span></h2>
            {touched && <Errs list={top('columns')} />}
          </div>
          {draft.columns.map((col, i) => (
            <ColumnCard
              key={col.id}
              col={col}
              index={i}
              count={draft.columns.length}
              errors={touched ? errors.filter((e) => e.column === i) : []}
              edit={edit}
            />
          ))}
          <button type="button" className="button ied-add-col" onClick={() => edit(addColumn)}>+ Add column</button>
        </div>
        <LivePreview definition={definition} lang={lang} />
        </div>
      )}
    </div>
  );
}

// Update instead of duplicate (docs/matching.md): the columns that identify a record (match_on, in
// the order chosen) and whose earlier records a row is matched against.
function MatchingCard({ draft, edit, errs }: { draft: Draft; edit: (fn: (d: Draft) => Draft) => void; errs: (field: string) => FieldError[] }) {
  const on = draft.matching.match_on ?? [];
  const scope = draft.matching.match_scope || 'org';
  const keys = draft.columns.map((c) => c.key).filter(Boolean);
  const stale = on.filter((k) => !keys.includes(k)); // a key no column has (e.g. from the YAML): shown so it can be unchecked
  return (
    <section className="card ied-card" aria-label="Matching">
      <h2>Matching</h2>
      <p className="muted ied-card-intro">
        A re-import updates the records it already has instead of duplicating them: each row is marked new, update or
        unchanged against the last submitted record with the same values in these columns.
      </p>
      <div className="ied-grid">
        <Field label="Match on" errs={errs('match_on')} hint={on.length ? `key: ${on.join(' + ')}` : 'none checked: every row is a new record'} wide>
          <div className="ied-checks" role="group" aria-label="Match on">
            {[...keys, ...stale].map((k) => (
              <label key={k} className="ied-check">
                <input type="checkbox" checked={on.includes(k)} onChange={(e) => edit((d) => setMatchColumn(d, k, e.target.checked))} />
                {k}
              </label>
            ))}
          </div>
        </Field>
        <Field label="Scope" errs={errs('match_scope')} hint={!on.length ? 'check a column first' : scope === 'user' ? "each end user's own earlier imports" : 'every earlier import of this importer'}>
          <select value={scope} disabled={!on.length} onChange={(e) => edit((d) => setMatching(d, { match_scope: e.target.value === 'org' && !d.matching.match_scope ? undefined : e.target.value }))}>
            <option value="org">org</option>
            <option value="user">user</option>
          </select>
        </Field>
        {scope === 'user' && on.length > 0 && (
          <Field label="User key" errs={errs('match_user_key')} hint="the session metadata key naming the user (empty: user_id)">
            <input value={draft.matching.match_user_key ?? ''} onChange={(e) => edit((d) => setMatching(d, { match_user_key: e.target.value }))} placeholder="user_id" />
          </Field>
        )}
      </div>
    </section>
  );
}

function Field({ label, errs = [], hint, wide, children }: { label: string; errs?: FieldError[]; hint?: string; wide?: boolean; children: ReactNode }) {
  return (
    <label className={`ied-field${wide ? ' wide' : ''}${errs.length ? ' invalid' : ''}`}>
      <span className="ied-label">{label}</span>
      {children}
      {hint && !errs.length && <span className="ied-hint">{hint}</span>}
      <Errs list={errs} />
    </label>
  );
}

function Errs({ list, full }: { list: FieldError[]; full?: boolean }) {
  if (!list.length) return null;
  return (
    <ul className={full ? 'ied-errs notice notice-error' : 'ied-errs'} role="alert">
      {list.map((e, i) => <li key={i} className="field-error">{full ? e.text || e.message : (e.field.includes('[') || e.field.includes('.') ? `${e.field}: ` : '') + e.message}</li>)}
    </ul>
  );
}

const COLUMN_FIELDS = ['key', 'label', 'type', 'unique', 'unique_with', 'default', 'alternates', 'values', 'pattern', 'validations', 'transformations'];

function ColumnCard({ col, index, count, errors, edit }: {
  col: DraftColumn;
  index: number;
  count: number;
  errors: FieldError[];
  edit: (fn: (d: Draft) => Draft) => void;
}) {
  const at = (field: string) => errorsFor(errors, index, field);
  const set = (patch: Partial<DraftColumn>) => edit((d) => updateColumn(d, col.id, patch));
  const rest = errors.filter((e) => !COLUMN_FIELDS.some((f) => e.field === f || e.field.startsWith(f + '.') || e.field.startsWith(f + '[')));
  const temporal = col.type === 'date' || col.type === 'datetime' || col.type === 'time';
  return (
    <section className={`card ied-col${errors.length ? ' has-errors' : ''}`} data-column={col.key} aria-label={`Column ${col.key}`}>
      <header className="ied-col-head">
        <span className="ied-col-num">{index + 1}</span>
        <strong>{col.label || col.key || 'Untitled column'}</strong>
        <code className="muted">{col.key}</code>
        <span className="imp-chip">{col.type}</span>
        {col.required && <span className="imp-chip">required</span>}
        <span className="ied-col-tools">
          <button type="button" className="button small" aria-label={`Move ${col.key} up`} disabled={index === 0} onClick={() => edit((d) => moveColumn(d, col.id, -1))}>↑</button>
          <button type="button" className="button small" aria-label={`Move ${col.key} down`} disabled={index === count - 1} onClick={() => edit((d) => moveColumn(d, col.id, 1))}>↓</button>
          <button type="button" className="button small ied-danger" aria-label={`Remove ${col.key}`} onClick={() => edit((d) => removeColumn(d, col.id))}>Remove</button>
        </span>
      </header>
      <Errs list={rest} />
      <div className="ied-grid cols-4">
        <Field label="Key" errs={at('key')}><input value={col.key} onChange={(e) => set({ key: e.target.value })} /></Field>
        <Field label="Label" errs={at('label')}><input value={col.label} onChange={(e) => set({ label: e.target.value })} /></Field>
        <Field label="Type" errs={at('type')}>
          <select value={col.type} onChange={(e) => set({ type: e.target.value })}>
            {COLUMN_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </Field>
        <Field label="Required">
          <span className="ied-check"><input type="checkbox" checked={col.required} onChange={(e) => set({ required: e.target.checked })} /> must have a value</span>
        </Field>
        <Field label="Unique" errs={at('unique')}>
          <select value={col.unique} onChange={(e) => set({ unique: e.target.value })}>
            <option value="">no</option>
            <option value="case_sensitive">case sensitive</option>
            <option value="case_insensitive">case insensitive</option>
          </select>
        </Field>
        <Field label="Unique with" errs={at('unique_with')} hint="other keys, comma separated">
          <input value={col.uniqueWith} onChange={(e) => set({ uniqueWith: e.target.value })} />
        </Field>
        <Field label="Default" errs={at('default')}><input value={col.default} onChange={(e) => set({ default: e.target.value })} /></Field>
        {temporal ? (
          <Field label="Pattern" errs={at('pattern')} hint="e.g. MM/dd/yyyy, HH:mm">
            <input value={col.pattern} onChange={(e) => set({ pattern: e.target.value })} />
          </Field>
        ) : at('pattern').length > 0 ? (
          <Field label="Pattern" errs={at('pattern')}><input value={col.pattern} onChange={(e) => set({ pattern: e.target.value })} /></Field>
        ) : <span />}
        <Field label="Alternates" errs={at('alternates')} hint="other header names, comma separated" wide>
          <input value={col.alternates} onChange={(e) => set({ alternates: e.target.value })} />
        </Field>
        <Field label="Description" wide><input value={col.description} onChange={(e) => set({ description: e.target.value })} /></Field>
        <Field label="Example" hint="shown on the upload step and in the template file"><input value={col.example} onChange={(e) => set({ example: e.target.value })} /></Field>
      </div>

      {(col.type === 'enum' || col.values.length > 0) && (
        <div className="ied-list">
          <div className="ied-list-head">
            <h3>Values</h3>
            <button type="button" className="button small" onClick={() => edit((d) => addItem(d, col.id, 'values'))}>+ Value</button>
          </div>
          <Errs list={at('values').filter((e) => !/^values\[\d+\]/.test(e.field))} />
          {col.values.map((v, k) => (
            <div className="ied-row" key={v.id}>
              <input aria-label="Value" placeholder="value" value={v.value} onChange={(e) => edit((d) => updateItem(d, col.id, 'values', v.id, { value: e.target.value }))} />
              <input aria-label="Value label" placeholder="label" value={v.label} onChange={(e) => edit((d) => updateItem(d, col.id, 'values', v.id, { label: e.target.value }))} />
              <input aria-label="Value alternates" className="grow" placeholder="alternates, comma separated" value={v.alternates} onChange={(e) => edit((d) => updateItem(d, col.id, 'values', v.id, { alternates: e.target.value }))} />
              <button type="button" className="button small" aria-label="Remove value" onClick={() => edit((d) => removeItem(d, col.id, 'values', v.id))}>×</button>
              <Errs list={at(`values[${k}]`)} />
            </div>
          ))}
        </div>
      )}

      <div className="ied-list">
        <div className="ied-list-head">
          <h3>Validations</h3>
          <button type="button" className="button small" onClick={() => edit((d) => addItem(d, col.id, 'validations'))}>+ Validation</button>
        </div>
        {col.validations.map((v, k) => (
          <div className="ied-row" key={v.id} data-validation={k}>
            <select aria-label="Validation" value={v.type} onChange={(e) => edit((d) => updateItem(d, col.id, 'validations', v.id, { type: e.target.value }))}>
              {VALIDATORS.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
            <input aria-label="Validation value" placeholder={NO_VALUE.has(v.type) ? 'no value' : 'value'} disabled={NO_VALUE.has(v.type)} value={v.value} onChange={(e) => edit((d) => updateItem(d, col.id, 'validations', v.id, { value: e.target.value }))} />
            <input aria-label="Validation message" className="grow" placeholder="message shown to the user (optional)" value={v.message} onChange={(e) => edit((d) => updateItem(d, col.id, 'validations', v.id, { message: e.target.value }))} />
            <select aria-label="Severity" value={v.severity} onChange={(e) => edit((d) => updateItem(d, col.id, 'validations', v.id, { severity: e.target.value }))}>
              <option value="">error</option>
              <option value="warning">warning</option>
            </select>
            <button type="button" className="button small" aria-label="Remove validation" onClick={() => edit((d) => removeItem(d, col.id, 'validations', v.id))}>×</button>
            <Errs list={at(`validations[${k}]`)} />
          </div>
        ))}
      </div>

      <div className="ied-list">
        <div className="ied-list-head">
          <h3>Transformations <span className="muted">(on submit, in order)</span></h3>
          <button type="button" className="button small" onClick={() => edit((d) => addItem(d, col.id, 'transformations'))}>+ Transformation</button>
        </div>
        {col.transformations.map((t, k) => (
          <div className="ied-row" key={t.id}>
            <select aria-label="Transformation" value={t.type} onChange={(e) => edit((d) => updateItem(d, col.id, 'transformations', t.id, { type: e.target.value }))}>
              {TRANSFORMERS.map((x) => <option key={x} value={x}>{x}</option>)}
            </select>
            <input aria-label="Transformation value" placeholder={NO_VALUE.has(t.type) ? 'no value' : t.type === 'prefix' ? 'https://' : t.type === 'autoformat' ? 'yyyy-MM-dd' : 'value'} disabled={NO_VALUE.has(t.type)} value={t.value} onChange={(e) => edit((d) => updateItem(d, col.id, 'transformations', t.id, { value: e.target.value }))} />
            <button type="button" className="button small" aria-label="Remove transformation" onClick={() => edit((d) => removeItem(d, col.id, 'transformations', t.id))}>×</button>
            <Errs list={at(`transformations[${k}]`)} />
          </div>
        ))}
      </div>
    </section>
  );
}
