import { describe, expect, it } from 'vitest';
import codes from './validation-codes.json';
import { dictionaries, findingText, locales, translator, type MessageKey } from './i18n';

const en = dictionaries.en;
const keys = Object.keys(en) as MessageKey[];
const vars = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe('importer translations', () => {
  it.each(locales.filter((l) => l !== 'en'))('%s has every key of the UI and of the validation messages, with the same placeholders', (l) => {
    const dict = dictionaries[l] as Record<string, string>;
    const missing = keys.filter((k) => typeof dict[k] !== 'string' || dict[k].trim() === '');
    expect(missing, `keys missing in ${l}`).toEqual([]);
    const extra = Object.keys(dict).filter((k) => !(k in en));
    expect(extra, `keys in ${l} that English lacks`).toEqual([]);
    for (const k of keys) {
      expect(vars(dict[k]), `${l} ${k}: placeholders`).toEqual(vars(en[k]));
      expect(dict[k].includes('|'), `${l} ${k}: singular|plural forms`).toBe(en[k].includes('|'));
    }
  });

  it('has a text for every validation code the server gives, in every language', () => {
    for (const l of locales) {
      const dict = dictionaries[l] as Record<string, string>;
      const missing = codes.filter((c) => !dict[`v.${c}`]);
      expect(missing, `validation codes without a text in ${l}`).toEqual([]);
    }
  });

  it('shows German validation messages in the German UI', () => {
    const de = translator('de');
    expect(findingText(de, { message: 'must be a whole number', codes: [{ code: 'type.integer' }] })).toBe('muss eine ganze Zahl sein');
    expect(findingText(de, { message: 'must be a date such as 10/04/2015 or 2015-10-04', codes: [{ code: 'type.date', params: { a: '10/04/2015', b: '2015-10-04' } }] })).toBe(
      'muss ein Datum sein, z. B. 10/04/2015 oder 2015-10-04',
    );
    expect(findingText(de, { message: 'is required; Keep it short', codes: [{ code: 'required' }, { code: 'custom' }] })).toBe('ist erforderlich; Keep it short');
    // no codes (an older server): the English text
    expect(findingText(de, { message: 'must be a whole number' })).toBe('must be a whole number');
    expect(findingText(translator('fr'), { message: 'must be at most 3 characters', codes: [{ code: 'max_length', params: { n: '3' } }] })).toBe(
      'doit comporter au plus 3 caractères',
    );
  });
});
