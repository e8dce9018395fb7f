// Console API of the marketplace (/api/admin/marketplace/...).
import { api } from '../api';

export interface MpSettings {
  org_id: string;
  title: string;
  embed_origins: string[];
  token_leeway: string;
  token_max_lifetime: string;
}

export interface MpPlan {
  name: string;
  default: boolean;
  max_integrations: number;
  max_transactions: number;
  allowed_actions: string[];
  upgrade_message: string;
}

export interface MpConfigField {
  name: string;
  label?: string;
  type?: string;
  required?: boolean;
  secret?: boolean;
  default?: string;
  help?: string;
  options?: string[] | null;
}

export interface MpStep {
  kind: string;
  name?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: unknown;
  expect_status?: number[];
  timeout?: string;
  message?: string;
  importer?: string;
}

export interface MpListing {
  id: string;
  name: string;
  category: string;
  logo: string;
  summary: string;
  description: string;
  connector_id: string;
  config_fields: MpConfigField[] | null;
  workflow: MpStep[];
}

export interface MpSecret {
  id: string;
  label: string;
  hint: string;
  active: boolean;
  created_at: string;
  last_used_at: string;
  deactivated_at: string;
}

export interface MpEndUser {
  id: string;
  external_id: string;
  firstname: string;
  lastname: string;
  email: string;
  plan: string;
  requested_plan: string;
  plan_note: string;
  created_at: string;
  last_login_at: string;
  installs: number;
  transactions: number;
}

export interface MpStepResult {
  position: number;
  kind: string;
  name: string;
  status: string;
  detail: string;
  started_at: string;
  finished_at: string;
}

export interface MpInstall {
  id: string;
  end_user_id: string;
  external_id: string;
  listing_id: string;
  listing_name: string;
  name: string;
  status: string;
  enabled: boolean;
  config: Record<string, string>;
  destination_id: string;
  error: string;
  created_at: string;
  updated_at: string;
  steps?: MpStepResult[];
}

export interface MpLinkRequest {
  secret_id?: string;
  external_id: string;
  firstname?: string;
  lastname?: string;
  email?: string;
  plan?: string;
  connection?: Record<string, unknown>;
  listing_id?: string;
  ttl?: string;
  jti?: boolean;
  no_kid?: boolean;
  origin?: string;
}

export interface MpLink {
  token: string;
  url: string;
  expires_at: string;
  secret_id: string;
  claims: Record<string, unknown>;
}

export interface MpCheck {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  detail: string;
}

export interface MpReport {
  valid: boolean;
  verdict: string;
  code?: string;
  check?: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  secret_id?: string;
  plan?: string;
  plan_note?: string;
  checks: MpCheck[];
}

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
  install: (id: string) => api.get<{ install: MpInstall }>(`${base}/installs/${enc(id)}`),
  signLink: (r: MpLinkRequest) => api.post<MpLink>(`${base}/links`, r),
  inspect: (token: string) => api.post<MpReport>(`${base}/inspect`, { token }),
};

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
