// Paged tables: the API's page envelope and the pager under a table. The table styles (ks-table,
// ks-pager and the classes a list page shares) are in table.css.
import './table.css';

/** The pagination block of a paged API answer (the public API's shape). */
export interface Pagination {
  current: number;
  previous: number | null;
  next: number | null;
  limit: number;
  total_pages: number;
  total_count: number;
}

/** A paged API answer: one page of `data` and where it sits. */
export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

/** What the pager reads of a pagination block. */
export type PagerState = Pick<Pagination, 'current' | 'previous' | 'next' | 'total_pages' | 'total_count'>;

/** "Previous · Page 2 of 5 · 93 imports · Next" under a paged table. */
export function Pager({ pagination: p, noun, onPage }: { pagination: PagerState; noun: string; onPage: (n: number) => void }) {
  return (
    <nav className="ks-pager" aria-label={`${noun} pages`}>
      <button type="button" className="button" disabled={p.previous === null} onClick={() => p.previous && onPage(p.previous)}>
        Previous
      </button>
      <span>
        Page {p.current} of {Math.max(p.total_pages, 1)} · {p.total_count.toLocaleString('en-US')} {p.total_count === 1 ? noun : noun + 's'}
      </span>
      <button type="button" className="button" disabled={p.next === null} onClick={() => p.next && onPage(p.next)}>
        Next
      </button>
    </nav>
  );
}
