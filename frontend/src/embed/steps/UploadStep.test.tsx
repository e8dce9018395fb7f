import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flush, render, type Rendered } from '../../console/test-utils';
import type { ImporterInfo, Preview } from '../api';
import { UploadStep } from './UploadStep';
import { putDroppedFile } from '../../shared/desktopDrop';

const importer: ImporterInfo = {
  slug: 'contacts',
  name: 'Contacts',
  columns: [],
  invalid_rows: 'block',
  allowed_file_types: ['csv', 'xlsx'],
  max_file_size: 1000,
};
const preview = { rows: [], header_row: 1 } as unknown as Preview;

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

function button(name: string): HTMLButtonElement {
  const b = [...(view?.container.querySelectorAll('button') ?? [])].find((x) => x.textContent === name);
  if (!b) throw new Error(`no button ${name}`);
  return b as HTMLButtonElement;
}

describe('UploadStep in the desktop window', () => {
  it('uses the native dialog and lets the server read the chosen path', async () => {
    const api = { upload: vi.fn(), uploadFromPath: vi.fn(async () => preview) };
    const onUploaded = vi.fn();
    const pick = vi.fn(async () => '/home/ann/people.csv');
    view = await render(<UploadStep api={api} slug="imp_1" importer={importer} onUploaded={onUploaded} nativePick={pick} />);
    await act(async () => button('Choose a file').click());
    await flush();
    expect(pick).toHaveBeenCalledWith('Choose a file');
    expect(api.uploadFromPath).toHaveBeenCalledWith('imp_1', '/home/ann/people.csv');
    expect(api.upload).not.toHaveBeenCalled();
    expect(onUploaded).toHaveBeenCalledWith(preview);
  });

  it('does nothing when the dialog is cancelled and refuses a type the importer does not take', async () => {
    const api = { upload: vi.fn(), uploadFromPath: vi.fn(async () => preview) };
    let answer = '';
    view = await render(<UploadStep api={api} slug="imp_1" importer={importer} onUploaded={vi.fn()} nativePick={async () => answer} />);
    await act(async () => button('Choose a file').click());
    await flush();
    expect(api.uploadFromPath).not.toHaveBeenCalled();
    expect(view.container.querySelector('[role=alert]')).toBeNull();
    answer = 'C:\\Users\\ann\\notes.pdf';
    await act(async () => button('Choose a file').click());
    await flush();
    expect(api.uploadFromPath).not.toHaveBeenCalled();
    expect(view.container.querySelector('[role=alert]')?.textContent).toContain('notes.pdf is not a file this importer accepts (.csv, .xlsx).');
  });
});

describe('UploadStep and a file dropped on the desktop window', () => {
  it('takes the file waiting for its importer once and lets the server read it', async () => {
    putDroppedFile({ path: '/home/ann/other.csv', importer: 'invoices' });
    putDroppedFile({ path: '/home/ann/big.csv', importer: 'contacts' });
    const api = { upload: vi.fn(), uploadFromPath: vi.fn(async () => preview) };
    const onUploaded = vi.fn();
    view = await render(<UploadStep api={api} slug="imp_2" importer={importer} onUploaded={onUploaded} nativePick={vi.fn()} />);
    await flush();
    expect(api.uploadFromPath).toHaveBeenCalledTimes(1);
    expect(api.uploadFromPath).toHaveBeenCalledWith('imp_2', '/home/ann/big.csv');
    expect(onUploaded).toHaveBeenCalledWith(preview);
    view.unmount();
    view = await render(<UploadStep api={api} slug="imp_3" importer={importer} onUploaded={vi.fn()} nativePick={vi.fn()} />);
    await flush();
    expect(api.uploadFromPath).toHaveBeenCalledTimes(1); // taken: not imported twice
  });

  it('leaves a drop on its drop zone to the window (no bytes through the web view)', async () => {
    const api = { upload: vi.fn(), uploadFromPath: vi.fn(async () => preview) };
    view = await render(<UploadStep api={api} slug="imp_5" importer={importer} onUploaded={vi.fn()} nativePick={vi.fn()} />);
    const zone = view.container.querySelector('.fbx-dropzone') as HTMLElement;
    const file = new File(['email\nann@example.com\n'], 'people.csv', { type: 'text/csv' });
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files: [file], types: ['Files'] };
    await act(async () => void zone.dispatchEvent(drop));
    await flush();
    expect(drop.defaultPrevented).toBe(true);
    expect(api.upload).not.toHaveBeenCalled();
    expect(api.uploadFromPath).not.toHaveBeenCalled();
  });

  it('leaves it alone outside the desktop window', async () => {
    putDroppedFile({ path: '/home/ann/big.csv', importer: 'contacts' });
    const api = { upload: vi.fn(), uploadFromPath: vi.fn(async () => preview) };
    view = await render(<UploadStep api={api} slug="imp_4" importer={importer} onUploaded={vi.fn()} />);
    await flush();
    expect(api.uploadFromPath).not.toHaveBeenCalled();
  });
});

describe('UploadStep in a browser', () => {
  it('sends pasted spreadsheet cells as a TSV file', async () => {
    const api = { upload: vi.fn(async () => preview), uploadFromPath: vi.fn() };
    const onUploaded = vi.fn();
    view = await render(<UploadStep api={api} slug="imp_1" importer={{ ...importer, allowed_file_types: [] }} onUploaded={onUploaded} />);
    const area = view.container.querySelector('textarea') as HTMLTextAreaElement;
    await act(async () => {
      const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      set?.call(area, 'name\temail\nAnn\tann@example.com');
      area.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => button('Use pasted data').click());
    await flush();
    expect(api.upload).toHaveBeenCalledTimes(1);
    const [slug, src] = api.upload.mock.calls[0] as unknown as [string, { name: string; bytes: Uint8Array }];
    expect(slug).toBe('imp_1');
    expect(src.name).toBe('pasted.tsv');
    expect(new TextDecoder().decode(src.bytes)).toBe('name\temail\nAnn\tann@example.com\n');
    expect(onUploaded).toHaveBeenCalledWith(preview);
  });

  it('uploads the pasted text on Ctrl+Enter, not on Enter', async () => {
    const api = { upload: vi.fn(async () => preview), uploadFromPath: vi.fn() };
    const onUploaded = vi.fn();
    view = await render(<UploadStep api={api} slug="imp_1" importer={importer} onUploaded={onUploaded} />);
    const area = view.container.querySelector('textarea') as HTMLTextAreaElement;
    await act(async () => {
      const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      set?.call(area, 'first_name,email\nAnn,ann@example.com');
      area.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    expect(api.upload).not.toHaveBeenCalled();
    await act(async () => {
      area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
    });
    await flush();
    expect(api.upload).toHaveBeenCalledTimes(1);
    const [, src] = api.upload.mock.calls[0] as unknown as [string, { name: string; bytes: Uint8Array }];
    expect(src.name).toBe('pasted.csv');
    expect(new TextDecoder().decode(src.bytes)).toBe('first_name,email\nAnn,ann@example.com\n');
    expect(onUploaded).toHaveBeenCalledWith(preview);
  });
});
