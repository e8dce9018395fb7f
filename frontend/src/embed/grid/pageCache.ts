// The review grid's window onto an import's rows. The browser never holds the whole import: rows are
// fetched from the server in pages of `pageSize` as the grid scrolls, and at most `maxPages` pages are
// kept (least recently used go first, never the pages on screen). A change of query (filter, search)
// or an edit on the server starts a new generation: answers for an older generation are dropped.

export interface PageResult<R> {
  rows: R[];
  /** Rows matching the query (the grid's length). */
  total: number;
}

export type PageFetcher<Q, R> = (query: Q, offset: number, limit: number, signal: AbortSignal) => Promise<PageResult<R>>;

export interface PageCacheOptions<Q, R> {
  fetchPage: PageFetcher<Q, R>;
  pageSize?: number;
  maxPages?: number;
  /** Called when rows arrived, the total changed or a fetch failed. */
  onChange?: () => void;
  onError?: (err: unknown) => void;
}

interface Page<R> {
  rows: R[];
  usedAt: number;
}

export class PageCache<Q, R> {
  readonly pageSize: number;
  readonly maxPages: number;
  private readonly fetchPage: PageFetcher<Q, R>;
  private readonly onChange?: () => void;
  private readonly onError?: (err: unknown) => void;

  private query: Q;
  private generation = 0;
  private pages = new Map<number, Page<R>>();
  private inflight = new Map<number, AbortController>();
  private clock = 0;
  private visible: [number, number] = [0, 0];
  private _total: number | null = null;
  /** How many page requests were made (aborted ones included). */
  requests = 0;

  constructor(query: Q, opts: PageCacheOptions<Q, R>) {
    this.query = query;
    this.fetchPage = opts.fetchPage;
    this.pageSize = opts.pageSize ?? 100;
    this.maxPages = Math.max(2, opts.maxPages ?? 40);
    this.onChange = opts.onChange;
    this.onError = opts.onError;
  }

  /** Rows matching the query, or null before the first page arrived. */
  get total(): number | null {
    return this._total;
  }

  get currentQuery(): Q {
    return this.query;
  }

  /** Pages held right now (bounded by maxPages). */
  get cachedPages(): number {
    return this.pages.size;
  }

  /** The row at position `index`, or undefined while its page is not loaded. */
  row(index: number): R | undefined {
    const p = Math.floor(index / this.pageSize);
    const page = this.pages.get(p);
    if (!page) return undefined;
    page.usedAt = ++this.clock;
    return page.rows[index - p * this.pageSize];
  }

  /** Replaces the row at `index` in the cache (an edit answered with the re-validated row). */
  patch(index: number, row: R): void {
    const p = Math.floor(index / this.pageSize);
    const page = this.pages.get(p);
    if (page && index - p * this.pageSize < page.rows.length) page.rows[index - p * this.pageSize] = row;
  }

  /** Finds a cached row (by the caller's predicate) and replaces it; returns whether one was found. */
  patchWhere(match: (r: R) => boolean, row: R): boolean {
    for (const page of this.pages.values()) {
      const i = page.rows.findIndex(match);
      if (i >= 0) {
        page.rows[i] = row;
        return true;
      }
    }
    return false;
  }

  /**
   * More rows exist than the last answer said (the import is still being checked and rows keep
   * arriving): the total grows, a last page that was not full is fetched again, and rows already
   * loaded stay. A smaller total is ignored until the next answer.
   */
  grow(total: number): void {
    if (this._total === null || total <= this._total) return;
    this._total = total;
    for (const [p, page] of this.pages) {
      if (page.rows.length < this.pageSize) this.pages.delete(p);
    }
    this.ensure(this.visible[0], this.visible[1]);
    this.onChange?.();
  }

  /** A new query (filter, search): everything cached is dropped and the visible pages are fetched again. */
  setQuery(query: Q): void {
    this.query = query;
    this.reset(true);
  }

  /**
   * The data changed on the server (edit, replace, delete, undo): drop the cache, keep showing nothing
   * stale, and fetch the visible pages again. The total is kept until the new answer arrives, so the
   * scroll position does not jump.
   */
  invalidate(): void {
    this.reset(false);
  }

  private reset(clearTotal: boolean) {
    this.generation++;
    for (const c of this.inflight.values()) c.abort();
    this.inflight.clear();
    this.pages.clear();
    if (clearTotal) this._total = null;
    this.ensure(this.visible[0], this.visible[1]);
  }

  /** The page numbers covering rows [first, last] (inclusive), clamped to the known total. */
  pagesFor(first: number, last: number): number[] {
    if (last < first) return [];
    let lo = Math.max(0, first);
    let hi = Math.max(lo, last);
    if (this._total !== null) {
      if (this._total === 0) return lo === 0 ? [0] : [];
      hi = Math.min(hi, this._total - 1);
      lo = Math.min(lo, hi);
    }
    const out: number[] = [];
    for (let p = Math.floor(lo / this.pageSize); p <= Math.floor(hi / this.pageSize); p++) out.push(p);
    return out;
  }

  /**
   * Makes sure rows [first, last] are loaded or loading. Requests for pages that left the screen are
   * aborted, so fast scrolling (dragging the scrollbar to the end of a million rows) does not queue
   * every page on the way.
   */
  ensure(first: number, last: number): void {
    this.visible = [first, last];
    const want = new Set(this.pagesFor(first, last));
    for (const [p, c] of this.inflight) {
      if (!want.has(p)) {
        c.abort();
        this.inflight.delete(p);
      }
    }
    for (const p of want) {
      const page = this.pages.get(p);
      if (page) {
        page.usedAt = ++this.clock;
        continue;
      }
      if (!this.inflight.has(p)) this.load(p);
    }
  }

  private load(p: number) {
    const ctrl = new AbortController();
    const gen = this.generation;
    this.inflight.set(p, ctrl);
    this.requests++;
    this.fetchPage(this.query, p * this.pageSize, this.pageSize, ctrl.signal).then(
      (res) => {
        if (gen !== this.generation || ctrl.signal.aborted) return;
        this.inflight.delete(p);
        this.pages.set(p, { rows: res.rows, usedAt: ++this.clock });
        this._total = res.total;
        this.evict();
        this.onChange?.();
      },
      (err: unknown) => {
        if (gen !== this.generation || ctrl.signal.aborted) return;
        this.inflight.delete(p);
        this.onError?.(err);
        this.onChange?.();
      },
    );
  }

  /** Drops least recently used pages beyond maxPages, never the visible ones. */
  private evict() {
    if (this.pages.size <= this.maxPages) return;
    const keep = new Set(this.pagesFor(this.visible[0], this.visible[1]));
    const order = [...this.pages.entries()].filter(([p]) => !keep.has(p)).sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [p] of order) {
      if (this.pages.size <= this.maxPages) break;
      this.pages.delete(p);
    }
  }
}

/**
 * Scroll geometry of a virtualized list whose full height may exceed what a browser can lay out
 * (Chromium stops near 33 million pixels, Firefox near 17 million: a million rows of 32 px is
 * 32 million). Above `maxScrollPx` the scrollbar is scaled: the scroll position maps
 * proportionally onto the rows, and the rows on screen are drawn at their true height.
 */
export interface Viewport {
  /** Height of the scrollable content (the spacer). */
  scrollHeight: number;
  /** First row (partly) on screen. */
  first: number;
  /** Last row (partly) on screen. */
  last: number;
  /** Where, inside the scroll content, the first row's top is drawn. */
  offsetTop: number;
}

export const MAX_SCROLL_PX = 8_000_000;

export function viewport(total: number, rowHeight: number, scrollTop: number, viewHeight: number, maxScrollPx = MAX_SCROLL_PX): Viewport {
  if (total <= 0 || viewHeight <= 0) return { scrollHeight: Math.max(0, total * rowHeight), first: 0, last: -1, offsetTop: 0 };
  const real = total * rowHeight;
  const scrollHeight = Math.min(real, maxScrollPx);
  const maxScroll = Math.max(0, scrollHeight - viewHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  // the position in "real" pixels of the top of the view
  const realMax = Math.max(0, real - viewHeight);
  const pos = maxScroll > 0 ? (top / maxScroll) * realMax : 0;
  const first = Math.min(total - 1, Math.floor(pos / rowHeight + 1e-6));
  const last = Math.min(total - 1, Math.floor((pos + viewHeight - 1) / rowHeight));
  const offsetTop = top - (pos - first * rowHeight);
  return { scrollHeight, first, last, offsetTop };
}

/** The scrollTop that shows row `index` at the top (or as close as the end allows). */
export function scrollTopFor(index: number, total: number, rowHeight: number, viewHeight: number, maxScrollPx = MAX_SCROLL_PX): number {
  const real = total * rowHeight;
  const scrollHeight = Math.min(real, maxScrollPx);
  const maxScroll = Math.max(0, scrollHeight - viewHeight);
  const realMax = Math.max(0, real - viewHeight);
  if (realMax === 0) return 0;
  const pos = Math.min(index * rowHeight, realMax);
  return (pos / realMax) * maxScroll;
}
