// Backups: the last backup of this data dir (taken here or with `fusebox backup`), a button that writes
// a new one into the data dir's backups folder (POST /api/admin/backup), and downloads of the backups
// there. A backup is a consistent snapshot taken while the server runs; `fusebox restore` brings it back.
import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { formatBytes } from '../format';
import { backupURL, createBackup, getBackups, type BackupsState } from './api';
import { When } from '../../shared/When';

export default function BackupCard() {
  const [state, setState] = useState<BackupsState | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

  useEffect(() => {
    let stale = false;
    getBackups().then(
      (s) => !stale && setState(s),
      (e: unknown) => !stale && setError(message(e)),
    );
    return () => {
      stale = true;
    };
  }, []);

  async function backUp() {
    setBusy(true);
    setError('');
    try {
      await createBackup();
      setState(await getBackups());
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  const last = state?.last;
  return (
    <section className="card" aria-label="Backups">
      <h2>Backups</h2>
      {!state && !error && <p className="muted" role="status">Loading…</p>}
      {state && (
        <p data-testid="backup-last">
          {last ? (
            <>
              Last backup <When iso={last.created_at} />: <code>{last.path}</code> ({formatBytes(last.size_bytes)},{' '}
              {last.files} files)
            </>
          ) : (
            'No backup yet.'
          )}
        </p>
      )}
      {state && (
        <div className="set-actions">
          <button type="button" className="button primary" disabled={busy} onClick={() => void backUp()}>
            {busy ? 'Backing up…' : 'Back up now'}
          </button>
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {state && state.files.length > 0 && (
        <ul className="backup-files" aria-label="Backups in the data dir">
          {state.files.slice(0, 5).map((f) => (
            <li key={f.name}>
              <a href={backupURL(f.name)} download={f.name}>
                {f.name}
              </a>{' '}
              <span className="muted">{formatBytes(f.size_bytes)}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        A backup holds a consistent snapshot of the database, taken while the server runs, the key files and the
        uploads{state ? <>; the console writes them into <code>{state.folder}</code></> : null}. From a terminal:{' '}
        <code>fusebox backup --data-dir DIR OUT.tar.gz</code>; restore into a new directory with{' '}
        <code>fusebox restore OUT.tar.gz --data-dir NEWDIR</code>.
      </p>
    </section>
  );
}
