// Date and time display, in one place. The console, the marketplace and the importer show a moment
// with <When iso=…/> (shared/When.tsx): relative, the exact time on hover (formatRelative and
// formatMediumDateTime below). Chart axes name whole UTC days (formatDay). The demo host page keeps
// the browser's own formats (formatLocalDateTime, formatLocalTime), as any host app would.
// shared/one-date-format.test.ts fails when a page formats a date another way.

/** "4 Mar 2026, 10:05" (en-GB, medium date, short time); text that is not a date is shown as is. */
export function formatMediumDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** Date and time in the browser's locale and time zone (Date.prototype.toLocaleString). */
export function formatLocalDateTime(when: string | number | Date): string {
  return new Date(when).toLocaleString();
}

/** Time of day in the browser's locale and time zone (Date.prototype.toLocaleTimeString). */
export function formatLocalTime(when: string | number | Date = new Date()): string {
  return new Date(when).toLocaleTimeString();
}

/**
 * Relative time, "just now", "5 min ago", "3 h ago", "2 days ago", then the date ("4 Mar 2026");
 * in the future "in 5 min". "" or text that is not a date -> "—".
 */
export function formatRelative(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  const s = Math.round((now - t) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  let text: string;
  if (a < 45) return 'just now';
  else if (a < 3600) text = `${Math.round(a / 60)} min`;
  else if (a < 86400) text = `${Math.round(a / 3600)} h`;
  else if (a < 86400 * 14) text = `${Math.round(a / 86400)} day${Math.round(a / 86400) === 1 ? '' : 's'}`;
  else return new Date(t).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
  return future ? `in ${text}` : `${text} ago`;
}

/** A UTC day as the APIs take it: a Date -> "2026-03-04" (the dashboard's range, date inputs). */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A chart's day label: "2026-03-04" -> "4 Mar" (a whole UTC day, not a moment: no relative form). */
export function formatDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const dt = new Date(Date.UTC(y, (m || 1) - 1, d || 1));
  return dt.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}
