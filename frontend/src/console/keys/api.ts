// Console API for the Keys & Sessions page (the server side is backend/httpapi/sessions.go).
import type { components } from '../../shared/api-types/internal';
import type { Page } from '../../shared/table';
import { api } from '../api';

type Schemas = components['schemas'];

export type KeyKind = Schemas['KeyKind'];
/** An API key; `prefix` is its first characters, e.g. "fbx_sk_AbCd", never the key itself. */
export type ApiKey = Schemas['ApiKey'];
/** A key just created: `secret` is the key itself, shown this once. */
export type CreatedKey = Schemas['CreatedKey'];
export type NewKey = Schemas['NewKey'];
export type SessionStatus = Schemas['SessionStatus'];
export type Session = Schemas['ImporterSession'];

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
