import { useCallback, useEffect, useState } from 'react';
import { relayApi, type Delivery, type DeliveryDetail, type DeliveryFilter, type DestinationView, type Job } from './api';
import { ErrorBox, Pill } from './RelayDestinations';
import { When } from '../../shared/When';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


/** Filters from the hash: #/relay/deliveries?destination=crm&status=failed,dead&from=2026-03-01&to=2026-03-30 */
export function filterFromHash(hash: string): DeliveryFilter {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  return {
    destination: q.get('destination') ?? '', status: q.get('status') ?? '', import: q.get('import') ?? '', uid: q.get('uid') ?? '',
    from: q.get('from') ?? '', to: q.get('to') ?? '',
  };
}

/** Clears the date range, in the list and in the address (the dashboard's links set it). */
function withoutDays(hash: string): string {
  const [path, query = ''] = hash.split('?');
  const q = new URLSearchParams(query);
  q.delete('from');
  q.delete('to');
  return q.size ? `${path}?${q}` : path;
}

const statuses = [
  { value: '', label: 'all statuses' },
  { value: 'failed,dead', label: 'failed / dead' },
  { value: 'pending', label: 'pending' },
  { value: 'delivered', label: 'delivered' },
  { value: 'held', label: 'held (plan limit)' },
  { value: 'discarded', label: 'discarded (invalid token)' },
];

/** Deliveries with filters, the attempt log of one, replay and bulk retry. */
export default function RelayDeliveries() {
  const [filter, setFilter] = useState<DeliveryFilter>(() => filterFromHash(window.location.hash));
  const [list, setList] = useState<Delivery[] | null>(null);
  const [more, setMore] = useState(false);
  const [dests, setDests] = useState<DestinationView[]>([]);
  const [selected, setSelected] = useState<DeliveryDetail | null>(null);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const pageSize = 100;

  const load = useCallback(
    async (f: DeliveryFilter, append?: Delivery[]) => {
      setError('');
      try {
        const before = append && append.length ? append[append.length - 1].id : undefined;
        const page = await relayApi.deliveries({ ...f, before, limit: pageSize });
        setList([...(append ?? []), ...page]);
        setMore(page.length === pageSize);
      } catch (e) {
        setError(message(e));
      }
    },
    [],
  );
  useEffect(() => {
    void load(filter);
  }, [filter, load]);
  useEffect(() => {
    relayApi.destinations().then(setDests, () => setDests([]));
  }, []);

  const open = async (id: number) => {
    setError('');
    try {
      setSelected(await relayApi.delivery(id));
    } catch (e) {
      setError(message(e));
    }
  };
  const replay = async (id: number) => {
    setError('');
    setNote('');
    try {
      await relayApi.replay(id);
      setNote(`Delivery ${id} queued again.`);
      await open(id);
      await load(filter);
    } catch (e) {
      setError(message(e));
    }
  };
  const retryAll = async () => {
    setError('');
    setNote('');
    const statusesToRetry = filter.status === 'held' ? ['held'] : ['failed', 'dead'];
    try {
      const r = await relayApi.retry({ destination_id: filter.destination || undefined, import_slug: filter.import || undefined, statuses: statusesToRetry });
      setNote(`${r.retried} ${r.retried === 1 ? 'delivery' : 'deliveries'} queued again.`);
      await load(filter);
    } catch (e) {
      setError(message(e));
    }
  };
  const set = (p: Partial<DeliveryFilter>) => {
    setSelected(null);
    setFilter({ ...filter, ...p });
  };
  const clearDays = () => {
    window.history.replaceState(null, '', withoutDays(window.location.hash));
    set({ from: '', to: '' });
  };
  const days = filter.from || filter.to;

  return (
    <section>
      <div className="rly-row rly-toolbar rly-filters">
        <label>
          Destination{' '}
          <select aria-label="Destination" value={filter.destination} onChange={(e) => set({ destination: e.target.value })}>
            <option value="">all</option>
            {dests.map((d) => (
              <option key={d.destination.id} value={d.destination.id}>{d.destination.id}</option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select aria-label="Status" value={filter.status} onChange={(e) => set({ status: e.target.value })}>
            {statuses.map((s) => (
              <option key={s.value} value={s.value}>{s.label}</option>
            ))}
          </select>
        </label>
        <input aria-label="Import" placeholder="import slug" value={filter.import} onChange={(e) => set({ import: e.target.value.trim() })} />
        <input aria-label="Idempotency id" placeholder="idempotency id (msg_…)" value={filter.uid} onChange={(e) => set({ uid: e.target.value.trim() })} />
        <button className="button" onClick={() => load(filter)}>Refresh</button>
        <button className="button" onClick={() => set({ status: 'failed,dead' })}>Failed / dead</button>
        <a className="button" href={relayApi.deliveriesCSVUrl(filter)} download>Download CSV</a>
        <button className="button" onClick={retryAll}>
          Retry all {filter.status === 'held' ? 'held' : 'failed'}{filter.destination ? ` of ${filter.destination}` : ''}{days ? ', any day' : ''}
        </button>
      </div>
      {days && (
        <p className="rly-row">
          <span className="rly-filter" data-testid="deliveries-filter">
            created {filter.from || '…'} to {filter.to || '…'} (UTC) · <button type="button" className="rly-link" onClick={clearDays}>clear dates</button>
          </span>
        </p>
      )}
      <ErrorBox error={error} />
      {note && <p className="rly-ok" role="status">{note}</p>}
      {selected && <DeliveryPanel d={selected} onReplay={() => replay(selected.id)} onClose={() => setSelected(null)} />}
      <div className="rly-scroll">
        {list && list.length === 0 && <p className="rly-muted">No deliveries match.</p>}
        {list && list.length > 0 && (
          <table className="rly-table">
            <thead>
              <tr><th>#</th><th>Destination</th><th>Status</th><th>Records</th><th>Attempts</th><th>Reason</th><th>Updated</th></tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-id={d.id} className={selected?.id === d.id ? 'selected clickable' : 'clickable'} onClick={() => open(d.id)}>
                  <td className="rly-mono">{d.id}</td>
                  <td>{d.destination_id}<div className="rly-muted">{d.source}{d.import_slug ? ` · ${d.import_slug}` : ''}</div></td>
                  <td><Pill status={d.status} />{d.in_flight && <div className="rly-muted">sending</div>}</td>
                  <td>{d.records}</td>
                  <td>{d.attempts}{d.last_code ? <span className="rly-muted"> · HTTP {d.last_code}</span> : null}</td>
                  <td className="rly-reason">{d.reason}{d.status === 'pending' && d.next_attempt_at && d.attempts > 0 ? <> — next <When iso={d.next_attempt_at} /></> : ''}</td>
                  <td className="rly-muted"><When iso={d.updated_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {more && list && (
          <button className="button" onClick={() => load(filter, list)}>Load more</button>
        )}
        <JobList />
      </div>
    </section>
  );
}

function DeliveryPanel({ d, onReplay, onClose }: { d: DeliveryDetail; onReplay: () => void; onClose: () => void }) {
  return (
    <aside className="rly-detail" aria-label={`Delivery ${d.id}`}>
      <div className="rly-row">
        <h3>Delivery {d.id}</h3>
        <Pill status={d.status} />
        <button className="button rly-small" onClick={onClose} aria-label="Close">×</button>
      </div>
      <dl className="rly-facts">
        <dt>Idempotency id</dt><dd className="rly-mono">{d.uid}</dd>
        <dt>Destination</dt><dd>{d.destination_id}</dd>
        <dt>Source</dt><dd>{d.source}{d.import_slug ? ` · ${d.import_slug} #${d.seq}` : ''}</dd>
        <dt>Records</dt><dd>{d.records}</dd>
        {d.reason && (<><dt>Reason</dt><dd>{d.reason}</dd></>)}
      </dl>
      {d.status !== 'discarded' && (
        <button className="button button-primary" onClick={onReplay} disabled={d.in_flight}>Replay</button>
      )}
      <h4>Attempt log</h4>
      {d.attempt_log.length === 0 && <p className="rly-muted">No attempts yet.</p>}
      {d.attempt_log.length > 0 && (
        <table className="rly-table rly-attempts">
          <thead><tr><th>#</th><th>Started</th><th>Took</th><th>HTTP</th><th>Outcome</th><th>Error / response</th></tr></thead>
          <tbody>
            {d.attempt_log.map((a) => (
              <tr key={a.n}>
                <td>{a.n}</td>
                <td className="rly-muted"><When iso={a.started_at} /></td>
                <td>{a.duration_ms} ms</td>
                <td>{a.status_code || '—'}</td>
                <td><Pill status={a.outcome} /></td>
                <td className="rly-mono rly-break">{a.error}{a.error && a.response ? ' · ' : ''}{a.response}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>Request</h4>
      {d.request.method && <div className="rly-mono rly-break"><strong>{d.request.method}</strong> {d.request.url}</div>}
      {d.request.headers && (
        <table className="rly-headers">
          <tbody>
            {d.request.headers.map(([k, v], i) => (
              <tr key={i}><th>{k}</th><td className="rly-mono rly-break">{v}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <pre className="rly-pre">{d.request.body}</pre>
      {d.body_truncated && <p className="rly-muted">The body is longer; the start is shown.</p>}
    </aside>
  );
}

/** Import jobs: submitted imports being turned into deliveries. */
function JobList() {
  const [jobs, setJobs] = useState<Job[]>([]);
  useEffect(() => {
    relayApi.jobs().then(setJobs, () => setJobs([]));
  }, []);
  if (jobs.length === 0) return null;
  return (
    <details className="rly-jobs">
      <summary>Import jobs ({jobs.length})</summary>
      <table className="rly-table">
        <thead><tr><th>Import</th><th>Destination</th><th>Status</th><th>Records</th><th>Discarded</th><th>Error</th></tr></thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td className="rly-mono">{j.import_slug}</td>
              <td>{j.destination_id}</td>
              <td><Pill status={j.status} /></td>
              <td>{j.records}</td>
              <td>{j.discarded}</td>
              <td className="rly-reason">{j.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
