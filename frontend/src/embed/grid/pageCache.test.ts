import { describe, expect, it } from 'vitest';
import { PageCache, scrollTopFor, viewport, type PageResult } from './pageCache';

interface Call {
  query: string;
  offset: number;
  limit: number;
  signal: AbortSignal;
  resolve: (r: PageResult<number>) => void;
  reject: (e: unknown) => void;
}

/** A fetcher whose answers the test releases by hand; rows are their own position. */
function manualFetcher(total: number) {
  const calls: Call[] = [];
  const fetchPage = (query: string, offset: number, limit: number, signal: AbortSignal) =>
    new Promise<PageResult<number>>((resolve, reject) => calls.push({ query, offset, limit, signal, resolve, reject }));
  const answer = async (c: Call, t = total) => {
    const rows = [];
    for (let i = c.offset; i < Math.min(t, c.offset + c.limit); i++) rows.push(i);
    c.resolve({ rows, total: t });
    await Promise.resolve();
    await Promise.resolve();
  };
  return { calls, fetchPage, answer };
}

describe('PageCache', () => {
  it('grows while rows arrive: full pages stay, the last partial page is fetched again', async () => {
    const f = manualFetcher(250);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(0, 299);
    expect(f.calls.map((x) => x.offset)).toEqual([0, 100, 200]);
    for (const x of f.calls) await f.answer(x);
    expect(c.total).toBe(250);
    expect(c.row(249)).toBe(249);
    const before = f.calls.length;
    c.grow(260);
    expect(c.total).toBe(260);
    // pages 0 and 1 are full and stay; page 2 (rows 200-249 of 250) is fetched again
    expect(f.calls.slice(before).map((x) => x.offset)).toEqual([200]);
    expect(c.row(150)).toBe(150);
    await f.answer(f.calls[before], 260);
    expect(c.row(259)).toBe(259);
    c.grow(100); // smaller: ignored
    expect(c.total).toBe(260);
  });

  it('fetches only the pages on screen, once each', async () => {
    const f = manualFetcher(1_000_000);
    let changes = 0;
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100, onChange: () => changes++ });
    c.ensure(0, 24);
    c.ensure(0, 24);
    expect(f.calls.map((x) => [x.offset, x.limit])).toEqual([[0, 100]]);
    await f.answer(f.calls[0]);
    expect(c.total).toBe(1_000_000);
    expect(c.row(5)).toBe(5);
    expect(c.row(150)).toBeUndefined();
    expect(changes).toBe(1);
    c.ensure(90, 130); // straddles pages 0 and 1: only page 1 is new
    expect(f.calls.map((x) => x.offset)).toEqual([0, 100]);
  });

  it('clamps to the total: the last page of a million rows is requested, nothing beyond', async () => {
    const f = manualFetcher(1_000_000);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 200 });
    c.ensure(0, 10);
    await f.answer(f.calls[0]);
    c.ensure(999_990, 1_000_040);
    expect(f.calls.map((x) => x.offset)).toEqual([0, 999_800]);
    await f.answer(f.calls[1]);
    expect(c.row(999_999)).toBe(999_999);
  });

  it('aborts pages that scrolled away before they arrived (fast scrolling)', async () => {
    const f = manualFetcher(1_000_000);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(0, 20);
    c.ensure(5_000, 5_020);
    c.ensure(500_000, 500_020);
    expect(f.calls[0].signal.aborted).toBe(true);
    expect(f.calls[1].signal.aborted).toBe(true);
    expect(f.calls[2].signal.aborted).toBe(false);
    await f.answer(f.calls[0]); // a late answer for an aborted page is dropped
    expect(c.row(0)).toBeUndefined();
    await f.answer(f.calls[2]);
    expect(c.row(500_010)).toBe(500_010);
  });

  it('keeps at most maxPages pages, dropping the least recently used but never the visible ones', async () => {
    const f = manualFetcher(100_000);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100, maxPages: 3 });
    for (let p = 0; p < 6; p++) {
      c.ensure(p * 100, p * 100 + 10);
      await f.answer(f.calls[p]);
      expect(c.cachedPages).toBeLessThanOrEqual(3);
    }
    expect(c.row(550)).toBe(550); // visible page kept
    expect(c.row(450)).toBe(450);
    expect(c.row(50)).toBeUndefined(); // oldest dropped
    c.ensure(0, 10); // coming back fetches again
    expect(f.calls.at(-1)?.offset).toBe(0);
  });

  it('drops answers of an older query and refetches the visible pages for the new one', async () => {
    const f = manualFetcher(1000);
    const c = new PageCache<string, number>('all', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(0, 20);
    c.setQuery('errors');
    expect(c.total).toBeNull();
    expect(f.calls.map((x) => x.query)).toEqual(['all', 'errors']);
    await f.answer(f.calls[0], 1000);
    expect(c.total).toBeNull();
    await f.answer(f.calls[1], 37);
    expect(c.total).toBe(37);
    expect(c.pagesFor(0, 500)).toEqual([0]);
  });

  it('invalidate keeps the total (no scroll jump) and refetches what is on screen', async () => {
    const f = manualFetcher(1000);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(300, 320);
    await f.answer(f.calls[0]);
    c.invalidate();
    expect(c.total).toBe(1000);
    expect(c.row(310)).toBeUndefined();
    expect(f.calls.map((x) => x.offset)).toEqual([300, 300]);
    await f.answer(f.calls[1], 998);
    expect(c.total).toBe(998);
  });

  it('patches an edited row in place', async () => {
    const f = manualFetcher(1000);
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(0, 10);
    await f.answer(f.calls[0]);
    c.patch(7, -7);
    expect(c.row(7)).toBe(-7);
    expect(c.patchWhere((r) => r === 8, -8)).toBe(true);
    expect(c.row(8)).toBe(-8);
    expect(c.patchWhere((r) => r === 5000, 1)).toBe(false);
  });

  it('reports errors and lets the page be fetched again', async () => {
    const f = manualFetcher(1000);
    const errors: unknown[] = [];
    const c = new PageCache('all', { fetchPage: f.fetchPage, pageSize: 100, onError: (e) => errors.push(e) });
    c.ensure(0, 10);
    f.calls[0].reject(new Error('HTTP 500'));
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    c.ensure(0, 10);
    expect(f.calls).toHaveLength(2);
  });

  it('an empty result asks for page 0 only', async () => {
    const f = manualFetcher(0);
    const c = new PageCache('errors', { fetchPage: f.fetchPage, pageSize: 100 });
    c.ensure(0, 20);
    await f.answer(f.calls[0]);
    expect(c.total).toBe(0);
    expect(c.pagesFor(0, 20)).toEqual([0]);
    c.ensure(0, 20);
    expect(f.calls).toHaveLength(1);
  });
});

describe('viewport', () => {
  it('is exact below the scroll limit', () => {
    const v = viewport(1000, 32, 320, 640);
    expect(v).toEqual({ scrollHeight: 32_000, first: 10, last: 29, offsetTop: 320 });
  });

  it('scales a million rows into the scroll limit and reaches the very last row', () => {
    const total = 1_000_000;
    const top = viewport(total, 32, 0, 640);
    expect(top.scrollHeight).toBe(8_000_000);
    expect(top.first).toBe(0);
    const end = viewport(total, 32, 8_000_000, 640);
    expect(end.last).toBe(total - 1);
    expect(end.first).toBe(total - 20);
    // the rows on screen are laid out from offsetTop, which stays inside the scroll content
    expect(end.offsetTop + (end.last - end.first + 1) * 32).toBeLessThanOrEqual(end.scrollHeight + 32);
    const mid = viewport(total, 32, 4_000_000 - 320, 640);
    expect(mid.first).toBeGreaterThan(499_000);
    expect(mid.first).toBeLessThan(501_000);
  });

  it('scrollTopFor inverts viewport', () => {
    for (const total of [50, 10_000, 1_000_000]) {
      for (const index of [0, 7, Math.floor(total / 2), total - 30]) {
        const st = scrollTopFor(index, total, 32, 640);
        expect(viewport(total, 32, st, 640).first).toBe(index);
      }
    }
  });

  it('handles an empty grid', () => {
    expect(viewport(0, 32, 0, 640)).toEqual({ scrollHeight: 0, first: 0, last: -1, offsetTop: 0 });
  });
});
