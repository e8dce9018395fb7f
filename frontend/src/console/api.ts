// API client for the console. Every call goes to the same origin that served the
// console (the window door or the localhost port), with the admin cookie when on
// the port. The request function and ApiError are the shared client's (shared/http.ts).

import type { components } from '../shared/api-types/internal';
import { request } from '../shared/http';

export { ApiError, request, type RequestOptions } from '../shared/http';

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
  put: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string) => request<T>(path, { method: 'DELETE' }),
};

export interface Health {
  status: string;
  version: string;
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return api.get<Health>('/healthz', signal);
}

/** Who the console is; `open_route` (desktop window only) is the route to open at (`fusebox desktop --open ROUTE`). */
export type Whoami = components['schemas']['Whoami'];

export function getWhoami(signal?: AbortSignal): Promise<Whoami> {
  return api.get<Whoami>('/api/admin/whoami', signal);
}

/** Tells the server the console rendered (the desktop smoke test waits for its log line). */
export function reportReady(page: string, version: string): Promise<unknown> {
  return api.post('/api/admin/ready', { page, version });
}

/**
 * Tells the server the Try view's importer shows a step ("upload", "header"), with the centre of
 * that step's element in window pixels (the paste box, the first preview row); the server logs
 * "upload step ready" / "header step ready" and the desktop smoke test waits for those lines.
 */
export function reportStep(page: string, step: 'upload' | 'header', x: number, y: number): Promise<unknown> {
  return api.post('/api/admin/ready', { page, step, x, y });
}
