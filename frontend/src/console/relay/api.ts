// Console API of the relay (/api/admin/relay/...).
import { api } from '../api';

export interface Inbound {
  route: string;
  allowed_urls?: string[];
  secret?: string;
}

/** A destination as the API and the workspace file write it. */
export interface Destination {
  id: string;
  importer?: string;
  send?: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  batch: number | 'all';
  timeout?: string;
  query_param_fields?: string[] | Record<string, string>;
  header_fields?: string[] | Record<string, string>;
  map?: Record<string, string>;
  keep_unmapped?: boolean;
  session_token_field?: string;
  params?: Record<string, string>;
  retry?: string[];
  rate_limit?: string;
  concurrency?: number;
  signing_secret?: string;
  inbound?: Inbound;
}

export interface SecretStatus {
  name: string;
  set: boolean;
}

export interface DestinationView {
  destination: Destination;
  origin: string;
  owner_id?: string;
  match_user_id?: string;
  listing_id?: string;
  install_id?: string;
  enabled: boolean;
  disabled_reason?: string;
  secrets: SecretStatus[];
  counts: Record<string, number>;
  pending_jobs: number;
  created_at: string;
  updated_at: string;
}

export interface PreviewRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
  records: number;
}

export interface Preview {
  requests: PreviewRequest[];
  discarded: { record: string; reason: string }[];
  secrets: SecretStatus[];
  problems: string[];
}

export interface PreviewContext {
  user_id?: string;
  user_group?: string;
  file_name?: string;
  import_slug?: string;
  metadata?: Record<string, unknown>;
}

export interface Delivery {
  id: number;
  uid: string;
  destination_id: string;
  source: string;
  import_slug?: string;
  seq: number;
  records: number;
  status: string;
  reason?: string;
  attempts: number;
  next_attempt_at?: string;
  in_flight: boolean;
  last_code?: number;
  created_at: string;
  updated_at: string;
  done_at?: string;
}

export interface Attempt {
  n: number;
  started_at: string;
  duration_ms: number;
  status_code: number;
  outcome: string;
  error?: string;
  response?: string;
}

export interface DeliveryDetail extends Delivery {
  attempt_log: Attempt[];
  request: PreviewRequest;
  body_truncated: boolean;
}

export interface DeliveryFilter {
  destination?: string;
  status?: string;
  import?: string;
  uid?: string;
  before?: number;
  limit?: number;
}

export interface SinkSummary {
  name: string;
  total: number;
  kept: number;
  last_seen: string;
}

export interface SinkRequest {
  id: number;
  received_at: string;
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
  body_bytes: number;
  truncated: boolean;
  binary?: boolean;
}

export interface Job {
  id: number;
  destination_id: string;
  import_slug: string;
  status: string;
  records: number;
  discarded: number;
  error?: string;
  created_at: string;
  updated_at: string;
}

const base = '/api/admin/relay';
const enc = encodeURIComponent;

function deliveryQuery(f: DeliveryFilter): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '' && v !== 0) q.set(k, String(v));
  return q;
}

export const relayApi = {
  destinations: () => api.get<{ destinations: DestinationView[] }>(`${base}/destinations`).then((r) => r.destinations),
  destination: (id: string) => api.get<DestinationView>(`${base}/destinations/${enc(id)}`),
  create: (d: Destination) => api.post<DestinationView>(`${base}/destinations`, d),
  update: (id: string, d: Destination) => api.put<DestinationView>(`${base}/destinations/${enc(id)}`, d),
  remove: (id: string) => api.del<void>(`${base}/destinations/${enc(id)}`),
  setEnabled: (id: string, enabled: boolean) => api.post<DestinationView>(`${base}/destinations/${enc(id)}/enabled`, { enabled }),
  preview: (destination: Destination, records: unknown, context: PreviewContext) =>
    api.post<Preview>(`${base}/preview`, { destination, records, context }),
  deliveries: (f: DeliveryFilter) =>
    api.get<{ deliveries: Delivery[] }>(`${base}/deliveries?${deliveryQuery(f)}`).then((r) => r.deliveries),
  /** The same filtered list as a CSV download (a plain link: the browser saves it). */
  deliveriesCSVUrl: (f: DeliveryFilter) => `${base}/deliveries.csv?${deliveryQuery({ ...f, limit: 500 })}`,
  delivery: (id: number) => api.get<DeliveryDetail>(`${base}/deliveries/${id}`),
  replay: (id: number) => api.post<Delivery>(`${base}/deliveries/${id}/replay`),
  retry: (f: { destination_id?: string; statuses?: string[]; import_slug?: string }) =>
    api.post<{ retried: number }>(`${base}/deliveries/retry`, f),
  jobs: () => api.get<{ jobs: Job[] }>(`${base}/jobs`).then((r) => r.jobs),
  sinks: () => api.get<{ sinks: SinkSummary[] }>(`${base}/sinks`).then((r) => r.sinks),
  sink: (name: string) => api.get<{ sink: SinkSummary; requests: SinkRequest[] }>(`${base}/sinks/${enc(name)}?limit=100`),
  clearSink: (name: string) => api.del<void>(`${base}/sinks/${enc(name)}`),
};
