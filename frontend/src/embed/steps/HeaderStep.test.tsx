import { afterEach, describe, expect, it } from 'vitest';
import { render, type Rendered } from '../../console/test-utils';
import type { EmbedApi, Preview } from '../api';
import { dictionaries, locales, translator } from '../i18n';
import { HeaderStep } from './HeaderStep';

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

const preview = {
  rows: [
    ['name', 'email'],
    ['Ann', 'ann@example.com'],
  ],
  header_row: 1,
  detected_header_row: 1,
  detected: { format: 'csv', encoding: 'utf-8', delimiter: '|' },
} as unknown as Preview;

describe('HeaderStep delimiter picker', () => {
  it('names the detected pipe delimiter in full ("Detected (Pipe (|))", not "Detected ())")', async () => {
    view = await render(<HeaderStep api={{} as EmbedApi} slug="imp_1" preview={preview} onPreview={() => {}} onBack={() => {}} onContinue={() => {}} />);
    const select = view.container.querySelector('[data-testid="delimiter"]') as HTMLSelectElement;
    const texts = [...select.options].map((o) => o.textContent);
    expect(texts[0]).toBe('Detected (Pipe (|))');
    expect(texts).toContain('Pipe (|)');
  });

  it('renders every delimiter name verbatim in every language', () => {
    for (const l of locales) {
      const t = translator(l);
      for (const k of ['delim.comma', 'delim.semicolon', 'delim.tab', 'delim.pipe'] as const) {
        expect(t(k)).toBe(dictionaries[l][k]);
      }
      expect(t('delim.pipe')).toContain('(|)');
    }
  });
});
