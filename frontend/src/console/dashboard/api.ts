// Console API for the Dashboard (and the server facts Settings shows): GET /api/admin/dashboard, and the
// charts: GET /api/admin/dashboard/charts?from=&to=&importer=.
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';

export type DashboardStat = components['schemas']['DashboardStat'];
export type Dashboard = components['schemas']['Dashboard'];
export type Charts = components['schemas']['DashboardCharts'];
export type DestinationHealth = components['schemas']['DashDestination'];

export interface ChartsQuery {
  from?: string;
  to?: string;
  importer?: string;
}

export function getDashboard(signal?: AbortSignal): Promise<Dashboard> {
  return api.get<Dashboard>('/api/admin/dashboard', signal);
}

export function chartsURL(q: ChartsQuery): string {
  const p = new URLSearchParams();
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  if (q.importer) p.set('importer', q.importer);
  const s = p.toString();
  return '/api/admin/dashboard/charts' + (s ? '?' + s : '');
}

export function getCharts(q: ChartsQuery, signal?: AbortSignal): Promise<Charts> {
  return api.get<Charts>(chartsURL(q), signal);
}
