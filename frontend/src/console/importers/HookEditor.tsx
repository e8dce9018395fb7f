// Console: the importer editor's Hooks tab — the JavaScript of hooks.row and hooks.column.<key>
// (docs/hooks.md) in a code area with line numbers, and "run on these sample rows": a few rows typed
// in a small table (or pasted as CSV), sent with the unsaved definition to
// POST /api/admin/importers/hooks/try, which runs the hooks in the sandbox imports use and answers
// per row the errors, warnings and changed values. A syntax error (from the editor's live check or
// from a run) is shown under the code with its line marked.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { operations } from '../../shared/api-types/internal';
import { api, ApiError } from '../api';
import type { Hooks, Importer } from './model';
import './HookEditor.css';

export type TryResult = operations['postAdminImportersHooksTry']['responses'][200]['content']['application/json'];
type SampleRow = Record<string, string>;

/** How many JavaScript hooks have a source (the Hooks tab's count). */
export function hookCount(h: Hooks): number {
  return (h.row?.trim() ? 1 : 0) + Object.values(h.column ?? {}).filter((src) => src.trim()).length;
}

/** The server's limit on sample rows per run. */
export const MAX_SAMPLE_ROWS = 100;

const ROW_TEMPLATE = `function (row) {
  // row is {column key: text}. Return nothing, or
  // {errors: {key: "message"}, warnings: {key: "message"}, values: {key: "new text"}}
}`;
const COLUMN_TEMPLATE = `function (value, row) {
  // Return nothing, a message (an error), or {error, warning, value}
}`;

/** A problem the server named for one hook: `hook "row": syntax error at line 2: Unexpected token )`. */
export interface HookProblem {
  hook: string;
  line: number | null;
  message: string;
}

/**
 * The hook problems in a server message (a 422 of /validate or of a run); several are joined with
 * "; ", each maybe after `importer "x": `. Other problems are left out.
 */
export function hookProblems(message: string): HookProblem[] {
  const out: HookProblem[] = [];
  for (const raw of message.split(/; (?=importer "|hook ")/)) {
    const part = raw.replace(/^importer "(?:[^"\\]|\\.)*": /, '').replace(/; and \d+ more$/, '');
    const m = /^hook "([^"]+)": ([\s\S]*)$/.exec(part);
    if (!m) continue;
    const line = /^syntax error at line (\d+): /.exec(m[2]);
    out.push({ hook: m[1], line: line ? Number(line[1]) : null, message: m[2] });
  }
  return out;
}

/** Sample rows to start from: the columns' examples, then two empty rows. */
export function initialRows(columns: { key: string; example?: string }[]): SampleRow[] {
  const first = Object.fromEntries(columns.map((c) => [c.key, c.example ?? '']));
  const empty = Object.fromEntries(columns.map((c) => [c.key, '']));
  return [first, { ...empty }, { ...empty }];
}

function savedRows(key: string): SampleRow[] | null {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(key) ?? 'null');
    return Array.isArray(v) && v.every((r) => r && typeof r === 'object') ? (v as SampleRow[]) : null;
  } catch {
    return null;
  }
}

/** CSV text (first line: column keys) to rows; quotes as in RFC 4180. Unknown keys are an error. */
export function parseCSV(text: string, keys: string[]): { rows: SampleRow[]; error: string } {
  const records: string[][] = [];
  let rec: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      rec.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      rec.push(cell);
      records.push(rec);
      rec = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || rec.length) {
    rec.push(cell);
    records.push(rec);
  }
  const lines = records.filter((r) => r.some((c) => c.trim() !== ''));
  if (lines.length === 0) return { rows: [], error: 'The CSV is empty: the first line names the columns (their keys).' };
  const header = lines[0].map((h) => h.trim());
  const unknown = header.filter((h) => !keys.includes(h));
  if (unknown.length) return { rows: [], error: `Not a column key: ${unknown.join(', ')} (the first line names the columns by key: ${keys.join(', ')}).` };
  const rows = lines.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
  return { rows, error: '' };
}

/** Rows as CSV text with a header line of keys. */
export function toCSV(rows: SampleRow[], keys: string[]): string {
  const q = (s: string) => (/[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s);
  return [keys.join(','), ...rows.map((r) => keys.map((k) => q(r[k] ?? '')).join(','))].join('\n') + '\n';
}

export default function HookEditor({ definition, hooks, onChange, problems }: {
  /** The draft as the API takes it (sent with each run; unsaved edits included). */
  definition: Importer;
  hooks: Hooks;
  onChange: (h: Hooks) => void;
  /** Server messages that may name hooks (the editor's live check). */
  problems: string[];
}) {
  const columns = definition.columns;
  const keys = columns.map((c) => c.key);
  const [selected, setSelected] = useState('row');
  // The sample rows outlive a switch to another tab of the editor (kept for this browser tab).
  const storeKey = `fusebox.hookSamples.${definition.slug}`;
  const [rows, setRows] = useState<SampleRow[]>(() => savedRows(storeKey) ?? initialRows(columns));
  useEffect(() => {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(rows));
    } catch {
      // storage full or disabled: the rows are only kept while the tab is open
    }
  }, [storeKey, rows]);
  const [csvMode, setCsvMode] = useState(false);
  const [csv, setCsv] = useState('');
  const [csvError, setCsvError] = useState('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<TryResult | null>(null);
  const [ranWith, setRanWith] = useState('');
  const [runError, setRunError] = useState('');
  const [runProblems, setRunProblems] = useState<HookProblem[]>([]);

  const columnHooks = Object.keys(hooks.column ?? {}).filter((k) => keys.includes(k) || (hooks.column?.[k] ?? '') !== '');
  const tabs = ['row', ...columnHooks.map((k) => `column.${k}`)];
  const current = tabs.includes(selected) ? selected : 'row';
  const source = current === 'row' ? hooks.row ?? '' : hooks.column?.[current.slice('column.'.length)] ?? '';
  const addable = keys.filter((k) => !columnHooks.includes(k));

  // Live problems win over a run's: they are about the text as it is now.
  const live = useMemo(() => problems.flatMap(hookProblems), [problems]);
  const shown = live.length ? live : runProblems;
  const problem = shown.find((p) => p.hook === current);
  const stale = result !== null && ranWith !== JSON.stringify([hooks, rows]);

  function setSource(text: string) {
    if (current === 'row') onChange({ ...hooks, row: text });
    else onChange({ ...hooks, column: { ...hooks.column, [current.slice('column.'.length)]: text } });
  }

  // Arrow keys move between the hook tabs (the tab pattern: one tab stop for the list).
  function onTabKey(e: KeyboardEvent<HTMLDivElement>) {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = tabs[(tabs.indexOf(current) + step + tabs.length) % tabs.length];
    setSelected(next);
    requestAnimationFrame(() => document.getElementById(`hk-tab-${next}`)?.focus());
  }

  function addColumnHook(key: string) {
    if (!key) return;
    onChange({ ...hooks, column: { ...hooks.column, [key]: COLUMN_TEMPLATE } });
    setSelected(`column.${key}`);
  }

  function removeColumnHook(key: string) {
    const column = { ...hooks.column };
    delete column[key];
    onChange({ ...hooks, column });
    setSelected('row');
  }

  function switchToCSV() {
    setCsv(toCSV(rows, keys));
    setCsvError('');
    setCsvMode(true);
  }

  function switchToTable() {
    const parsed = parseCSV(csv, keys);
    if (parsed.error) {
      setCsvError(parsed.error);
      return;
    }
    setCsvError('');
    setRows(parsed.rows);
    setCsvMode(false);
  }

  async function run() {
    let sample = rows;
    if (csvMode) {
      const parsed = parseCSV(csv, keys);
      if (parsed.error) {
        setCsvError(parsed.error);
        return;
      }
      setCsvError('');
      sample = parsed.rows;
      setRows(sample);
    }
    if (sample.length === 0) {
      setRunError('Add a sample row first.');
      return;
    }
    if (sample.length > MAX_SAMPLE_ROWS) {
      setRunError(`At most ${MAX_SAMPLE_ROWS} sample rows can be run at once (there are ${sample.length}).`);
      return;
    }
    setRunning(true);
    setRunError('');
    setRunProblems([]);
    try {
      const out = await api.post<TryResult>('/api/admin/importers/hooks/try', {
        definition,
        rows: sample.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? '']))),
      });
      setResult(out);
      setRanWith(JSON.stringify([hooks, sample]));
    } catch (e) {
      setResult(null);
      const msg = e instanceof Error ? e.message : String(e);
      setRunError(msg);
      if (e instanceof ApiError && e.status === 422) {
        const named = hookProblems(msg);
        setRunProblems(named);
        if (named.length && !named.some((p) => p.hook === current) && tabs.includes(named[0].hook)) setSelected(named[0].hook);
      }
    } finally {
      setRunning(false);
    }
  }

  return (
    <div className="hk">
      <section className="card hk-card" aria-labelledby="hk-code-title">
        <div className="hk-head">
          <h2 id="hk-code-title">JavaScript hooks</h2>
          <p className="muted">
            Run on every row as it is staged and again on every edit, in a sandbox without I/O, timers or network. Column hooks run first, then the row hook.
            See <code>docs/hooks.md</code>.
          </p>
        </div>
        <div className="hk-tabs">
          <div className="hk-tablist" role="tablist" aria-label="Hooks" onKeyDown={onTabKey}>
          {tabs.map((t) => (
            <button
              key={t}
              id={`hk-tab-${t}`}
              type="button"
              role="tab"
              aria-controls="hk-panel"
              tabIndex={t === current ? 0 : -1}
              aria-selected={t === current}
              className={`${t === current ? 'active' : ''}${shown.some((p) => p.hook === t) ? ' bad' : ''}`}
              onClick={() => setSelected(t)}
            >
              {t === 'row' ? 'Row hook' : `Column ${t.slice('column.'.length)}`}
            </button>
          ))}
          </div>
          {addable.length > 0 && (
            <select aria-label="Add a column hook" value="" onChange={(e) => addColumnHook(e.target.value)}>
              <option value="">+ Column hook…</option>
              {addable.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          )}
        </div>
        <div role="tabpanel" id="hk-panel" aria-labelledby={`hk-tab-${current}`}>
        <div className="hk-sig">
          <code>{current === 'row' ? 'hooks.row' : `hooks.column.${current.slice('column.'.length)}`}</code>
          <span className="muted">
            {current === 'row'
              ? '(row) → nothing or {errors, warnings, values}, each keyed by column key'
              : '(value, row) → nothing, a message (an error) or {error, warning, value}'}
          </span>
          <span className="hk-sig-tools">
            {source.trim() === '' && (
              <button type="button" className="button small" onClick={() => setSource(current === 'row' ? ROW_TEMPLATE : COLUMN_TEMPLATE)}>Insert a template</button>
            )}
            {current !== 'row' && (
              <button type="button" className="button small ied-danger" onClick={() => removeColumnHook(current.slice('column.'.length))}>Remove this hook</button>
            )}
          </span>
        </div>
        <CodeArea
          key={current}
          label={`Source of the ${current === 'row' ? 'row hook' : `column hook of ${current.slice('column.'.length)}`}`}
          value={source}
          onChange={setSource}
          badLine={problem?.line ?? null}
          describedBy={problem ? 'hk-problem' : undefined}
        />
        {problem && (
          <p id="hk-problem" className="hk-problem" role="alert">
            {problem.line ? <strong>Line {problem.line}: </strong> : null}
            {problem.line ? problem.message.replace(/^syntax error at line \d+: /, 'syntax error: ') : problem.message}
          </p>
        )}
        {shown.filter((p) => p.hook !== current).map((p) => (
          <p key={p.hook + p.message} className="hk-problem other" role="alert">
            <button type="button" className="linklike" onClick={() => setSelected(p.hook)}>{p.hook === 'row' ? 'Row hook' : `Column ${p.hook.replace(/^column\./, '')}`}</button>
            {p.line ? ` line ${p.line}` : ''}: {p.message.replace(/^syntax error at line \d+: /, 'syntax error: ')}
          </p>
        ))}
        </div>
        <details className="hk-budgets">
          <summary>Budgets</summary>
          <div className="hk-budget-fields">
            <label>Per call <input value={hooks.call_timeout ?? ''} placeholder="100ms" onChange={(e) => onChange({ ...hooks, call_timeout: e.target.value || undefined })} /></label>
            <label>Per import <input value={hooks.import_timeout ?? ''} placeholder="10m" onChange={(e) => onChange({ ...hooks, import_timeout: e.target.value || undefined })} /></label>
            <label>Memory per call <input value={hooks.memory ?? ''} placeholder="64MB" onChange={(e) => onChange({ ...hooks, memory: e.target.value || undefined })} /></label>
          </div>
        </details>
      </section>

      <section className="card hk-card" aria-labelledby="hk-sample-title">
        <div className="hk-sample-head">
          <h2 id="hk-sample-title">Run on these sample rows</h2>
          <div className="hk-tabs small" role="group" aria-label="Sample rows as">
            <button type="button" aria-pressed={!csvMode} className={!csvMode ? 'active' : ''} onClick={() => csvMode && switchToTable()}>Table</button>
            <button type="button" aria-pressed={csvMode} className={csvMode ? 'active' : ''} onClick={() => !csvMode && switchToCSV()}>CSV</button>
          </div>
        </div>
        <p className="muted">
          The unsaved hooks run on these rows with the same sandbox and budgets as imports. Nothing is saved and the validation service is not called. Up to {MAX_SAMPLE_ROWS} rows.
        </p>
        {hooks.validate && (
          <p className="hk-note" data-testid="validate-note">
            During imports this importer also sends rows to its validation service (<code>{hooks.validate.url}</code>); a run here does not call it.
          </p>
        )}
        {csvMode ? (
          <>
            <textarea
              className="hk-csv"
              aria-label="Sample rows as CSV (first line: column keys)"
              rows={Math.min(12, Math.max(4, csv.split('\n').length + 1))}
              value={csv}
              spellCheck={false}
              onChange={(e) => setCsv(e.target.value)}
            />
            {csvError && <p className="hk-problem" role="alert">{csvError}</p>}
          </>
        ) : (
          <div className="hk-table-wrap">
            <table className="hk-table" aria-label="Sample rows">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  {columns.map((c) => <th key={c.key} scope="col" title={c.label}>{c.key}</th>)}
                  <th scope="col"><span className="hk-sr">Remove</span></th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={i}>
                    <th scope="row">{i + 1}</th>
                    {columns.map((c) => (
                      <td key={c.key}>
                        <input
                          aria-label={`Row ${i + 1} ${c.key}`}
                          value={r[c.key] ?? ''}
                          onChange={(e) => setRows((rs) => rs.map((x, j) => (j === i ? { ...x, [c.key]: e.target.value } : x)))}
                        />
                      </td>
                    ))}
                    <td>
                      <button type="button" className="button small" aria-label={`Remove row ${i + 1}`} onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>×</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="hk-actions">
          {!csvMode && (
            <button type="button" className="button" disabled={rows.length >= MAX_SAMPLE_ROWS} onClick={() => setRows((rs) => [...rs, Object.fromEntries(keys.map((k) => [k, '']))])}>+ Row</button>
          )}
          <button type="button" className="button primary" onClick={run} disabled={running}>{running ? 'Running…' : 'Run hooks'}</button>
          {stale && !running && <span className="muted">The hooks or rows changed since this run.</span>}
        </div>
        {runError && !runProblems.length && (
          <div className="notice notice-error hk-run-error" role="alert"><strong>Could not run the hooks.</strong> {runError}</div>
        )}
        <div aria-live="polite">{result && <Results result={result} keys={keys} />}</div>
      </section>
    </div>
  );
}

/** What the hooks said about each sample row: the values after them (changed ones marked) and the findings. */
function Results({ result, keys }: { result: TryResult; keys: string[] }) {
  const withErrors = result.rows.filter((r) => r.errors.length).length;
  const withWarnings = result.rows.filter((r) => r.warnings.length).length;
  const changed = result.rows.filter((r) => r.changed.length).length;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    <div className="hk-results" data-testid="hook-results">
      <p className="hk-summary" role="status">
        {result.hooks.length === 1 ? 'Hook' : 'Hooks'} {result.hooks.join(', ')} on {plural(result.rows.length, 'row', 'rows')}:{' '}
        <span className={withErrors ? 'ied-bad' : ''}>{withErrors} with errors</span>, {withWarnings} with warnings, {changed} with changed values.
      </p>
      <table className="hk-table hk-result-table" aria-label="Hook results">
        <thead>
          <tr>
            <th scope="col">#</th>
            {keys.map((k) => <th key={k} scope="col">{k}</th>)}
            <th scope="col">What the hooks said</th>
          </tr>
        </thead>
        <tbody>
          {result.rows.map((r) => (
            <tr key={r.row} data-row={r.row} className={r.errors.length ? 'has-errors' : r.warnings.length ? 'has-warnings' : ''}>
              <th scope="row">{r.row}</th>
              {keys.map((k) => {
                const bad = r.errors.some((f) => f.column === k);
                const warn = r.warnings.some((f) => f.column === k);
                const ch = r.changed.includes(k);
                return (
                  <td key={k} data-col={k} className={`${bad ? 'bad' : warn ? 'warn' : ''}${ch ? ' changed' : ''}`} title={ch ? 'Changed by a hook' : undefined}>
                    {r.values[k] ?? ''}
                    {ch && <span className="hk-sr"> (changed by a hook)</span>}
                  </td>
                );
              })}
              <td className="hk-findings">
                {r.errors.length + r.warnings.length + r.changed.length === 0 ? <span className="muted">nothing</span> : (
                  <ul>
                    {r.errors.map((f, i) => <li key={`e${i}`} className="err"><span className="hk-sev">Error</span> <code>{f.column}</code>: {f.message}</li>)}
                    {r.warnings.map((f, i) => <li key={`w${i}`} className="warn"><span className="hk-sev">Warning</span> <code>{f.column}</code>: {f.message}</li>)}
                    {r.changed.map((k) => <li key={`c${k}`} className="chg"><span className="hk-sev">Changed</span> <code>{k}</code> → “{r.values[k]}”</li>)}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A plain textarea with a line-number gutter (decorative: aria-hidden), Enter keeping the line's
 * indentation. Tab is left to move focus, so the page stays keyboard navigable. The bad line (a
 * syntax error) is marked in the gutter.
 */
function CodeArea({ label, value, onChange, badLine, describedBy }: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  badLine: number | null;
  describedBy?: string;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = Math.max(1, value.split('\n').length);
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key !== 'Enter' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    const ta = e.currentTarget;
    const start = ta.selectionStart;
    const lineStart = value.lastIndexOf('\n', start - 1) + 1;
    const indent = /^[ \t]*/.exec(value.slice(lineStart, start))?.[0] ?? '';
    const extra = /[{[(]\s*$/.test(value.slice(lineStart, start)) ? '  ' : '';
    if (!indent && !extra) return;
    e.preventDefault();
    const next = value.slice(0, start) + '\n' + indent + extra + value.slice(ta.selectionEnd);
    onChange(next);
    const at = start + 1 + indent.length + extra.length;
    requestAnimationFrame(() => ta.setSelectionRange(at, at));
  }
  return (
    <div className={`hk-code${badLine ? ' invalid' : ''}`}>
      <div className="hk-gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} className={badLine === i + 1 ? 'bad' : undefined}>{i + 1}</div>
        ))}
      </div>
      <textarea
        aria-label={label}
        aria-invalid={badLine ? true : undefined}
        aria-describedby={describedBy}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        rows={Math.min(24, Math.max(8, lines + 1))}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </div>
  );
}
