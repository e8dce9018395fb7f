// Date and time display, in one place for every surface. Each function keeps the format its pages
// showed when the formatters were gathered here; unifying how dates look is a later, visible change.

/** "2026-03-04T10:05:00Z" -> "2026-03-04 10:05" in the browser's time zone; "" -> "—". */
export function formatWhen(iso?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

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
