// Console API for the Keys & Sessions page (the server side is backend/httpapi/sessions.go).
import type { Page } from '../../shared/table';
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
