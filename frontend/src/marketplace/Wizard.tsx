import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type ConfigField, type Install, type Listing, type Prefill } from './api';
import type { Ctx } from './App';
import { listingUrl } from './events';
import { errorText, plainInstallError, StepLog } from './ui';

type Phase =
  | { kind: 'form'; error?: string; limit?: boolean }
  | { kind: 'running'; install: Install }
  | { kind: 'done'; install: Install };

/** The install wizard: one form from the listing's config fields, then the workflow's progress. */
export default function Wizard({ ctx, listing, prefill, onClose, onDone }: {
  ctx: Ctx;
  listing: Listing;
  prefill?: Prefill;
  onClose: () => void;
  onDone: () => void;
}) {
  const locked = prefill?.locked ?? false;
  const initial = (f: ConfigField) => prefill?.values[f.name] ?? f.default ?? '';
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(listing.config_fields.filter((f) => !f.secret).map((f) => [f.name, initial(f)])),
  );
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [name, setName] = useState(prefill?.name || listing.name);
  const [phase, setPhase] = useState<Phase>({ kind: 'form' });
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const provided = (f: ConfigField) => prefill?.secrets.includes(f.name) ?? false;
  const preset = (f: ConfigField) => (f.secret ? provided(f) : (prefill?.values[f.name] ?? f.default ?? '') !== '');
  const isLocked = (f: ConfigField) => locked && preset(f);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const config: Record<string, string> = {};
    for (const f of listing.config_fields) {
      const v = f.secret ? secrets[f.name] ?? '' : values[f.name] ?? '';
      if (v !== '' && !isLocked(f)) config[f.name] = v;
    }
    try {
      const { install } = await api.startInstall(listing.id, name, config);
      setPhase({ kind: 'running', install });
      await follow(install.id);
    } catch (err) {
      const msg = errorText(err);
      ctx.events.emit('listing_installation_failed', listingUrl(listing.id), msg);
      setPhase({ kind: 'form', error: msg, limit: err instanceof ApiError && err.code === 'ELIMIT' });
    } finally {
      if (alive.current) setBusy(false);
    }
  }

  async function follow(id: string) {
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      if (!alive.current) return;
      const { install } = await api.install(id);
      if (install.status === 'running') {
        setPhase({ kind: 'running', install });
        continue;
      }
      setPhase({ kind: 'done', install });
      if (install.status === 'installed') {
        ctx.events.emit('listing_installation_complete', listingUrl(listing.id), `${install.name} (${install.id})`);
      } else {
        ctx.events.emit('listing_installation_failed', listingUrl(listing.id), install.error);
      }
      onDone();
      return;
    }
  }

  if (phase.kind !== 'form') {
    const inst = phase.install;
    const steps = inst.steps ?? [];
    const done = steps.filter((s) => s.status === 'ok' || s.status === 'failed' || s.status === 'skipped').length;
    const pct = steps.length ? Math.round((done / steps.length) * 100) : 0;
    const title = phase.kind === 'running' ? `Connecting to ${listing.name}…` : inst.status === 'installed' ? `Connected to ${listing.name}` : `We could not connect to ${listing.name}`;
    return (
      <section className="mp-panel mp-wizard" aria-label="Installation progress" data-phase={phase.kind} data-status={inst.status}>
        <h2>{title}</h2>
        <div
          className={`mp-progress mp-progress-${inst.status}`}
          role="progressbar"
          aria-label={`Installing ${listing.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={phase.kind === 'done' ? 100 : pct}
        >
          <div style={{ width: `${phase.kind === 'done' ? 100 : pct}%` }} />
        </div>
        {phase.kind === 'done' && inst.status === 'failed' && (
          <div className="mp-alert mp-alert-error" role="alert">{plainInstallError(inst.error)}</div>
        )}
        {phase.kind === 'done' && inst.status === 'installed' && (
          <div className="mp-alert mp-alert-ok" role="status" data-testid="install-result">
            <p>{inst.destination_id ? `Your records will be sent to ${listing.name} as soon as you import them.` : `${listing.name} is ready to use as “${inst.name}”.`}</p>
            {steps.filter((s) => s.kind === 'notify' && s.detail).map((s) => <p key={s.position}>{s.detail}</p>)}
          </div>
        )}
        {phase.kind === 'running' ? (
          <StepLog steps={steps} />
        ) : (
          <details className="mp-details">
            <summary>Details</summary>
            <StepLog steps={steps} notes={false} />
          </details>
        )}
        {phase.kind === 'done' && (
          <div className="mp-actions">
            <button type="button" className="mp-button mp-button-primary" onClick={() => ctx.go({ view: 'installed' })}>
              View installed
            </button>
            <button type="button" className="mp-button" onClick={onClose}>
              Close
            </button>
          </div>
        )}
      </section>
    );
  }

  return (
    <form className="mp-panel mp-wizard" onSubmit={submit} aria-label={`Install ${listing.name}`}>
      <h2>Install {listing.name}</h2>
      {phase.error && (
        <div className={`mp-alert ${phase.limit ? 'mp-alert-upgrade' : 'mp-alert-error'}`} role="alert" data-testid="install-error">
          {phase.error}
        </div>
      )}
      <label className="mp-field">
        <span className="mp-label">Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        <span className="mp-help">How this connection appears in your installed integrations.</span>
      </label>
      {listing.config_fields.map((f) => (
        <Field
          key={f.name}
          field={f}
          value={f.secret ? secrets[f.name] ?? '' : values[f.name] ?? ''}
          provided={provided(f)}
          locked={isLocked(f)}
          onChange={(v) => (f.secret ? setSecrets((s) => ({ ...s, [f.name]: v })) : setValues((s) => ({ ...s, [f.name]: v })))}
        />
      ))}
      {locked && listing.config_fields.some(preset) && (
        <p className="mp-help">Your plan installs with the preset values. Upgrade to customize them.</p>
      )}
      <div className="mp-actions">
        <button type="submit" className="mp-button mp-button-primary" disabled={busy}>
          {busy ? 'Installing…' : 'Install'}
        </button>
        <button type="button" className="mp-button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Field({ field: f, value, provided, locked, onChange }: {
  field: ConfigField;
  value: string;
  provided: boolean;
  locked: boolean;
  onChange: (v: string) => void;
}) {
  const id = `f-${f.name}`;
  const required = f.required && !provided && !locked;
  let input;
  if (f.secret && (provided || locked)) {
    input = locked ? (
      <input id={id} type="password" value="••••••••" disabled aria-describedby={`${id}-help`} />
    ) : (
      <input
        id={id}
        type="password"
        value={value}
        placeholder="Provided by your app (type to replace)"
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-help`}
      />
    );
  } else if (f.type === 'select') {
    input = (
      <select id={id} value={value} disabled={locked} required={required} onChange={(e) => onChange(e.target.value)}>
        {!f.required && <option value="">—</option>}
        {f.required && value === '' && <option value="">Choose…</option>}
        {(f.options ?? []).map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (f.type === 'textarea') {
    input = <textarea id={id} value={value} disabled={locked} required={required} rows={3} onChange={(e) => onChange(e.target.value)} />;
  } else {
    const type = f.secret ? 'password' : f.type === 'text' ? 'text' : f.type;
    input = (
      <input
        id={id}
        type={type}
        value={value}
        disabled={locked}
        required={required}
        autoComplete={f.secret ? 'off' : undefined}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-help`}
      />
    );
  }
  return (
    <div className="mp-field" data-field={f.name}>
      <label className="mp-label" htmlFor={id}>
        {f.label}
        {f.required && <span className="mp-required" aria-label="required"> *</span>}
      </label>
      {input}
      <span className="mp-help" id={`${id}-help`}>
        {provided ? 'Provided by your app when it signed you in. ' : ''}
        {locked ? 'Preset by your plan. ' : ''}
        {f.help}
      </span>
    </div>
  );
}
