import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, type Rendered } from '../../console/test-utils';
import type { Summary } from '../api';
import { translator } from '../i18n';
import { I18nContext } from '../ui';
import { SubmitStep } from './SubmitStep';

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

async function mount(policy: 'block' | 'exclude' | 'include', errorRows: number) {
  const actions = { onDeleteErrors: vi.fn(), onDownloadErrors: vi.fn(), onFixHere: vi.fn(), busy: false };
  const summary = { rows: 200, error_rows: errorRows, warning_rows: 1, invalid_rows: policy } as unknown as Summary;
  view = await render(
    <I18nContext.Provider value={{ t: translator('en'), locale: 'en', num: (n) => new Intl.NumberFormat('en').format(n) }}>
      <SubmitStep summary={summary} submitting={false} progress={null} error="" onBack={() => {}} onSubmit={() => {}} actions={actions} />
    </I18nContext.Provider>,
  );
  const c = view.container;
  const text = (id: string) => c.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
  const buttons = [...c.querySelectorAll('button')].map((b) => b.textContent);
  return { c, text, buttons, actions };
}

describe('Submit says what the invalid_rows policy does with the counts', () => {
  it('block with errors: nothing to import yet, the next steps as buttons, no disabled Import', async () => {
    const { text, buttons, actions, c } = await mount('block', 124);
    expect(text('to-import')).toBe('0');
    expect(c.textContent).toContain('Nothing is imported until the rows with errors are fixed or deleted; then 76.');
    expect(text('submit-policy')).toContain('124 rows have errors. Delete them, download them to fix in Excel, or fix them here.');
    expect([...buttons].sort()).toEqual(['Back', 'Delete 124 rows with errors', 'Download to fix in Excel', 'Fix them here']);
    await act(async () => (c.querySelector('[data-testid="submit-delete-errors"]') as HTMLButtonElement).click());
    expect(actions.onDeleteErrors).toHaveBeenCalledOnce();
  });

  it('exclude: the valid rows, and how many are left out', async () => {
    const { text, buttons, c } = await mount('exclude', 124);
    expect(text('to-import')).toBe('76');
    expect(c.textContent).toContain('124 rows with errors are left out.');
    expect(buttons).toContain('Import 76 rows');
  });

  it('include: every row, errors as they are', async () => {
    const { text, buttons, c } = await mount('include', 124);
    expect(text('to-import')).toBe('200');
    expect(c.textContent).toContain('Including 124 rows with errors, as they are.');
    expect(buttons).toContain('Import 200 rows');
  });

  it('block without errors: every row', async () => {
    const { text, buttons } = await mount('block', 0);
    expect(text('to-import')).toBe('200');
    expect(text('submit-policy')).toBe('Every row is valid.');
    expect(buttons).toContain('Import 200 rows');
  });
});
