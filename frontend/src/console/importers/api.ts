// Console API for the Importers list (GET /api/admin/importers); the editor's calls are in
// ImportersEditor.tsx and its model in model.ts.
import { api } from '../api';

export interface ImporterSummary {
  slug: string;
  name: string;
  description?: string;
  columns: { key: string; label?: string; required?: boolean }[];
  settings?: { invalid_rows?: string; allowed_file_types?: string[]; max_file_size?: string };
}

export function listImporters(signal?: AbortSignal): Promise<ImporterSummary[]> {
  return api.get<{ importers: ImporterSummary[] }>('/api/admin/importers', signal).then((r) => r.importers ?? []);
}
