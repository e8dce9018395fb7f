import { afterEach, describe, expect, it, vi } from 'vitest';
import { followStaging, followSubmit } from './App';
import type { MappingView, Preview, Progress, Summary } from './api';
import { ApiError, parseByteSize, importerInfo, DEFAULT_MAX_FILE_BYTES } from './api';
import { readBootParams, targetOrigin } from './host';
import { dictionaries, formatBytes, locales, resolveLocale, translator } from './i18n';
import { initialChoice, samplesOf } from './steps/MappingStep';
import { rowsToImport } from './steps/SubmitStep';
import { estimateRows } from './steps/ReviewStep';
import { isColor, safeLogo } from './styles';

/** A stand-in window: a URL, a parent, history.replaceState, optional ancestorOrigins. */
function fakeWindow(href: string, { framed = true, ancestors }: { framed?: boolean; ancestors?: string[] } = {}) {
  const loc = new URL(href);
  const w: Record<string, unknown> = {};
  const location = {
    get href() {
      return loc.toString();
    },
    origin: loc.origin,
    ancestorOrigins: ancestors ? Object.assign([...ancestors], { contains: (s: string) => ancestors.includes(s), item: (i: number) => ancestors[i] }) : undefined,
  };
  const replaced: string[] = [];
  Object.assign(w, {
    location,
    history: {
      state: null,
      replaceState: (_s: unknown, _t: string, url: string) => {
        replaced.push(url);
        const next = new URL(url, loc);
        loc.search = next.search;
        loc.hash = next.hash;
      },
    },
  });
  w.parent = framed ? {} : w;
  return { win: w as unknown as Window, replaced };
}

describe('readBootParams', () => {
  it('takes the host origin the SDK put in the URL when the browser agrees', () => {
    const { win } = fakeWindow('http://127.0.0.1:8787/embed/importer?origin=http%3A%2F%2Flocalhost%3A3000&locale=de', { ancestors: ['http://localhost:3000'] });
    expect(readBootParams(win)).toEqual({ hostOrigin: 'http://localhost:3000', locale: 'de', urlToken: undefined, importer: undefined });
  });

  it('drops a claimed origin that is not the real parent', () => {
    const { win } = fakeWindow('http://127.0.0.1:8787/embed/importer?origin=https%3A%2F%2Fapp.example.com', { ancestors: ['https://evil.example'] });
    expect(readBootParams(win).hostOrigin).toBe('');
  });

  it('has no host when not framed, and refuses non-http origins', () => {
    expect(readBootParams(fakeWindow('http://h/embed/importer?origin=http%3A%2F%2Fa.example', { framed: false }).win).hostOrigin).toBe('');
    expect(readBootParams(fakeWindow('http://h/embed/importer?origin=javascript%3Aalert(1)').win).hostOrigin).toBe('');
  });

  it('removes a token from the URL at once (query or hash) and keeps it for this page only', () => {
    const { win, replaced } = fakeWindow('http://127.0.0.1:8787/embed/importer?token=abc.def.ghi&locale=fr#token=zzz&x=1', { framed: false });
    const p = readBootParams(win);
    expect(p.urlToken).toBe('abc.def.ghi');
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).not.toContain('abc.def.ghi');
    expect(replaced[0]).not.toContain('zzz');
    expect(replaced[0]).toBe('/embed/importer?locale=fr#x=1');
    expect(win.location.href).toBe('http://127.0.0.1:8787/embed/importer?locale=fr#x=1');
  });

  it('does not touch a URL without a token', () => {
    const { win, replaced } = fakeWindow('http://127.0.0.1:8787/embed/importer?origin=http%3A%2F%2F127.0.0.1%3A8787');
    readBootParams(win);
    expect(replaced).toEqual([]);
  });

  it('accepts its own non-http origin (the desktop window) and posts to it with "/"', () => {
    const { win } = fakeWindow('wails://wails/embed/importer?importer=contacts&origin=wails%3A%2F%2Fwails');
    // URL gives "null" as the origin of a custom scheme here; the window reports what the engine says
    (win.location as unknown as { origin: string }).origin = 'wails://wails';
    expect(readBootParams(win).hostOrigin).toBe('wails://wails');
    expect(targetOrigin('wails://wails', win)).toBe('/');
    expect(targetOrigin('http://localhost:3000', win)).toBe('http://localhost:3000');
  });
});

describe('i18n', () => {
  const en = dictionaries.en;
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

  it.each(locales.filter((l) => l !== 'en'))('%s has every message with the same placeholders and plural forms', (loc) => {
    const d = dictionaries[loc];
    expect(Object.keys(d).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(d[k].trim(), `${loc} ${k}`).not.toBe('');
      expect(d[k].split('|').length, `${loc} ${k} plural forms`).toBe(en[k].split('|').length);
      const want = placeholders(en[k].split('|').at(-1) ?? '');
      expect(placeholders(d[k].split('|').at(-1) ?? ''), `${loc} ${k}`).toBe(want);
      for (const form of d[k].split('|')) {
        for (const name of placeholders(form).split(',').filter(Boolean)) expect(want.split(','), `${loc} ${k}`).toContain(name);
      }
    }
  });

  it('picks the language: explicit, browser, English', () => {
    expect(resolveLocale('de-CH')).toBe('de');
    expect(resolveLocale(undefined, ['pt-BR', 'it-IT'])).toBe('it');
    expect(resolveLocale('xx', 'zz')).toBe('en');
    expect(resolveLocale('FR_fr')).toBe('fr');
  });

  it('formats plurals and numbers per language', () => {
    expect(translator('en')('review.rows', { n: 1 })).toBe('1 row');
    expect(translator('en')('review.rows', { n: 1000 })).toBe('1,000 rows');
    expect(translator('de')('review.rows', { n: 200000 })).toBe('200.000 Zeilen');
    expect(translator('fr')('review.rows', { n: 0 })).toBe('0 ligne'); // French: 0 is singular
    expect(translator('es')('submit.confirm', { n: 2 })).toBe('Importar 2 filas');
    expect(translator('it')('app.stepOf', { n: 2, total: 5 })).toBe('Passo 2 di 5');
    expect(formatBytes(200e6, 'en')).toBe('200 MB');
    expect(formatBytes(999, 'en')).toBe('999 B');
    expect(formatBytes(1536, 'de')).toBe('1,5 KB');
  });
});

describe('importer definition', () => {
  it('parses max_file_size like the server', () => {
    expect(parseByteSize('200MB')).toBe(200e6);
    expect(parseByteSize('1.5 GB')).toBe(1.5e9);
    expect(parseByteSize('512k')).toBe(512 * 1024);
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize('')).toBe(DEFAULT_MAX_FILE_BYTES);
    expect(parseByteSize('lots')).toBe(DEFAULT_MAX_FILE_BYTES);
  });

  it('fills labels and defaults', () => {
    const info = importerInfo({ slug: 's', name: '', columns: [{ key: 'email', type: 'email' }], settings: { invalid_rows: 'exclude', allowed_file_types: ['CSV'] } });
    expect(info).toMatchObject({ name: 's', invalid_rows: 'exclude', allowed_file_types: ['csv'], max_file_size: DEFAULT_MAX_FILE_BYTES });
    expect(info.columns[0]).toMatchObject({ key: 'email', label: 'email', required: false });
    expect(importerInfo({ slug: 's', name: 'S', columns: [], settings: { invalid_rows: 'weird' } }).invalid_rows).toBe('block');
  });
});

describe('mapping helpers', () => {
  const preview = {
    rows: [['Title'], ['Name', 'Email'], ['Ada', 'a@x'], ['', 'b@x'], ['Ada', 'c@x'], ['Bob', 'd@x']],
    header_row: 2,
  } as unknown as Preview;

  it('samples distinct non-empty values below the header row', () => {
    expect(samplesOf(preview, 0)).toEqual(['Ada', 'Bob']);
    expect(samplesOf(preview, 1, 2)).toEqual(['a@x', 'b@x']);
  });

  it('starts from the confirmed mapping, else from the suggestions', () => {
    const view = {
      headers: ['Name', 'Email', 'Notes'],
      suggestions: { columns: [{ index: 0, header: 'Name', key: 'name', confidence: 1, source: 'exact' }, { index: 2, header: 'Notes', key: '', confidence: 0, source: 'none' }] },
    } as unknown as MappingView;
    expect(initialChoice(view)).toEqual(['name', '', '']);
    expect(initialChoice({ ...view, mapping: { columns: [{ index: 1, key: 'email' }, { header: 'Notes', key: 'name' }] } })).toEqual(['', 'email', 'name']);
  });

  it('counts the rows submit stores', () => {
    expect(rowsToImport({ rows: 10, error_rows: 3, invalid_rows: 'exclude' })).toBe(7);
    expect(rowsToImport({ rows: 10, error_rows: 3, invalid_rows: 'include' })).toBe(10);
    // block: nothing while rows have errors, every row once none has
    expect(rowsToImport({ rows: 10, error_rows: 3, invalid_rows: 'block' })).toBe(0);
    expect(rowsToImport({ rows: 10, error_rows: 0, invalid_rows: 'block' })).toBe(10);
  });
});

describe('followStaging', () => {
  afterEach(() => vi.useRealTimers());

  const p = (phase: string, done: boolean, extra: Partial<Progress> = {}): Progress => ({ phase, done, bytes_read: 0, bytes_total: 100, rows: 0, records: 0, records_total: 0, error_rows: 0, warning_rows: 0, started_at: '2026-03-04T10:00:00Z', elapsed_ms: 0, ...extra });
  const sum = (step: string, failure = ''): Summary => ({ step, failure_reason: failure }) as Summary;

  it('ignores the finished upload job until staging shows up, then waits for review', async () => {
    vi.useFakeTimers();
    const progress = [p('done', true), p('staging', false, { bytes_read: 50 }), p('done', true)];
    const summaries = [sum('uploaded'), sum('review')];
    const api = { progress: vi.fn(async () => progress.shift() ?? p('done', true)), summary: vi.fn(async () => summaries.shift() ?? sum('review')) };
    const updates: Progress[] = [];
    const run = followStaging(api, 'imp', (x) => updates.push(x), () => true);
    await vi.runAllTimersAsync();
    await expect(run).resolves.toMatchObject({ step: 'review' });
    expect(updates.map((u) => u.bytes_read)).toEqual([50]);
  });

  it('calls onFirstRows once, when the first rows are stored, and still waits for review', async () => {
    vi.useFakeTimers();
    const progress = [p('staging', false), p('staging', false, { rows: 250, bytes_read: 10 }), p('staging', false, { rows: 50_250, bytes_read: 60 }), p('done', true, { rows: 90_000 })];
    const api = { progress: vi.fn(async () => progress.shift() ?? p('done', true)), summary: vi.fn(async () => sum('review')) };
    const first: number[] = [];
    const updates: number[] = [];
    const run = followStaging(api, 'imp', (x) => updates.push(x.rows), () => true, undefined, (x) => first.push(x.rows));
    await vi.runAllTimersAsync();
    await expect(run).resolves.toMatchObject({ step: 'review' });
    expect(first).toEqual([250]);
    expect(updates).toEqual([0, 250, 50_250]);
  });

  it('reports a failed staging with its message', async () => {
    const api = { progress: vi.fn(async () => p('failed', true, { error: 'row 3: too many fields' })), summary: vi.fn() };
    await expect(followStaging(api, 'imp', () => {}, () => true)).rejects.toThrow('row 3: too many fields');
  });
});

describe('custom styles', () => {
  it('accepts colors and http(s)/data logos only', () => {
    expect(isColor('#0c8599')).toBe(true);
    expect(isColor('rgb(1, 2, 3)')).toBe(true);
    expect(isColor('red; background: url(x)')).toBe(false);
    expect(isColor('')).toBe(false);
    expect(safeLogo('https://example.com/l.svg')).toBe('https://example.com/l.svg');
    expect(safeLogo('javascript:alert(1)')).toBeUndefined();
    expect(safeLogo('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
  });
});

describe('estimateRows', () => {
  it('scales the rows stored by the part of the file read, to 3 digits; none when that says nothing', () => {
    expect(estimateRows({ rows: 340_000, bytes_read: 37_400_000, bytes_total: 110_000_000 })).toBe(1_000_000);
    expect(estimateRows({ rows: 250, bytes_read: 27_512, bytes_total: 110_700_000 })).toBe(1_010_000);
    expect(estimateRows({ rows: 250, bytes_read: 0, bytes_total: 100 })).toBeNull();
    expect(estimateRows({ rows: 900, bytes_read: 100, bytes_total: 100 })).toBeNull(); // read ahead at once: no estimate
  });
});

describe('followSubmit', () => {
  afterEach(() => vi.useRealTimers());

  const p = (phase: string, done: boolean, records = 0): Progress => ({
    phase, done, bytes_read: 0, bytes_total: 100, rows: records, records, records_total: 100, error_rows: 0, warning_rows: 0, started_at: '2026-03-04T10:00:00Z', elapsed_ms: 0,
  });

  it('shows the records saved, goes on through polls that fail while the server restarts, ends with the last progress', async () => {
    vi.useFakeTimers();
    const down = new TypeError('Failed to fetch');
    const answers: (Progress | Error)[] = [p('submitting', false, 20), down, down, p('waiting', false, 20), p('submitting', false, 60), p('done', true, 100)];
    const api = { progress: vi.fn(async () => { const a = answers.shift(); if (a instanceof Error) throw a; return a ?? p('done', true, 100); }) };
    const updates: number[] = [];
    const run = followSubmit(api, 'imp', (x) => updates.push(x.records), () => true);
    await vi.runAllTimersAsync();
    const last = await run;
    expect(last?.phase).toBe('done');
    expect(updates).toEqual([20, 20, 60, 100]);
    expect(api.progress).toHaveBeenCalledTimes(6);
  });

  it('gives up after too many failed polls in a row, and at once on 404', async () => {
    vi.useFakeTimers();
    const api = { progress: vi.fn(async (): Promise<Progress> => { throw new TypeError('Failed to fetch'); }) };
    const run = followSubmit(api, 'imp', () => {}, () => true, 3);
    const check = expect(run).rejects.toThrow('Failed to fetch');
    await vi.runAllTimersAsync();
    await check;
    expect(api.progress).toHaveBeenCalledTimes(4);
    const gone = { progress: vi.fn(async (): Promise<Progress> => { throw new ApiError('ENOTFOUND', 'import not found', 404); }) };
    await expect(followSubmit(gone, 'imp', () => {}, () => true)).rejects.toThrow('not found');
    expect(gone.progress).toHaveBeenCalledTimes(1);
  });
});
