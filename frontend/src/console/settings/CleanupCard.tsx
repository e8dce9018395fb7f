// The abandoned-import clean-up: imports never submitted are deleted with their uploaded files after an age
// the team sets here (GET/PUT /api/admin/importer/cleanup); the card also shows the last run.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import { getCleanup, runCleanup, setCleanupAge, type CleanupState } from './api';
import { When } from '../../shared/When';
import { useUnsavedGuard } from '../useUnsavedGuard';

/** "168h0m0s" -> "7d", "36h0m0s" -> "36h": the form shows whole days where it can. */
export function ageText(goDuration: string): string {
  const m = /^(\d+)h0m0s$/.exec(goDuration);
  if (!m) return goDuration;
  const h = Number(m[1]);
  return h % 24 === 0 ? `${h / 24}d` : `${h}h`;
}

/** "7d" -> "168h"; other values (Go durations such as "36h") pass through. */
export function ageValue(text: string): string {
  const m = /^\s*(\d+)\s*d\s*$/.exec(text);
  return m ? `${Number(m[1]) * 24}h` : text.trim();
}

export default function CleanupCard() {
  const [state, setState] = useState<CleanupState | null>(null);
  const [age, setAge] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useUnsavedGuard(!!state && age !== ageText(state.max_age), 'the clean-up age');

  useEffect(() => {
    let stale = false;
    getCleanup().then(
      (s) => {
        if (stale) return;
        setState(s);
        setAge(ageText(s.max_age));
      },
      (e: unknown) => !stale && setError(e instanceof ApiError ? e.message : String(e)),
    );
    return () => {
      stale = true;
    };
  }, []);

  async function act(fn: () => Promise<CleanupState>) {
    setBusy(true);
    setError('');
    try {
      const s = await fn();
      setState(s);
      setAge(ageText(s.max_age));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  function save(e: FormEvent) {
    e.preventDefault();
    void act(() => setCleanupAge(ageValue(age)));
  }

  const last = state?.last_run;
  return (
    <section className="card" aria-label="Abandoned imports">
      <h2>Abandoned imports</h2>
      {!state && !error && <p className="muted" role="status">Loading…</p>}
      {state && (
        <form onSubmit={save} className="set-actions set-inline">
          <label htmlFor="cleanup-age">Delete imports never submitted after</label>
          <input id="cleanup-age" value={age} onChange={(e) => setAge(e.target.value)} size={8} aria-label="Clean-up age" placeholder="7d" />
          <button type="submit" className="button primary" disabled={busy}>Save</button>
          <button type="button" className="button" disabled={busy} onClick={() => void act(runCleanup)}>Run now</button>
        </form>
      )}
      <p data-testid="cleanup-last">
        {last
          ? <>Last run <When iso={last.at} />: {last.deleted} deleted{last.error ? ` (error: ${last.error})` : ''}</>
          : state && 'Not run yet.'}
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      <p className="muted">
        Imports still at the upload, mapping or review step and untouched this long are deleted with their uploaded
        files, hourly. At least 1h; e.g. 7d or 36h.
      </p>
    </section>
  );
}
