import type { EmbedApi } from './api';

/** Saves a blob as a download (an <a download> click on an object URL). */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the rows with errors of an import as a fix file. */
export async function downloadErrors(api: EmbedApi, slug: string, format: 'csv' | 'xlsx') {
  const { blob, name } = await api.errorsFile(slug, format);
  saveBlob(blob, name);
}
