// The dashboard's charts: small SVG components (no charting library; see
// docs/console.md for the measurement behind that choice). Every chart is a
// <figure> whose SVG is a labelled image and whose numbers are also in a
// table under a "Table view" disclosure, for screen readers and for copying.
import type { ReactNode } from 'react';
import { formatDay } from '../../shared/dates';

export interface Series {
  key: string;
  label: string;
  color: string;
  values: number[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** A chart frame: title, the SVG, a legend and the table view. */
export function ChartFigure({ id, title, summary, legend, table, children }: {
  id: string;
  title: string;
  summary: string;
  legend?: Series[];
  table: ReactNode;
  children: ReactNode;
}) {
  return (
    <figure className="card chart" data-chart={id} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">{title}</figcaption>
      <div role="img" aria-label={`${title}: ${summary}`} className="chart-plot">{children}</div>
      {legend && legend.length > 1 && (
        <ul className="chart-legend" aria-hidden="true">
          {legend.map((s) => (
            <li key={s.key}><span className="chart-swatch" style={{ background: s.color }} />{s.label}</li>
          ))}
        </ul>
      )}
      <details className="chart-table">
        <summary>Table view</summary>
        {table}
      </details>
    </figure>
  );
}

/** Short day label: "2026-03-04" -> "4 Mar". */
export function dayLabel(day: string): string {
  return formatDay(day);
}

/** Grouped bars per day, one bar per series. */
export function BarChart({ days, series, height = 160 }: { days: string[]; series: Series[]; height?: number }) {
  const width = 640;
  const pad = { l: 36, r: 8, t: 8, b: 20 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(1, days.length);
  const slot = (width - pad.l - pad.r) / n;
  const barW = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const y = (v: number) => pad.t + (height - pad.t - pad.b) * (1 - v / max);
  const labelEvery = Math.ceil(n / 8);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} className="chart-svg" aria-hidden="true">
      <line x1={pad.l} x2={width - pad.r} y1={y(0)} y2={y(0)} className="chart-axis" />
      <text x={pad.l - 4} y={y(max) + 4} className="chart-tick" textAnchor="end">{fmt(max)}</text>
      <text x={pad.l - 4} y={y(0)} className="chart-tick" textAnchor="end">0</text>
      {days.map((d, i) => (
        <g key={d}>
          {series.map((s, k) => {
            const v = s.values[i] ?? 0;
            const x = pad.l + i * slot + slot * 0.1 + k * barW;
            return v > 0 ? <rect key={s.key} x={x} y={y(v)} width={barW} height={y(0) - y(v)} fill={s.color} /> : null;
          })}
          {i % labelEvery === 0 && (
            <text x={pad.l + i * slot + slot / 2} y={height - 4} className="chart-tick" textAnchor="middle">{dayLabel(d)}</text>
          )}
        </g>
      ))}
    </svg>
  );
}

/** The table view of per-day series. */
export function DayTable({ days, series, caption }: { days: string[]; series: Series[]; caption: string }) {
  return (
    <table className="chart-data">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Day</th>
          {series.map((s) => <th key={s.key} scope="col" data-col={s.key}>{s.label}</th>)}
        </tr>
      </thead>
      <tbody>
        {days.map((d, i) => (
          <tr key={d} data-day={d}>
            <th scope="row">{d}</th>
            {series.map((s) => <td key={s.key} data-col={s.key}>{s.values[i] ?? 0}</td>)}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr data-day="total">
          <th scope="row">Total</th>
          {series.map((s) => <td key={s.key} data-col={s.key}>{s.values.reduce((a, b) => a + b, 0)}</td>)}
        </tr>
      </tfoot>
    </table>
  );
}

/** Horizontal funnel bars: each step's count and its share of the first. */
export function FunnelBars({ steps, counts, started }: { steps: string[]; counts: number[]; started: number }) {
  const base = Math.max(1, started);
  return (
    <div className="funnel" aria-hidden="true">
      {steps.map((s, i) => {
        const pct = Math.round(((counts[i] ?? 0) / base) * 100);
        return (
          <div className="funnel-row" key={s}>
            <span className="funnel-step">{s}</span>
            <span className="funnel-track"><span className="funnel-bar" style={{ width: `${pct}%` }} /></span>
            <span className="funnel-count">{fmt(counts[i] ?? 0)} <span className="muted">({pct}%)</span></span>
          </div>
        );
      })}
    </div>
  );
}

/** A small line of per-day values (delivered) with failures marked under it. */
export function Sparkline({ ok, failed, label }: { ok: number[]; failed: number[]; label: string }) {
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...ok, ...failed);
  const n = Math.max(2, ok.length);
  const px = (i: number) => (i / (n - 1)) * (w - 2) + 1;
  const py = (v: number) => h - 3 - (v / max) * (h - 6);
  const line = ok.map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
  const fline = failed.map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
  const okSum = ok.reduce((a, b) => a + b, 0);
  const failSum = failed.reduce((a, b) => a + b, 0);
  return (
    <svg className="sparkline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img"
      aria-label={`${label}: ${okSum} delivered, ${failSum} failed over ${ok.length} days`}>
      <path d={line} className="spark-ok" />
      {failSum > 0 && <path d={fline} className="spark-fail" />}
    </svg>
  );
}

/** "0.9312" -> "93.1%"; -1 (nothing finished) -> "—". */
export function percent(rate: number): string {
  if (rate < 0 || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}
