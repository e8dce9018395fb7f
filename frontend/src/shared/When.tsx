import { formatMediumDateTime, formatRelative } from './dates';

/** A point in time as the console shows it: relative ("5 min ago"), the exact time on hover. */
export function When({ iso }: { iso?: string }) {
  if (!iso) return <span className="when">—</span>;
  return (
    <time className="when" dateTime={iso} title={formatMediumDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}
