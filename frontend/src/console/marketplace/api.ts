// Console API of the marketplace (/api/admin/marketplace/...).
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';

type Schemas = components['schemas'];

export type MpSettings = Schemas['MpSettings'];
export type MpPlan = Schemas['MpPlan'];
export type MpConfigField = Schemas['MpConfigField'];
export type MpStep = Schemas['MpStep'];
export type MpListing = Schemas['MpListing'];
export type MpLogo = Schemas['MpLogo'];
export type MpSecret = Schemas['MpSecret'];
export type MpEndUser = Schemas['MpEndUser'];
export type MpStepResult = Schemas['MpStepResult'];
export type MpInstall = Schemas['MpInstall'];
export type MpLimitHit = Schemas['MpLimitHit'];
export type MpLinkRequest = Schemas['MpLinkRequest'];
export type MpLink = Schemas['MpLink'];
export type MpCheck = Schemas['MpCheck'];
export type MpReport = Schemas['MpReport'];

const base = '/api/admin/marketplace';
const enc = encodeURIComponent;

export const mp = {
  settings: () => api.get<MpSettings>(`${base}/settings`),
  saveSettings: (s: MpSettings) => api.put<MpSettings>(`${base}/settings`, s),
  plans: () => api.get<{ plans: MpPlan[] }>(`${base}/plans`),
  savePlan: (p: MpPlan) => api.put<MpPlan>(`${base}/plans/${enc(p.name)}`, p),
  deletePlan: (name: string) => api.del<void>(`${base}/plans/${enc(name)}`),
  listings: () => api.get<{ listings: MpListing[] }>(`${base}/listings`),
  saveListing: (l: MpListing) => api.put<MpListing>(`${base}/listings/${enc(l.id)}`, l),
  deleteListing: (id: string) => api.del<void>(`${base}/listings/${enc(id)}`),
  secrets: () => api.get<{ secrets: MpSecret[] }>(`${base}/secrets`),
  createSecret: (label: string) => api.post<MpSecret & { secret: string }>(`${base}/secrets`, { label }),
  deactivateSecret: (id: string) => api.post<MpSecret>(`${base}/secrets/${enc(id)}/deactivate`),
  endUsers: () => api.get<{ end_users: MpEndUser[] }>(`${base}/end-users`),
  installs: (q = '') => api.get<{ installs: MpInstall[] }>(`${base}/installs${q}`),
  limitHits: (q = '') => api.get<{ limit_hits: MpLimitHit[] }>(`${base}/limit-hits${q}`),
  install: (id: string) => api.get<{ install: MpInstall }>(`${base}/installs/${enc(id)}`),
  signLink: (r: MpLinkRequest) => api.post<MpLink>(`${base}/links`, r),
  inspect: (token: string) => api.post<MpReport>(`${base}/inspect`, { token }),
};

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
