import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${pluginJson.id}`;

/**
 * The app's settings (`jsonData`), as provisioning/grafana/plugins/flowlens-app.yaml sets them and the Configuration
 * page saves them. Every field is optional: src/data/app-settings.ts fills in the defaults.
 */
export interface FlowlensAppSettings {
  /** Uid of the Prometheus data source that scrapes the Flowlens exporters; unset, the default Prometheus. */
  datasourceUid?: string;
  /** Namespace the pages open on; unset, all namespaces. */
  defaultNamespace?: string;
  /** Whether the service graph and policy flow pages open showing only denied flows. */
  onlyDenied?: boolean;
  /** Whether the service graph page opens showing idle edges (all rates zero). */
  showIdle?: boolean;
  /**
   * The exporter's base URL (`http://flowlens.flowlens.svc:9470`), for its `/api/v1/*` data endpoints. Grafana's
   * plugin proxy calls it (plugin.json `routes`, EXPORTER_ROUTE) with the token of `secureJsonData.exporterToken`,
   * which never reaches the browser.
   */
  exporterUrl?: string;
}

/** The app's `secureJsonData` keys: written by the Configuration page, readable only by Grafana's server. */
export interface FlowlensSecureSettings {
  /** The bearer token of the exporter's `api.tokenFile`. */
  exporterToken?: string;
}

/**
 * plugin.json's proxy route to the exporter: `/api/plugin-proxy/<id>/<EXPORTER_ROUTE>/api/v1/recommendations` is
 * `<exporterUrl>/api/v1/recommendations`. The route names that one endpoint, not the exporter's root: the token the
 * proxy adds opens nothing else to the app's users (least privilege; plugin.test.ts checks it).
 */
export const EXPORTER_ROUTE = 'exporter';

/** The app's pages: route under PLUGIN_BASE_URL, title in the navigation (plugin.json's `includes`). */
export const PAGES = {
  home: { path: '', title: 'Home' },
  serviceGraph: { path: 'service-graph', title: 'Service Graph' },
  policyFlows: { path: 'policy-flows', title: 'Policy Flows' },
  dns: { path: 'dns', title: 'DNS' },
  http: { path: 'http', title: 'HTTP' },
  hotspots: { path: 'hotspots', title: 'Hotspots' },
  anomalies: { path: 'anomalies', title: 'Anomalies' },
  captures: { path: 'captures', title: 'Captures' },
  recommendations: { path: 'recommendations', title: 'Recommendations' },
} as const;

export type PageKey = keyof typeof PAGES;

/** The Configuration page (admins only), where the exporter URL and token are set. */
export const CONFIGURATION_URL = `/plugins/${pluginJson.id}`;

/** The absolute URL of a page, as links and plugin.json use it. */
export function pageUrl(key: PageKey): string {
  const { path } = PAGES[key];
  return path === '' ? PLUGIN_BASE_URL : `${PLUGIN_BASE_URL}/${path}`;
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

/** The nested panels' plugin ids (src/panels/<name>/plugin.json; a test checks them), for the pages' scenes. */
export const SERVICE_GRAPH_PANEL_ID = 'flowlens-servicegraph-panel';
export const POLICY_FLOW_PANEL_ID = 'flowlens-policyflow-panel';
