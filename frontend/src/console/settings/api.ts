// Console API for Settings: the workspace file (export: GET /api/admin/workspace as text/yaml;
// apply: POST /api/admin/workspace with the raw text as the body, a string, never FormData or a
// Blob, which crash WebKitGTK in the desktop window), the demo app switch (GET/PUT
// /api/admin/demo) and the abandoned-import clean-up (GET/PUT /api/admin/importer/cleanup).
import { request } from '../api';

/** The workspace file as YAML text. */
export function exportWorkspace(): Promise<string> {
  return request<string>('/api/admin/workspace', {
    headers: { Accept: 'text/yaml' },
    as: 'text',
    unreachable: (reason) => `cannot reach the Fusebox server (${reason})`,
  });
}

/** Applies a workspace file (YAML or JSON text); resolves with the change lines. */
export async function applyWorkspace(text: string, name = ''): Promise<string[]> {
  const q = name ? `?name=${encodeURIComponent(name)}` : '';
  const out = await request<{ changes: string[] }>(`/api/admin/workspace${q}`, {
    method: 'POST',
    body: text, // a string on purpose (see above)
    headers: { 'Content-Type': 'text/yaml; charset=utf-8' },
  });
  return out?.changes ?? [];
}

/** The demo app's state (GET/PUT /api/admin/demo). */
export interface DemoState {
  /** The demo routes answer. */
  on: boolean;
  /** The console switch. */
  enabled: boolean;
  /** The demo workspace is in force and this server serves the demo, so the switch decides. */
  available: boolean;
  /** Why the demo is off; empty while on. */
  reason: string;
  url?: string;
}

export function getDemo(): Promise<DemoState> {
  return request<DemoState>('/api/admin/demo');
}

export function setDemo(enabled: boolean): Promise<DemoState> {
  return request<DemoState>('/api/admin/demo', { method: 'PUT', body: { enabled } });
}

// ---- abandoned-import clean-up ----

export interface CleanupState {
  max_age: string;
  last_run?: { at: string; deleted: number; error?: string };
}

export function getCleanup(): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup');
}

export function setCleanupAge(maxAge: string): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup', { method: 'PUT', body: { max_age: maxAge } });
}

export function runCleanup(): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup/run', { method: 'POST', body: {} });
}
