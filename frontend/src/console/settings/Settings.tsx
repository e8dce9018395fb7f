// Console: Settings — the server's facts (GET /api/admin/dashboard), backups (BackupCard), the demo app switch
// (GET/PUT /api/admin/demo) and the workspace file:
// export it (GET /api/admin/workspace, text/yaml) and apply a pasted or uploaded YAML/JSON file
// (POST /api/admin/workspace with the raw text as the body: a string, never FormData or a Blob,
// which crash WebKitGTK in the desktop window). Applying shows the change lines or the error with
// the line/path the server names.
import { useEffect, useState, type ChangeEvent } from 'react';
import { getDashboard, type Dashboard } from '../dashboard/api';
import { PageHeader } from '../components';
import { applyWorkspace, exportWorkspace, getDemo, setDemo, type DemoState } from './api';
import BackupCard from './BackupCard';
import CleanupCard from './CleanupCard';
import { formatBytes, formatDuration } from '../format';
import '../importers/ImporterEditor.css';
import './Settings.css';
import { useUnsavedGuard } from '../useUnsavedGuard';

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

export default function Settings() {
  const [dash, setDash] = useState<Dashboard | null>(null);
  const [dashError, setDashError] = useState('');
  const [applied, setApplied] = useState(0);

  useEffect(() => {
    let stale = false; // not aborted: a page left quickly would log a failed request
    getDashboard().then(
      (d) => !stale && setDash(d),
      (e: unknown) => !stale && setDashError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, []);

  return (
    <div className="ied">
      <PageHeader title="Settings" subtitle="This Fusebox server and its workspace file." />
      <div className="set-grid">
        <section className="card server-card" aria-label="Server">
          <h2>Server</h2>
          {dashError && <p className="field-error" role="alert">{dashError}</p>}
          {!dash && !dashError && <p className="muted" role="status">Loading…</p>}
          {dash && (
            <dl className="facts" data-testid="server-facts">
              <dt>Version</dt><dd>{dash.version}</dd>
              <dt>Data directory</dt><dd><code>{dash.data_dir}</code></dd>
              <dt>Database</dt><dd><code>{dash.db_path}</code></dd>
              <dt>Database size</dt><dd>{formatBytes(dash.db_size_bytes)}</dd>
              <dt>Schema version</dt><dd>{dash.schema_version}</dd>
              <dt>Uptime</dt><dd>{formatDuration(dash.uptime_seconds)}</dd>
            </dl>
          )}
        </section>
        <DemoCard refresh={applied} />
        <BackupCard />
        <CleanupCard />
        <ExportCard />
        <ApplyCard onApplied={() => setApplied((n) => n + 1)} />
      </div>
    </div>
  );
}

// The demo app (/demo) issues importer sessions and signs marketplace links without a login, so it runs
// only while the demo workspace is in force; the switch turns it off sooner.
function DemoCard({ refresh }: { refresh: number }) {
  const [state, setState] = useState<DemoState | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let stale = false;
    getDemo().then(
      (d) => !stale && setState(d),
      (e: unknown) => !stale && setError(errMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [refresh]);

  async function toggle(enabled: boolean) {
    setBusy(true);
    setError('');
    try {
      setState(await setDemo(enabled));
    } catch (e) {
      setError(errMessage(e));
      try {
        setState(await getDemo());
      } catch {
        // keep the last state shown
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-label="Demo app">
      <h2>Demo app</h2>
      {!state && !error && <p className="muted" role="status">Loading…</p>}
      {state && (
        <>
          <label className="set-switch">
            <input
              type="checkbox"
              role="switch"
              checked={state.available && state.enabled}
              disabled={busy || !state.available}
              onChange={(e) => void toggle(e.target.checked)}
            />{' '}
            Demo app routes (/demo)
          </label>
          <p data-testid="demo-state">
            {state.on
              ? <>On: {state.url ? <a href={state.url} target="_blank" rel="noreferrer">{state.url}</a> : '/demo'}</>
              : <>Off: {state.reason}</>}
          </p>
        </>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      <p className="muted">
        The demo app plays a customer&apos;s web app: without any login it issues importer sessions and signs marketplace
        links for the demo workspace. It runs only while the demo workspace is what this data dir holds (applying a
        workspace of your own turns it off for good), on a loopback address, and while this switch is on.
      </p>
    </section>
  );
}

function ExportCard() {
  const [yaml, setYaml] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function load() {
    setBusy(true);
    setError('');
    setCopied(false);
    try {
      setYaml(await exportWorkspace());
    } catch (e) {
      setError(errMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(yaml);
      setCopied(true);
    } catch {
      setError('The clipboard is not available here; select the text and copy it.');
    }
  }

  return (
    <section className="card" aria-label="Export the workspace">
      <h2>Export the workspace file</h2>
      <p className="muted">
        Importers, destinations and the marketplace as one YAML file to keep in git. <code>fusebox apply FILE</code> or
        Apply below takes it back unchanged.
      </p>
      <div className="set-actions">
        <button type="button" className="button primary" onClick={load} disabled={busy}>{busy ? 'Exporting…' : yaml ? 'Export again' : 'Export'}</button>
        <a className="button" href="/api/admin/workspace?download=1" download="fusebox-workspace.yaml">Download YAML</a>
        {yaml && <button type="button" className="button" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>}
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {yaml && (
        <div className="ied-yaml">
          <pre data-testid="workspace-yaml">{yaml}</pre>
        </div>
      )}
    </section>
  );
}

function ApplyCard({ onApplied }: { onApplied?: () => void }) {
  const [text, setText] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [changes, setChanges] = useState<string[] | null>(null);
  const [error, setError] = useState('');
  // A file read or text pasted but not applied yet.
  useUnsavedGuard(text.trim() !== '' && changes === null, 'the workspace file to apply');

  async function onFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > 2 << 20) {
      setError(`${file.name} is larger than 2 MiB, the limit for a workspace file.`);
      return;
    }
    setText(await file.text());
    setName(file.name);
    setChanges(null);
    setError('');
  }

  async function apply() {
    setBusy(true);
    setError('');
    setChanges(null);
    try {
      setChanges(await applyWorkspace(text, name));
      onApplied?.();
    } catch (e) {
      setError(errMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-label="Apply a workspace file">
      <h2>Apply a workspace file</h2>
      <p className="muted">
        Paste or choose a YAML (or JSON) workspace file. Everything is checked first: a file with an error anywhere changes
        nothing. Things are created or updated by slug; nothing is deleted.
      </p>
      <textarea
        aria-label="Workspace file"
        rows={12}
        spellCheck={false}
        value={text}
        placeholder={'version: 1\nimporters:\n  - slug: contacts\n    ...'}
        onChange={(e) => {
          setText(e.target.value);
          setChanges(null);
        }}
      />
      <div className="set-actions">
        <button type="button" className="button primary" onClick={apply} disabled={busy || !text.trim()}>{busy ? 'Applying…' : 'Apply'}</button>
        <label className="button set-file">
          Choose file…
          <input type="file" accept=".yaml,.yml,.json,text/yaml,application/json" onChange={onFile} hidden />
        </label>
        {name && <span className="muted">{name}</span>}
      </div>
      {error && (
        <div className="notice notice-error" role="alert">
          <strong>Not applied.</strong>
          <pre className="set-error">{error}</pre>
        </div>
      )}
      {changes && (
        changes.length === 0
          ? <p className="ied-ok" role="status">Applied: nothing to change.</p>
          : (
            <ul className="set-changes" role="status" aria-label="Changes">
              {changes.map((c, i) => <li key={i}>{c}</li>)}
            </ul>
          )
      )}
    </section>
  );
}
