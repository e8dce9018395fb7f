// Console API of the relay (/api/admin/relay/...).
import type { components } from '../../shared/api-types/internal';
import { api } from '../api';

type Schemas = components['schemas'];

export type Inbound = NonNullable<Destination['inbound']>;
/** A destination as the API and the workspace file write it. */
export type Destination = Schemas['Destination'];
export type SecretStatus = Schemas['SecretStatus'];
export type DestinationView = Schemas['DestinationView'];
export type PreviewRequest = Schemas['RelayRequest'];
export type Preview = Schemas['RelayPreview'];
export type PreviewContext = Schemas['RelayPreviewContext'];
export type Delivery = Schemas['Delivery'];
export type Attempt = Schemas['Attempt'];
export type DeliveryDetail = Schemas['DeliveryDetail'];

export interface DeliveryFilter {
  destination?: string;
  status?: string;
  import?: string;
  uid?: string;
  /** UTC days of creation, YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

export type SinkSummary = Schemas['SinkSummary'];
export type SinkRequest = Schemas['SinkRequest'];
export type Job = Schemas['RelayJob'];

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
  sink: (name: string, reveal = false) =>
    api.get<{ sink: SinkSummary; requests: SinkRequest[] }>(`${base}/sinks/${enc(name)}?limit=100${reveal ? '&reveal=1' : ''}`),
  clearSink: (name: string) => api.del<void>(`${base}/sinks/${enc(name)}`),
};
