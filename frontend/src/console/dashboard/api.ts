// Console API for the Dashboard (and the server facts Settings shows): GET /api/admin/dashboard.
import { api } from '../api';

export interface DashboardStat {
  name: string;
  count: number;
}

export interface Dashboard {
  version: string;
  data_dir: string;
  db_path: string;
  schema_version: number;
  uptime_seconds: number;
  db_size_bytes: number;
  stats: DashboardStat[];
}

export function getDashboard(signal?: AbortSignal): Promise<Dashboard> {
  return api.get<Dashboard>('/api/admin/dashboard', signal);
}
