// Console API for the Dashboard (and the server facts Settings shows): GET /api/admin/dashboard.
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';

export type DashboardStat = components['schemas']['DashboardStat'];
export type Dashboard = components['schemas']['Dashboard'];

export function getDashboard(signal?: AbortSignal): Promise<Dashboard> {
  return api.get<Dashboard>('/api/admin/dashboard', signal);
}
