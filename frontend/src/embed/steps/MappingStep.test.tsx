import { afterEach, describe, expect, it } from 'vitest';
import { flush, render, type Rendered } from '../../console/test-utils';
import type { EmbedApi, EnumValue, MappingView, Preview } from '../api';
import { translator } from '../i18n';
import { brandTexts, brandTitle } from '../styles';
import { headerRowCheck } from './HeaderStep';
import { confidenceBand, editDistance, isAllowed, MappingStep, nearestAllowed } from './MappingStep';

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

const plan: EnumValue[] = [
  { value: 'free', label: 'Free' },
  { value: 'pro', label: 'Pro', alternates: ['professional'] },
  { value: 'enterprise', label: 'Enterprise', alternates: ['ent', 'business'] },
];

describe('header row check', () => {
  const rows = [
    ['Account list (confidential)', '', '', '', '', '', '', ''],
    ['first', 'last', 'email', 'phone', 'company', 'plan', 'signup', 'seats'],
    ['Ann', 'Lee', 'ann@example.com', '555', 'Acme', 'gold', '10/4/15', '3'],
    ['Bob', 'Ray', 'bob@example.com', '', 'Initech', 'pro', '', '2'],
  ];
  it('warns when a title row is the header: 1 of 8 columns named, 7 dropped, row 2 is better', () => {
    expect(headerRowCheck({ rows, header_row: 1, detected_header_row: 2 })).toEqual({ total: 8, named: 1, better: 2 });
    const t = translator('en');
    expect(t('header.warn.title', { row: 1, named: 1, total: 8, n: 7 })).toContain('so 7 columns would be dropped');
  });
  it('finds the better row without a detected one', () => {
    expect(headerRowCheck({ rows, header_row: 1, detected_header_row: 1 })?.better).toBe(2);
  });
  it('says nothing for a real header row, or a mostly named one', () => {
    expect(headerRowCheck({ rows, header_row: 2, detected_header_row: 2 })).toBeNull();
    const partly = [['a', 'b', 'c', ''], ['1', '2', '3', '4']];
    expect(headerRowCheck({ rows: partly, header_row: 1, detected_header_row: 1 })).toBeNull();
  });
  it('warns when fewer than half the columns are named', () => {
    const sparse = [['id', '', 'x', '', '', ''], ['1', '2', '3', '4', '5', '6']];
    expect(headerRowCheck({ rows: sparse, header_row: 1, detected_header_row: 1 })).toMatchObject({ total: 6, named: 2 });
  });
});

describe('confidence bands', () => {
  it('green only for exact, alternate and confident matches; amber below 90%', () => {
    expect(confidenceBand({ confidence: 1, source: 'exact' }).kind).toBe('exact');
    expect(confidenceBand({ confidence: 1, source: 'alternate' }).kind).toBe('alternate');
    expect(confidenceBand({ confidence: 0.95, source: 'synonym' }).kind).toBe('good');
    expect(confidenceBand({ confidence: 0.85, source: 'fuzzy' })).toEqual({ kind: 'fair', pct: 85 });
    expect(confidenceBand({ confidence: 1, source: 'user_memory' }).kind).toBe('remembered');
  });
});

describe('enum values not allowed', () => {
  it('knows the allowed values in any case, by value, label or alternate', () => {
    expect(isAllowed('PRO', plan)).toBe(true);
    expect(isAllowed('Professional', plan)).toBe(true);
    expect(isAllowed('ent', plan)).toBe(true);
    expect(isAllowed('gold', plan)).toBe(false);
    expect(isAllowed('', plan)).toBe(true);
  });
  it('offers the nearest allowed value', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearestAllowed('Enterprize', plan)).toBe('enterprise');
    expect(nearestAllowed('fre', plan)).toBe('free');
    expect(nearestAllowed('Pro plan', plan)).toBe('pro');
    expect(nearestAllowed('gold', plan)).toBeDefined();
  });
});

describe('branding texts', () => {
  it('overrides messages per language, "*" for all', () => {
    const b = { title: { '*': 'Import', de: 'Importieren' }, texts: { '*': { 'upload.title': 'Send us your file' }, de: { 'upload.title': 'Datei senden' } } };
    expect(brandTitle(b, 'de')).toBe('Importieren');
    expect(brandTitle(b, 'fr')).toBe('Import');
    expect(translator('fr', brandTexts(b, 'fr'))('upload.title')).toBe('Send us your file');
    expect(translator('de', brandTexts(b, 'de'))('upload.title')).toBe('Datei senden');
    expect(translator('de', brandTexts(b, 'de'))('upload.choose')).toBe(translator('de')('upload.choose'));
  });
});

describe('MappingStep', () => {
  const preview = {
    rows: [
      ['Name', 'Account', 'Plan'],
      ['Ann', 'Acme', 'gold'],
      ['Bob', 'Initech', 'pro'],
    ],
    header_row: 1,
    detected_header_row: 1,
  } as unknown as Preview;
  const mv: MappingView = {
    headers: ['Name', 'Account', 'Plan'],
    columns: [
      { key: 'name', label: 'Name', type: 'string', required: true, description: 'The full name' },
      { key: 'company', label: 'Company', type: 'string', required: false },
      { key: 'plan', label: 'Plan', type: 'enum', required: false, values: plan },
    ],
    suggestions: {
      columns: [
        { index: 0, header: 'Name', key: 'name', confidence: 1, source: 'exact' },
        { index: 1, header: 'Account', key: 'company', confidence: 1, source: 'alternate' },
        { index: 2, header: 'Plan', key: 'plan', confidence: 1, source: 'exact' },
      ],
      unmapped_required: [],
      unmapped: [],
    },
    values: {
      plan: [
        { from: 'gold', to: '', confidence: 0, source: 'none', count: 16 },
        { from: 'pro', to: 'pro', confidence: 1, source: 'exact', count: 4 },
      ],
    },
  } as unknown as MappingView;

  it('says "Matched a known alternate name", flags gold and maps it to the nearest value in one click', async () => {
    const api = { mapping: async () => mv } as unknown as EmbedApi;
    view = await render(<MappingStep api={api} slug="imp_1" preview={preview} keepUnmapped onBack={() => {}} onConfirmed={() => {}} />);
    await flush();
    const c = view.container;
    expect(c.querySelector('[data-testid="badge-1"]')?.textContent).toBe('Matched a known alternate name');
    expect(c.querySelector('[data-testid="badge-0"]')?.textContent).toBe('Exact match');
    expect(c.querySelector('[data-testid="values-warn-plan"]')?.textContent).toContain('1 value is not allowed');
    const row = c.querySelector('[data-testid="value-row-plan-gold"]') as HTMLElement;
    expect(row.textContent).toContain('not allowed');
    const near = [...row.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Use'))!;
    near.click();
    await flush();
    expect((row.querySelector('select') as HTMLSelectElement).value).not.toBe('');
    expect(c.querySelector('[data-testid="values-warn-plan"]')).toBeNull();
    // help text is a description of the select, not part of its name
    const sel = c.querySelector('[data-testid="map-row-0"] select') as HTMLSelectElement;
    expect(sel.getAttribute('aria-label')).toBe('Field for your column “Name”');
    expect(c.querySelector('#' + sel.getAttribute('aria-describedby'))?.textContent).toBe('The full name');
    // keep: the empty choice keeps the column as a custom field
    expect(sel.options[0].textContent).toBe('Keep as a custom field');
  });
});
