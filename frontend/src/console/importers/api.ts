// Console API for the Importers list (GET /api/admin/importers); the editor's calls are in
// ImportersEditor.tsx and its model in model.ts.
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';

/** An importer as GET /api/admin/importers lists it (its definition). */
export type ImporterSummary = components['schemas']['ImporterDefinition'];

export function listImporters(signal?: AbortSignal): Promise<ImporterSummary[]> {
  return api.get<{ importers: ImporterSummary[] }>('/api/admin/importers', signal).then((r) => r.importers ?? []);
}
