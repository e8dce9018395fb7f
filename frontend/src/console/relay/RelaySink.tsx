import { useCallback, useEffect, useRef, useState } from 'react';
import { navigate } from '../router';
import { relayApi, type SinkRequest, type SinkSummary } from './api';
import { ErrorBox } from './RelayDestinations';
import { When } from '../../shared/When';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The built-in sink: what /sink/{name} received, newest first. */
export default function RelaySink({ name }: { name: string }) {
  const [sinks, setSinks] = useState<SinkSummary[]>([]);
  const [reqs, setReqs] = useState<SinkRequest[] | null>(null);
  const [summary, setSummary] = useState<SinkSummary | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<number | null>(null);
  // Headers that carry credentials are masked (here and by the server) until the admin reveals
  // them, per request: the revealed headers come from the server on request (?reveal=1).
  const [revealed, setRevealed] = useState<Record<number, [string, string][]>>({});
  const reveal = async (id: number) => {
    if (revealed[id]) {
      setRevealed(({ [id]: _, ...rest }) => rest);
      return;
    }
    try {
      const r = await relayApi.sink(summary?.name ?? name, true);
      const hit = r.requests.find((x) => x.id === id);
      if (hit) setRevealed((m) => ({ ...m, [id]: hit.headers as [string, string][] }));
    } catch (e) {
      setError(message(e));
    }
  };
  // The sink whose requests are shown: switching to another sink opens its
  // newest request, as the first load does, instead of keeping the old one.
  const shown = useRef('');

  const load = useCallback(async () => {
    setError('');
    try {
      const list = await relayApi.sinks();
      setSinks(list);
      const current = name || list[0]?.name || '';
      if (current) {
        const r = await relayApi.sink(current);
        setReqs(r.requests);
        setSummary(r.sink);
        const switched = shown.current !== current;
        shown.current = current;
        setOpen((o) => (switched ? null : o) ?? r.requests[0]?.id ?? null);
      } else {
        setReqs([]);
        setSummary(null);
      }
    } catch (e) {
      setError(message(e));
    }
  }, [name]);
  useEffect(() => {
    void load();
  }, [load]);

  const clear = async () => {
    if (!summary) return;
    try {
      await relayApi.clearSink(summary.name);
      await load();
    } catch (e) {
      setError(message(e));
    }
  };

  const current = summary?.name ?? name;
  return (
    <section>
      <p className="rly-muted">
        Any request to <code>/sink/&lt;name&gt;</code> on this server is recorded here (the last 200 per sink, bodies up to 64 KiB; kept in
        memory until restart). Point a destination at <code>/sink/&lt;name&gt;</code> to see exactly what it sends. Values of known secrets
        are shown masked.
      </p>
      <div className="rly-row rly-toolbar">
        <label>
          Sink{' '}
          <select aria-label="Sink" value={current} onChange={(e) => navigate(`/relay/sink/${encodeURIComponent(e.target.value)}`)}>
            {sinks.length === 0 && <option value="">no requests yet</option>}
            {sinks.map((s) => (
              <option key={s.name} value={s.name}>{s.name} ({s.total})</option>
            ))}
          </select>
        </label>
        <button className="button" onClick={load}>Refresh</button>
        {summary && <button className="button" onClick={clear}>Clear</button>}
        {summary && <span className="rly-muted">{summary.total} received, {summary.kept} kept</span>}
      </div>
      <ErrorBox error={error} />
      {reqs && reqs.length === 0 && <p className="rly-muted">Nothing received yet.</p>}
      <ol className="rly-sink">
        {reqs?.map((r) => (
          <li key={r.id} data-id={r.id}>
            <button className="rly-sink-head" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
              <span className="rly-mono"><strong>{r.method}</strong> {r.url}</span>
              <span className="rly-muted"><When iso={r.received_at} /> · {r.body_bytes} bytes</span>
            </button>
            {open === r.id && (
              <div className="rly-sink-body">
                <table className="rly-headers">
                  <tbody>
                    {(revealed[r.id] ?? r.headers).map(([k, v], i) => {
                      const hidden = isSecretHeader(k) && !revealed[r.id];
                      return (
                        <tr key={i} data-header={k.toLowerCase()} data-masked={hidden ? 'true' : undefined}>
                          <th>{k}</th>
                          <td className="rly-mono rly-break">{hidden ? maskValue(v) : v}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                {r.headers.some(([k]) => isSecretHeader(k)) && (
                  <button type="button" className="button rly-small" onClick={() => void reveal(r.id)}>
                    {revealed[r.id] ? 'Hide credentials' : 'Reveal credentials'}
                  </button>
                )}
                <pre className="rly-pre">{pretty(r.body)}</pre>
                {r.truncated && <p className="rly-muted">Truncated: {r.body_bytes} bytes received.</p>}
              </div>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** Header names that carry credentials: Authorization, cookies, API keys, tokens, secrets, signatures. */
export function isSecretHeader(name: string): boolean {
  return /^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password|signature|session|credential|auth/i.test(name);
}

/** "Bearer abc123" -> "Bearer ••••••" (the scheme stays: it is not the secret). */
export function maskValue(v: string): string {
  const m = /^(Bearer|Basic|Token|Digest)\s+/i.exec(v);
  return (m ? m[0] : '') + '••••••';
}
