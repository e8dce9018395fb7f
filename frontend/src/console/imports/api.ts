// Console API for the Imports page: the console's imports list (GET /api/admin/imports, server side in
// backend/httpapi/imports_console.go), with the console states (abandoned and cancelled besides the
// statuses), error rows, who started each import and how long it took. Exports stay on the public API.
import type { components } from '../../shared/api-types/internal';
import type { Page, Pagination } from '../../shared/table';
import { api } from '../api';

export type ImportState = components['schemas']['ImportState'];

/** Every state, in the order the filter offers them. Abandoned and cancelled are hidden unless asked for. */
export const importStates: ImportState[] = ['created', 'submitting', 'submitted', 'completed', 'failed', 'abandoned', 'cancelled'];
export const hiddenStates: ImportState[] = ['abandoned', 'cancelled'];

/** An import as the console lists it. */
export type ImportItem = components['schemas']['ConsoleImport'];

export interface ImportQuery {
  /** One state, or several comma-separated ("submitted,completed"), or '' for all but the hidden ones. */
  status?: string;
  importer?: string;
  /** List abandoned and cancelled imports too (when no status is chosen). */
  hidden?: boolean;
  /** UTC days of creation, YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
  /** metadata[key]=value filters; all must match. */
  metadata?: [string, string][];
  page?: number;
  perPage?: number;
}

const day = /^\d{4}-\d{2}-\d{2}$/;

/** The query string of an imports list, e.g. "status=completed&metadata[user_id]=123". */
export function importsQueryString(q: ImportQuery): string {
  const parts: string[] = [];
  const add = (k: string, v: string) => parts.push(`${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  if (q.status) add('status', q.status);
  if (q.importer) add('importer', q.importer);
  if (q.hidden && !q.status) add('hidden', '1');
  if (q.from) add('from', q.from);
  if (q.to) add('to', q.to);
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
    else if (k === 'status' && v.split(',').every((s) => (importStates as string[]).includes(s))) q.status = v;
    else if (k === 'importer') q.importer = v;
    else if (k === 'hidden' && v === '1') q.hidden = true;
    else if ((k === 'from' || k === 'to') && day.test(v)) q[k] = v;
    else if (k === 'page' && Number(v) > 0) q.page = Number(v);
  }
  return q;
}

interface AdminImportsPage {
  imports: ImportItem[];
  total: number;
  pagination: Pagination;
}

export async function listImports(q: ImportQuery, signal?: AbortSignal): Promise<Page<ImportItem>> {
  const r = await api.get<AdminImportsPage>('/api/admin/imports?' + importsQueryString({ perPage: 25, ...q }), signal);
  return { data: r.imports ?? [], pagination: r.pagination };
}

export function listImporterSlugs(signal?: AbortSignal): Promise<string[]> {
  return api
    .get<{ importers: { slug: string }[] }>('/api/admin/importers', signal)
    .then((r) => (r.importers ?? []).map((i) => i.slug));
}
