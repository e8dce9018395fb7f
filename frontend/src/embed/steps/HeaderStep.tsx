import { useState } from 'react';
import type { EmbedApi, FileOptions, Preview } from '../api';
import { ErrorBanner, StepLayout, useI18n } from '../ui';

const ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-1', 'utf-16le', 'utf-16be'];
const DELIMITERS: { value: string; key: 'delim.comma' | 'delim.semicolon' | 'delim.tab' | 'delim.pipe' }[] = [
  { value: ',', key: 'delim.comma' },
  { value: ';', key: 'delim.semicolon' },
  { value: 'tab', key: 'delim.tab' },
  { value: '|', key: 'delim.pipe' },
];

/** What choosing the current header row costs, when it looks like a title or is mostly blank. */
export interface HeaderCheck {
  /** Columns that have data below the header row. */
  total: number;
  /** Of those, the ones the header row names. */
  named: number;
  /** A better header row (1-based), when one is in the preview. */
  better?: number;
}

const filled = (row: string[] | undefined) => (row ?? []).filter((c) => (c ?? '').trim() !== '').length;

/**
 * Warns when the chosen header row names far fewer columns than the rows below it fill: one
 * non-empty cell among many (a title such as "Account list (confidential)") or under half of them.
 * Unnamed columns are dropped by the mapping, so the check says how many.
 */
export function headerRowCheck(preview: Pick<Preview, 'rows' | 'header_row' | 'detected_header_row'>): HeaderCheck | null {
  const h = preview.header_row;
  const header = preview.rows[h - 1];
  if (!header) return null;
  const below = preview.rows.slice(h, h + 20);
  const used = new Set<number>();
  for (const r of below) r.forEach((c, i) => (c ?? '').trim() !== '' && used.add(i));
  const total = used.size;
  const named = [...used].filter((i) => (header[i] ?? '').trim() !== '').length;
  if (total < 2 || !(named <= 1 || named * 2 < total)) return null;
  // A better row: the detected one when it names more, else the first row below naming most columns.
  let better: number | undefined;
  const det = preview.detected_header_row;
  if (det && det !== h && filled(preview.rows[det - 1]) > named) better = det;
  else {
    for (let i = h; i < Math.min(preview.rows.length, h + 20); i++) {
      if (filled(preview.rows[i]) * 10 >= total * 8) {
        better = i + 1;
        break;
      }
    }
  }
  return { total, named, better };
}

export function HeaderWarning({ check, headerRow, action, onAction }: { check: HeaderCheck; headerRow: number; action?: string; onAction: () => void }) {
  const { t } = useI18n();
  return (
    <div className="fbx-warn" role="status" data-testid="header-warning">
      <span>{t('header.warn.title', { row: headerRow, named: check.named, total: check.total, n: check.total - check.named })}</span>
      {action && (
        <button type="button" className="fbx-button" onClick={onAction}>
          {action}
        </button>
      )}
    </div>
  );
}

function delimName(d: string | undefined): string {
  if (d === '\t' || d === 'tab') return 'tab';
  return d ?? '';
}

export function HeaderStep({
  api,
  slug,
  preview,
  onPreview,
  onBack,
  onContinue,
  confirmChange,
}: {
  api: EmbedApi;
  slug: string;
  preview: Preview;
  onPreview: (p: Preview) => void;
  onBack: () => void;
  onContinue: () => void;
  /** Asked before a change reads the file again (it discards the review's edits); false keeps things as they are. */
  confirmChange?: () => Promise<boolean>;
}) {
  const { t } = useI18n();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const opts = preview.options ?? {};
  const det = preview.detected;
  const isSheet = det.format === 'xlsx';
  const width = Math.max(1, ...preview.rows.map((r) => r.length));

  async function change(next: FileOptions) {
    if (confirmChange && !(await confirmChange())) return;
    setBusy(true);
    setError('');
    try {
      const clean: FileOptions = {};
      if (next.encoding) clean.encoding = next.encoding;
      if (next.delimiter) clean.delimiter = next.delimiter;
      if (next.sheet) clean.sheet = next.sheet;
      if (next.header_row) clean.header_row = next.header_row;
      onPreview(await api.setOptions(slug, clean));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const choose = (row: number) => {
    if (row !== preview.header_row) void change({ ...opts, header_row: row });
  };
  const check = headerRowCheck(preview);

  return (
    <StepLayout
      title={t('header.title')}
      hint={t('header.hint')}
      footer={
        <>
          <button type="button" className="fbx-button" onClick={onBack}>
            {t('app.back')}
          </button>
          <button type="button" className="fbx-button primary" onClick={onContinue} disabled={busy || !!preview.header_error}>
            {t('app.continue')}
          </button>
        </>
      }
    >
      {error && <ErrorBanner message={error} onDismiss={() => setError('')} />}
      {preview.header_error && <ErrorBanner message={preview.header_error} />}
      {check && (
        <HeaderWarning
          check={check}
          headerRow={preview.header_row}
          action={check.better ? t('header.warn.use', { n: check.better }) : undefined}
          onAction={() => check.better && choose(check.better)}
        />
      )}
      <div className="fbx-header-layout">
        <fieldset className="fbx-file-settings" disabled={busy}>
          <legend>{t('header.settings')}</legend>
          <div className="fbx-field">
            <span className="fbx-label">{t('header.format')}</span>
            <span className="fbx-value">{det.format.toUpperCase()}</span>
          </div>
          {isSheet ? (
            <label className="fbx-field">
              <span className="fbx-label">{t('header.sheet')}</span>
              <select value={opts.sheet ?? det.sheet ?? ''} onChange={(e) => void change({ ...opts, sheet: e.target.value, header_row: 0 })}>
                {(det.sheets ?? []).map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <>
              <label className="fbx-field">
                <span className="fbx-label">{t('header.encoding')}</span>
                <select
                  value={opts.encoding ?? ''}
                  onChange={(e) => void change({ ...opts, encoding: e.target.value })}
                  data-testid="encoding"
                >
                  <option value="">{t('header.auto', { value: det.encoding ?? '?' })}</option>
                  {ENCODINGS.map((x) => (
                    <option key={x} value={x}>
                      {x}
                    </option>
                  ))}
                </select>
              </label>
              {det.format !== 'json' && (
                <label className="fbx-field">
                  <span className="fbx-label">{t('header.delimiter')}</span>
                  <select
                    value={delimName(opts.delimiter)}
                    onChange={(e) => void change({ ...opts, delimiter: e.target.value })}
                    data-testid="delimiter"
                  >
                    <option value="">
                      {t('header.auto', { value: t(DELIMITERS.find((d) => d.value === delimName(det.delimiter))?.key ?? 'delim.comma') })}
                    </option>
                    {DELIMITERS.map((d) => (
                      <option key={d.value} value={d.value}>
                        {t(d.key)}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </>
          )}
          {preview.issues && preview.issues.length > 0 && (
            <p className="fbx-warn fbx-small">{t('header.issues', { n: preview.issues.length })}</p>
          )}
        </fieldset>
        <div className="fbx-preview fbx-table-scroll" role="radiogroup" aria-label={t('header.preview')} aria-busy={busy}>
          <table className="fbx-table">
            <tbody>
              {preview.rows.map((row, i) => {
                const n = i + 1;
                const selected = n === preview.header_row;
                return (
                  <tr
                    key={n}
                    className={selected ? 'header-row' : n < preview.header_row ? 'skipped' : undefined}
                    onClick={() => choose(n)}
                  >
                    <th scope="row" className="fbx-rownum">
                      <label className="fbx-radio">
                        <input
                          type="radio"
                          name="header-row"
                          checked={selected}
                          onChange={() => choose(n)}
                          aria-label={t('header.use', { n })}
                        />
                        <span>{n}</span>
                      </label>
                      {n === preview.detected_header_row && <span className="fbx-tag">{t('header.detected')}</span>}
                    </th>
                    {Array.from({ length: width }, (_, c) => (
                      <td key={c}>{row[c] ?? ''}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
          {preview.more && <p className="fbx-muted fbx-small">{t('header.more', { n: preview.rows.length })}</p>}
        </div>
      </div>
    </StepLayout>
  );
}
