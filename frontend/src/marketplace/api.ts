// API client of the marketplace iframe. The marketplace session (after a signed-link login) is an
// opaque id kept in this frame's sessionStorage (memory when storage is blocked) and sent as the
// X-Fusebox-Marketplace-Session header: third-party iframe cookies are unreliable, and
// SameSite=None cookies need https. Requests and ApiError are the shared client's (shared/http.ts).
import type { components } from '../shared/api-types/internal';
import { request } from '../shared/http';

export { ApiError } from '../shared/http';

export const SESSION_HEADER = 'X-Fusebox-Marketplace-Session';
const SESSION_KEY = 'fusebox.marketplace.session';
const PARENT_KEY = 'fusebox.marketplace.parent';

const memory: Record<string, string | null> = {};

function load(key: string): string | null {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return memory[key] ?? null;
  }
}

function store(key: string, value: string | null) {
  memory[key] = value;
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // storage blocked (third-party context): memory only
  }
}

export const getSession = () => load(SESSION_KEY);
export const setSession = (s: string | null) => store(SESSION_KEY, s);
export const getStoredParent = () => load(PARENT_KEY);
export const setStoredParent = (o: string | null) => store(PARENT_KEY, o);
/** The host sizes the frame to its content (?autoheight=1 from the SDK's mount), kept across in-frame navigations. */
export const getAutoHeight = () => load('fusebox.marketplace.autoheight') === '1';
export const setAutoHeight = (on: boolean) => store('fusebox.marketplace.autoheight', on ? '1' : null);

/** Calls the marketplace API with this frame's session (no cookies: credentials "omit"). */
export function call<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const sid = getSession();
  return request<T>(path, {
    method: opts.method,
    body: opts.body,
    headers: sid ? { [SESSION_HEADER]: sid } : {},
    credentials: 'omit',
    unreachable: (reason) => `cannot reach Fusebox (${reason})`,
  });
}

type Schemas = components['schemas'];

export type ConfigField = Schemas['MpConfigField'];
export type Listing = Schemas['MpPublicListing'];
export type Prefill = Schemas['MpPrefill'];
export type StepResult = Schemas['MpStepResult'];
export type Install = Schemas['MpInstall'];
export type Plan = Schemas['MpPlan'];
export type Usage = Schemas['MpUsage'];
export type EndUser = Schemas['MpSessionEndUser'];
export type Me = Schemas['MpMe'];
export type Config = Schemas['MpCatalogConfig'];
export type Activity = Schemas['MpActivity'];
export type ActivityDelivery = Schemas['MpActivityDelivery'];

export const api = {
  config: (origin: string, referrer: string) =>
    call<Config>(`/api/marketplace/config?${new URLSearchParams({ origin, referrer })}`),
  listings: (q: string, category: string) =>
    call<{ listings: Listing[] }>(`/api/marketplace/listings?${new URLSearchParams({ q, category })}`),
  listing: (id: string) => call<{ listing: Listing; prefill?: Prefill }>(`/api/marketplace/listings/${encodeURIComponent(id)}`),
  login: (token: string) => call<Me & { session: string }>('/api/marketplace/login', { body: { token } }),
  logout: () => call<void>('/api/marketplace/logout', { method: 'POST' }),
  me: () => call<Me>('/api/marketplace/me'),
  installs: () => call<{ installs: Install[] }>('/api/marketplace/installs'),
  install: (id: string) => call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}`),
  startInstall: (listing_id: string, name: string, config: Record<string, string>) =>
    call<{ install: Install }>('/api/marketplace/installs', { body: { listing_id, name, config } }),
  setEnabled: (id: string, enabled: boolean) =>
    call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' }),
  activity: (id: string) => call<Activity>(`/api/marketplace/installs/${encodeURIComponent(id)}/activity`),
  retryDelivery: (id: string, delivery: number) =>
    call<{ delivery: ActivityDelivery }>(`/api/marketplace/installs/${encodeURIComponent(id)}/deliveries/${delivery}/retry`, { method: 'POST' }),
  uninstall: (id: string) => call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
