import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${pluginJson.id}`;

/** The app's settings (`jsonData`), as provisioning/grafana/plugins/flowlens-app.yaml sets them. */
export interface FlowlensAppSettings {
  /** Uid of the Prometheus data source that scrapes the Flowlens exporters. */
  datasourceUid?: string;
}

export interface BundledDashboard {
  uid: string;
  title: string;
  summary: string;
}

/**
 * The dashboards of dashboards/json, provisioned into Grafana's Flowlens folder by provisioning/grafana; a test
 * checks uids and titles against the generated files.
 */
export const DASHBOARDS: BundledDashboard[] = [
  {
    uid: 'flowlens-overview',
    title: 'Flowlens / Cluster overview',
    summary: 'traffic, denials and errors across the cluster',
  },
  {
    uid: 'flowlens-namespace',
    title: 'Flowlens / Namespace',
    summary: 'one namespace: its workloads, peers and denials',
  },
  { uid: 'flowlens-workload', title: 'Flowlens / Workload', summary: 'one workload: its peers, HTTP, DNS and TCP' },
  { uid: 'flowlens-flows', title: 'Flowlens / Flows and policy', summary: 'flows by verdict and by deciding policy' },
  { uid: 'flowlens-http', title: 'Flowlens / HTTP', summary: 'request rates, errors and latency between workloads' },
  { uid: 'flowlens-dns', title: 'Flowlens / DNS', summary: 'queries by name, type and response code, with latency' },
  {
    uid: 'flowlens-tcp',
    title: 'Flowlens / TCP and sockets',
    summary: 'retransmissions, round-trip times and sockets',
  },
  {
    uid: 'flowlens-audit',
    title: 'Flowlens / Kubernetes activity',
    summary: 'API server audit events and policy changes',
  },
  {
    uid: 'flowlens-exporter',
    title: 'Flowlens / Exporter health',
    summary: 'the exporters themselves: sources, errors, series',
  },
];
