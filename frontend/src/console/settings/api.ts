// Console API for Settings: the workspace file (export: GET /api/admin/workspace as text/yaml;
// apply: POST /api/admin/workspace with the raw text as the body, a string, never FormData or a
// Blob, which crash WebKitGTK in the desktop window), the demo app switch (GET/PUT
// /api/admin/demo) and the abandoned-import clean-up (GET/PUT /api/admin/importer/cleanup).
import type { components } from '../../shared/api-types/internal';
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

/** The demo app's state (GET/PUT /api/admin/demo): `on` (its routes answer), `enabled` (the console switch), `available` (the
 * demo workspace is in force and this server serves the demo, so the switch decides), `reason` (why
 * it is off; empty while on). */
export type DemoState = components['schemas']['DemoStatus'];

export function getDemo(): Promise<DemoState> {
  return request<DemoState>('/api/admin/demo');
}

export function setDemo(enabled: boolean): Promise<DemoState> {
  return request<DemoState>('/api/admin/demo', { method: 'PUT', body: { enabled } });
}

// ---- abandoned-import clean-up ----

export type CleanupState = components['schemas']['CleanupSettings'];

export function getCleanup(): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup');
}

export function setCleanupAge(maxAge: string): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup', { method: 'PUT', body: { max_age: maxAge } });
}

export function runCleanup(): Promise<CleanupState> {
  return request<CleanupState>('/api/admin/importer/cleanup/run', { method: 'POST', body: {} });
}

// ---- backups (GET/POST /api/admin/backup, GET /api/admin/backup/{name} downloads one) ----

export type BackupsState = components['schemas']['Backups'];
export type BackupInfo = components['schemas']['BackupInfo'];

export function getBackups(): Promise<BackupsState> {
  return request<BackupsState>('/api/admin/backup');
}

export async function createBackup(): Promise<BackupInfo> {
  const out = await request<{ backup: BackupInfo }>('/api/admin/backup', { method: 'POST', body: {} });
  return out.backup;
}

/** The download URL of a backup in the data dir's backups folder. */
export function backupURL(name: string): string {
  return `/api/admin/backup/${encodeURIComponent(name)}`;
}
