// Console API for the Imports page: the public API's imports list and shapes, which the console's
// admin login may read (the server side is backend/httpapi/imports.go).
import type { components } from '../../shared/api-types/v1';
import type { Page } from '../../shared/table';
import { api } from '../api';

export type ImportStatus = components['schemas']['ImportStatus'];

export const importStatuses: ImportStatus[] = ['created', 'submitting', 'submitted', 'completed', 'failed'];

/** An import as the public API lists it (GET /api/v1/imports). */
export type ImportItem = components['schemas']['Import'];

export interface ImportQuery {
  status?: ImportStatus | '';
  importer?: string;
  /** metadata[key]=value filters; all must match. */
  metadata?: [string, string][];
  page?: number;
  perPage?: number;
}

/** The query string of an imports list, e.g. "status=completed&metadata[user_id]=123". */
export function importsQueryString(q: ImportQuery): string {
  const parts: string[] = [];
  const add = (k: string, v: string) => parts.push(`${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`);
  if (q.status) add('status', q.status);
  if (q.importer) add('importer', q.importer);
  for (const [k, v] of q.metadata ?? []) {
    if (k.trim()) add(`metadata[${k.trim()}]`, v);
  }
  if (q.page && q.page > 1) add('page', String(q.page));
  if (q.perPage) add('per_page', String(q.perPage));
  return parts.join('&');
}

/** Reads an imports query back from a query string (the console's #/imports?… address). */
export function parseImportsQuery(search: string): ImportQuery {
  const p = new URLSearchParams(search.replace(/^\?/, ''));
  const q: ImportQuery = { metadata: [] };
  for (const [k, v] of p) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) q.metadata!.push([m[1], v]);
    else if (k === 'status' && (importStatuses as string[]).includes(v)) q.status = v as ImportStatus;
    else if (k === 'importer') q.importer = v;
    else if (k === 'page' && Number(v) > 0) q.page = Number(v);
  }
  return q;
}

export function listImports(q: ImportQuery, signal?: AbortSignal): Promise<Page<ImportItem>> {
  return api.get('/api/v1/imports?' + importsQueryString({ perPage: 25, ...q }), signal);
}

export function listImporterSlugs(signal?: AbortSignal): Promise<string[]> {
  return api
    .get<{ importers: { slug: string }[] }>('/api/admin/importers', signal)
    .then((r) => (r.importers ?? []).map((i) => i.slug));
}
