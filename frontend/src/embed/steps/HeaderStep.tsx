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
}: {
  api: EmbedApi;
  slug: string;
  preview: Preview;
  onPreview: (p: Preview) => void;
  onBack: () => void;
  onContinue: () => void;
}) {
  const { t } = useI18n();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const opts = preview.options ?? {};
  const det = preview.detected;
  const isSheet = det.format === 'xlsx';
  const width = Math.max(1, ...preview.rows.map((r) => r.length));

  async function change(next: FileOptions) {
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
        <div className="fbx-preview" role="radiogroup" aria-label={t('header.preview')} aria-busy={busy}>
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
