import { useEffect, useMemo, useState } from 'react';
import type { ColumnInfo, ColumnSuggestion, EmbedApi, EnumValue, Mapping, MappingChange, MappingView, Preview } from '../api';
import { ErrorBanner, StepLayout, useI18n } from '../ui';
import { HeaderWarning, headerRowCheck } from './HeaderStep';

const REMEMBERED = new Set(['user_memory', 'memory']);

/** Suggestions below this confidence are shown amber ("check it"), at or above it green. */
export const CONFIDENT = 0.9;

/** The badge a suggestion earns: its text key and colour band. */
export function confidenceBand(s: Pick<ColumnSuggestion, 'confidence' | 'source'>): { kind: 'remembered' | 'exact' | 'alternate' | 'good' | 'fair'; pct: number } {
  const pct = Math.round(s.confidence * 100);
  if (REMEMBERED.has(s.source)) return { kind: 'remembered', pct };
  if (s.source === 'alternate') return { kind: 'alternate', pct };
  if (s.source === 'exact' && s.confidence >= 0.999) return { kind: 'exact', pct };
  return { kind: s.confidence >= CONFIDENT ? 'good' : 'fair', pct };
}

function norm(v: string): string {
  return v.trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Levenshtein distance (small strings: enum values). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/** Whether a file value is one of the enum's values (value, label or alternate, in any case). */
export function isAllowed(from: string, values: EnumValue[]): boolean {
  const n = norm(from);
  if (n === '') return true; // empty cells are the required check's business
  return values.some((v) => [v.value, v.label ?? '', ...(v.alternates ?? [])].some((x) => x && norm(x) === n));
}

/** The allowed value closest to a file value (case-insensitive edit distance over value, label and alternates). */
export function nearestAllowed(from: string, values: EnumValue[]): string | undefined {
  const n = norm(from);
  let best: { value: string; d: number } | undefined;
  for (const v of values) {
    for (const name of [v.value, v.label ?? '', ...(v.alternates ?? [])]) {
      if (!name) continue;
      const m = norm(name);
      // containment ("gold plan" ~ "gold") counts as close
      const d = m && (n.includes(m) || m.includes(n)) ? Math.abs(m.length - n.length) / 2 : editDistance(n, m);
      if (!best || d < best.d) best = { value: v.value, d };
    }
  }
  return best?.value;
}

/** Up to `n` distinct non-empty sample values of file column `col` below the header row. */
export function samplesOf(preview: Preview, col: number, n = 3): string[] {
  const out: string[] = [];
  for (const row of preview.rows.slice(preview.header_row)) {
    const v = (row[col] ?? '').trim();
    if (v && !out.includes(v)) out.push(v);
    if (out.length >= n) break;
  }
  return out;
}

/** The starting choice per file column: the confirmed mapping, else the suggestions. */
export function initialChoice(view: MappingView): string[] {
  const choice = view.headers.map(() => '');
  if (view.mapping) {
    for (const m of view.mapping.columns) {
      const i = m.index ?? (m.header !== undefined ? view.headers.indexOf(m.header) : -1);
      if (i >= 0 && i < choice.length) choice[i] = m.key;
    }
    return choice;
  }
  for (const s of view.suggestions.columns) {
    if (s.key && s.index >= 0 && s.index < choice.length) choice[s.index] = s.key;
  }
  return choice;
}

function initialValues(view: MappingView): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, list] of Object.entries(view.values ?? {})) {
    out[key] = {};
    for (const v of list) if (v.to) out[key][v.from] = v.to;
  }
  for (const [key, m] of Object.entries(view.mapping?.values ?? {})) out[key] = { ...out[key], ...m };
  return out;
}

export function MappingStep({
  api,
  slug,
  preview,
  keepUnmapped = false,
  onBack,
  onConfirmed,
}: {
  api: EmbedApi;
  slug: string;
  preview: Preview;
  /** The importer keeps unmapped file columns as custom fields (settings.unmapped_columns: keep). */
  keepUnmapped?: boolean;
  onBack: () => void;
  /** `edits`: for an import coming back from the review, what the new mapping kept of its edits. */
  onConfirmed: (edits?: MappingChange) => void;
}) {
  const { t } = useI18n();
  const [view, setView] = useState<MappingView | null>(null);
  const [choice, setChoice] = useState<string[]>([]);
  const [values, setValues] = useState<Record<string, Record<string, string>>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.mapping(slug).then(
      (v) => {
        if (!live) return;
        setView(v);
        setChoice(initialChoice(v));
        setValues(initialValues(v));
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [api, slug]);

  const byKey = useMemo(() => new Map((view?.columns ?? []).map((c) => [c.key, c])), [view]);
  const suggestionOf = useMemo(() => {
    const m = new Map<number, ColumnSuggestion>();
    for (const s of view?.suggestions.columns ?? []) m.set(s.index, s);
    return m;
  }, [view]);

  if (!view) {
    return (
      <StepLayout title={t('mapping.title')} hint={t('mapping.hint')}>
        {error ? <ErrorBanner message={error} /> : <p className="fbx-muted">…</p>}
      </StepLayout>
    );
  }

  const headerCheck = headerRowCheck(preview);
  const mappedKeys = choice.filter(Boolean);
  const unmappedRequired = view.columns.filter((c) => c.required && !mappedKeys.includes(c.key));
  const dupes = [...new Set(mappedKeys.filter((k, i) => mappedKeys.indexOf(k) !== i))];
  const enumCols = choice
    .map((key, i) => ({ key, i }))
    .filter(({ key }) => key && byKey.get(key)?.type === 'enum')
    .map(({ key, i }) => ({ col: byKey.get(key) as ColumnInfo, fileCol: i }));

  /** File values of an enum column: the server's list (with counts), else the preview's samples. */
  function enumValuesOf(key: string, fileCol: number): { from: string; count?: number }[] {
    const server = view?.values?.[key];
    if (server && server.length > 0) return server.map((v) => ({ from: v.from, count: v.count }));
    return samplesOf(preview, fileCol, 50).map((from) => ({ from }));
  }

  async function confirm() {
    if (!view) return;
    setBusy(true);
    setError('');
    const m: Mapping = { columns: [], values: {} };
    choice.forEach((key, i) => {
      if (key) m.columns.push({ index: i, header: view.headers[i], key });
    });
    for (const { col } of enumCols) {
      const vals = Object.fromEntries(Object.entries(values[col.key] ?? {}).filter(([, to]) => to));
      if (Object.keys(vals).length > 0) m.values![col.key] = vals;
    }
    try {
      const res = await api.confirmMapping(slug, m);
      onConfirmed(res?.edits);
    } catch (e) {
      setBusy(false);
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  function badge(i: number) {
    const s = suggestionOf.get(i);
    if (!s || !s.key || s.key !== choice[i]) return null;
    const b = confidenceBand(s);
    const text =
      b.kind === 'remembered' ? t('mapping.remembered')
      : b.kind === 'exact' ? t('mapping.exact')
      : b.kind === 'alternate' ? t('mapping.alternate')
      : b.kind === 'good' ? t('mapping.match', { pct: b.pct })
      : t('mapping.check', { pct: b.pct });
    return (
      <span className={`fbx-badge ${b.kind}`} data-testid={`badge-${i}`}>
        {text}
      </span>
    );
  }

  // Remembered mappings first, then the rest in file order.
  const order = view.headers
    .map((_, i) => i)
    .sort((a, b) => {
      const ra = REMEMBERED.has(suggestionOf.get(a)?.source ?? '') ? 0 : 1;
      const rb = REMEMBERED.has(suggestionOf.get(b)?.source ?? '') ? 0 : 1;
      return ra - rb || a - b;
    });

  return (
    <StepLayout
      title={t('mapping.title')}
      hint={t('mapping.hint')}
      footer={
        <>
          <button type="button" className="fbx-button" onClick={onBack} disabled={busy}>
            {t('app.back')}
          </button>
          <button
            type="button"
            className="fbx-button primary"
            onClick={() => void confirm()}
            disabled={busy || unmappedRequired.length > 0 || dupes.length > 0}
          >
            {t('app.continue')}
          </button>
        </>
      }
    >
      {error && <ErrorBanner message={error} onDismiss={() => setError('')} />}
      {headerCheck && <HeaderWarning check={headerCheck} headerRow={preview.header_row} action={t('app.back')} onAction={onBack} />}
      {unmappedRequired.length > 0 ? (
        <div className="fbx-alert" role="status" data-testid="unmapped-required">
          {t('mapping.unmappedRequired', { fields: unmappedRequired.map((c) => c.label).join(', ') })}
        </div>
      ) : (
        <div className="fbx-ok" role="status">
          {t('mapping.allMapped')}
        </div>
      )}
      {dupes.map((k) => (
        <div className="fbx-alert" role="alert" key={k}>
          {t('mapping.duplicate', { field: byKey.get(k)?.label ?? k })}
        </div>
      ))}
      <div className="fbx-table-scroll fbx-mapping-scroll">
      <table className="fbx-table fbx-mapping">
        <thead>
          <tr>
            <th scope="col">{t('mapping.fileColumn')}</th>
            <th scope="col">{t('mapping.samples')}</th>
            <th scope="col">{t('mapping.field')}</th>
          </tr>
        </thead>
        <tbody>
          {order.map((i) => {
            const header = view.headers[i];
            const key = choice[i] ?? '';
            const dup = key && dupes.includes(key);
            return (
              <tr key={i} className={key ? undefined : 'ignored'} data-testid={`map-row-${i}`}>
                <th scope="row" className="fbx-file-col">
                  {header}
                </th>
                <td className="fbx-samples">
                  {samplesOf(preview, i).map((s) => (
                    <span key={s} className="fbx-sample">
                      {s}
                    </span>
                  ))}
                </td>
                <td>
                  <div className="fbx-map-target">
                    <select
                      aria-label={t('mapping.selectLabel', { name: header })}
                      aria-describedby={byKey.get(key)?.description ? `map-help-${i}` : undefined}
                      aria-invalid={dup ? true : undefined}
                      value={key}
                      onChange={(e) => setChoice((c) => c.map((v, j) => (j === i ? e.target.value : v)))}
                    >
                      <option value="">{keepUnmapped ? t('mapping.keepCustom') : t('mapping.ignore')}</option>
                      {view.columns.map((c) => (
                        <option key={c.key} value={c.key}>
                          {c.label}
                          {c.required ? ` (${t('mapping.required')})` : ''}
                        </option>
                      ))}
                    </select>
                    {badge(i)}
                  </div>
                  {byKey.get(key)?.description && (
                    <p className="fbx-muted fbx-small fbx-help" id={`map-help-${i}`}>
                      {byKey.get(key)?.description}
                    </p>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
      {enumCols.map(({ col, fileCol }) => {
        const allowed = col.values ?? [];
        const list = enumValuesOf(col.key, fileCol);
        const bad = list.filter(({ from }) => !values[col.key]?.[from] && !isAllowed(from, allowed));
        return (
          <section className="fbx-values" key={col.key} aria-labelledby={`values-${col.key}`}>
            <h2 id={`values-${col.key}`}>{t('mapping.values.title', { field: col.label })}</h2>
            <p className="fbx-muted fbx-small">{t('mapping.values.hint')}</p>
            {bad.length > 0 && (
              <div className="fbx-warn" role="status" data-testid={`values-warn-${col.key}`}>
                {t('mapping.values.notAllowed', { n: bad.length })}
              </div>
            )}
            <div className="fbx-table-scroll">
              <table className="fbx-table">
                <thead>
                  <tr>
                    <th scope="col">{t('mapping.values.from')}</th>
                    <th scope="col">{t('mapping.values.to')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map(({ from, count }) => {
                    const unknown = bad.some((b) => b.from === from);
                    const near = unknown ? nearestAllowed(from, allowed) : undefined;
                    const nearLabel = allowed.find((v) => v.value === near)?.label || near;
                    return (
                      <tr key={from} className={unknown ? 'fbx-not-allowed' : undefined} data-testid={`value-row-${col.key}-${from}`}>
                        <th scope="row">
                          {from === '' ? <span className="fbx-muted">{t('mapping.empty')}</span> : from}
                          {count !== undefined && <span className="fbx-muted fbx-small"> · {t('mapping.values.rows', { n: count })}</span>}
                          {unknown && <span className="fbx-badge fair"> {t('mapping.values.unknown')}</span>}
                        </th>
                        <td>
                          <div className="fbx-map-target">
                            <select
                              aria-label={t('mapping.values.label', { value: from })}
                              value={values[col.key]?.[from] ?? ''}
                              onChange={(e) => setValues((v) => ({ ...v, [col.key]: { ...v[col.key], [from]: e.target.value } }))}
                            >
                              <option value="">{t('mapping.values.keep')}</option>
                              {allowed.map((ev) => (
                                <option key={ev.value} value={ev.value}>
                                  {ev.label && ev.label !== ev.value ? `${ev.label} (${ev.value})` : ev.value}
                                </option>
                              ))}
                            </select>
                            {near && (
                              <button
                                type="button"
                                className="fbx-button fbx-small"
                                onClick={() => setValues((v) => ({ ...v, [col.key]: { ...v[col.key], [from]: near } }))}
                              >
                                {t('mapping.values.nearest', { value: nearLabel ?? near })}
                              </button>
                            )}
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </StepLayout>
  );
}
