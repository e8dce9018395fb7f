// Console API for the Keys & Sessions and Imports pages (the server side is
// backend/httpapi/sessions.go and imports.go).
import { api } from '../api';

export type KeyKind = 'secret' | 'publishable';

export interface ApiKey {
  id: string;
  name: string;
  kind: KeyKind;
  /** The first characters of the key, e.g. "fbx_sk_AbCd"; never the key itself. */
  prefix: string;
  importers: string[];
  origins: string[];
  active: boolean;
  created_at: string;
  last_used_at?: string;
  deactivated_at?: string;
}

/** A key just created: `secret` is the key itself, shown this once. */
export interface CreatedKey extends ApiKey {
  secret: string;
}

export interface NewKey {
  name: string;
  kind: KeyKind;
  importers: string[];
  origins: string[];
}

export type SessionStatus = 'active' | 'expired' | 'revoked';

export interface Session {
  id: string;
  importer_slug: string;
  metadata: Record<string, unknown>;
  key_id: string;
  origin: string;
  created_at: string;
  expires_at: string;
  revoked_at?: string;
  status: SessionStatus;
}

export interface Pagination {
  current: number;
  previous: number | null;
  next: number | null;
  limit: number;
  total_pages: number;
  total_count: number;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface SessionQuery {
  status?: SessionStatus | '';
  importer?: string;
  page?: number;
  perPage?: number;
}

export function listKeys(signal?: AbortSignal): Promise<{ data: ApiKey[] }> {
  return api.get('/api/admin/keys', signal);
}

export function createKey(k: NewKey): Promise<CreatedKey> {
  return api.post('/api/admin/keys', k);
}

export function deactivateKey(id: string): Promise<ApiKey> {
  return api.post(`/api/admin/keys/${encodeURIComponent(id)}/deactivate`);
}

export function sessionsPath(q: SessionQuery): string {
  const p = new URLSearchParams();
  if (q.status) p.set('status', q.status);
  if (q.importer) p.set('importer', q.importer);
  if (q.page && q.page > 1) p.set('page', String(q.page));
  p.set('per_page', String(q.perPage ?? 20));
  return '/api/admin/sessions?' + p.toString();
}

export function listSessions(q: SessionQuery, signal?: AbortSignal): Promise<Page<Session>> {
  return api.get(sessionsPath(q), signal);
}

export function revokeSession(id: string): Promise<Session> {
  return api.del(`/api/admin/sessions/${encodeURIComponent(id)}`);
}

// ---- imports (the public API's shapes; the console's admin login may read it) ----

export type ImportStatus = 'created' | 'submitting' | 'submitted' | 'completed' | 'failed';

export const importStatuses: ImportStatus[] = ['created', 'submitting', 'submitted', 'completed', 'failed'];

export interface ImportItem {
  slug: string;
  row_count: number;
  created_at: string;
  updated_at: string;
  status: ImportStatus;
  template: { name: string; slug: string };
  metadata: Record<string, unknown>;
  failure_reason?: string;
}

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

// ---- display helpers ----

/** "2026-03-04T10:05:00Z" -> "2026-03-04 10:05" in the browser's time zone; "" -> "—". */
export function formatWhen(iso?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Comma- or whitespace-separated text -> trimmed, non-empty items. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function compactJSON(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}
