// The Prometheus queries behind the app's views, declared once: the app's pages run them, the README tells users
// to paste them into their own panels, and the browser tests run them against a real Prometheus. Each query names
// its refId; the data code reads frames by the metric names and labels these queries return.
//
// `$namespace` and `$workload` are Grafana template variables (regex matchers, so "All" is `.*`); an edge is kept
// when either end matches, as in the Flowlens dashboards.

/** A Prometheus data source query, as Grafana's Prometheus query editor stores it. */
export interface PrometheusQuery {
  refId: string;
  expr: string;
  /** Instant queries: the views draw the current rates, not their history. */
  instant: boolean;
  range: boolean;
  format: 'time_series' | 'table';
  legendFormat?: string;
}

/** The labels of an edge between two workloads, for `by (...)` clauses. */
export const EDGE_LABELS = 'source_namespace, source_workload, dest_namespace, dest_workload';

/** The variables the queries use and what a page without them substitutes. */
export const QUERY_VARIABLES = { namespace: '$namespace', workload: '$workload' } as const;
export const MATCH_ALL = '.*';

function instant(refId: string, expr: string): PrometheusQuery {
  return { refId, expr, instant: true, range: false, format: 'time_series' };
}

/** `metric` with either end in the selected namespaces and workloads: `a or b` keeps each series once. */
function eitherEnd(metric: string, matchers = ''): string {
  const extra = matchers === '' ? '' : `, ${matchers}`;
  const end = (side: 'source' | 'dest') =>
    `${metric}{${side}_namespace=~"${QUERY_VARIABLES.namespace}", ${side}_workload=~"${QUERY_VARIABLES.workload}"${extra}}`;
  return `${end('source')} or ${end('dest')}`;
}

/** Flows of both reporters counted once: the larger of the two, as the edge recording rules do. */
function perEdge(byExtra: string, rateExpr: string): string {
  return `max without (reporter) (sum by (${EDGE_LABELS}, ${byExtra}, reporter) (${rateExpr}))`;
}

/**
 * The service graph: the per-edge recording rules of alerts/flowlens-rules.yml (one query each, so a rule's
 * frames are known by their metric name), then the breakdowns its filters and side panel need.
 */
export const SERVICE_GRAPH_QUERIES: PrometheusQuery[] = [
  instant('flows', eitherEnd('edge:flowlens_flows:rate5m')),
  instant('denied', eitherEnd('edge:flowlens_flows_denied:rate5m')),
  instant('bytes', eitherEnd('edge:flowlens_flow_bytes:rate5m')),
  instant('http', eitherEnd('edge:flowlens_http_requests:rate5m')),
  instant('http_errors', eitherEnd('edge:flowlens_http_errors:rate5m')),
  instant('http_p99', eitherEnd('edge:flowlens_http_request_duration_seconds:p99_rate5m')),
  // Which policy decided each edge's flows, and with what action: the side panel's "decided by".
  instant(
    'policies',
    perEdge('policy_tier, policy, action', `rate(flowlens_flows_total[5m]) and (${eitherEnd('flowlens_flows_total')})`),
  ),
  // Protocols and destination ports of each edge: the protocol and port filters.
  instant(
    'ports',
    perEdge('protocol, dest_port', `rate(flowlens_flows_total[5m]) and (${eitherEnd('flowlens_flows_total')})`),
  ),
  // The Kubernetes service each edge's flows were addressed to (empty, so absent, when dialled directly): service
  // nodes, when the panel shows services.
  instant(
    'services',
    perEdge('dest_service', `rate(flowlens_flows_total[5m]) and (${eitherEnd('flowlens_flows_total')})`),
  ),
  // DNS activity of each client workload: the side panel of a node.
  instant('dns', 'client_workload:flowlens_dns_requests:rate5m'),
  instant('dns_nxdomain', 'client_workload:flowlens_dns_nxdomain:rate5m'),
  instant('dns_servfail', 'client_workload:flowlens_dns_servfail:rate5m'),
  instant('dns_p99', 'client_workload:flowlens_dns_latency_seconds:p99_rate5m'),
];

/** The policy flow: flows by source, deciding policy and action, destination; and what staged policies would do. */
export const POLICY_FLOW_QUERIES: PrometheusQuery[] = [
  instant(
    'enforced',
    perEdge('policy_tier, policy, action', `rate(flowlens_flows_total[5m]) and (${eitherEnd('flowlens_flows_total')})`),
  ),
  instant(
    'staged',
    `sum by (${EDGE_LABELS}, policy, action) (rate(flowlens_staged_policy_flows_total[5m]) and (${eitherEnd('flowlens_staged_policy_flows_total')}))`,
  ),
];

/** A query with the template variables replaced, for a page or test that has no Grafana to interpolate them. */
export function withVariables(
  query: PrometheusQuery,
  values: { namespace?: string; workload?: string } = {},
): PrometheusQuery {
  const expr = query.expr
    .replaceAll(QUERY_VARIABLES.namespace, values.namespace ?? MATCH_ALL)
    .replaceAll(QUERY_VARIABLES.workload, values.workload ?? MATCH_ALL);
  return { ...query, expr };
}

// --- The app's pages: variables, DNS and HTTP -------------------------------------------------------------------

/** A template variable's query: the values of `name` at either end of an edge, as the Flowlens dashboards list them. */
export interface VariableQuery {
  name: 'namespace' | 'workload';
  /** A Prometheus `query_result(...)` variable query; `regex` extracts the value from each result line. */
  query: string;
  regex: string;
}

/**
 * `label_values` reads one label, and a namespace only seen at one end of its edges (a database namespace only
 * receives) would be missing from the other: the union of both ends comes from a query (dashboards/src/common.ts).
 */
function eitherEndVariable(name: 'namespace' | 'workload', selectors: { source: string; dest: string }): VariableQuery {
  const end = (side: 'source' | 'dest', selector: string): string =>
    `label_replace(edge:flowlens_flows:rate5m${selector}, "${name}", "$1", "${side}_${name}", "(.+)")`;
  return {
    name,
    query: `query_result(count by (${name}) (${end('source', selectors.source)} or ${end('dest', selectors.dest)}))`,
    regex: `/${name}="([^"]+)"/`,
  };
}

/** Namespaces seen at either end of a flow. */
export const NAMESPACE_VARIABLE: VariableQuery = eitherEndVariable('namespace', { source: '', dest: '' });

/** Workloads of the selected namespaces (a regex: "All" is `.*`), at either end of a flow. */
export const WORKLOAD_VARIABLE: VariableQuery = eitherEndVariable('workload', {
  source: `{source_namespace=~"${QUERY_VARIABLES.namespace}"}`,
  dest: `{dest_namespace=~"${QUERY_VARIABLES.namespace}"}`,
});

/** A range query for a time series panel. */
function range(refId: string, expr: string, legendFormat: string): PrometheusQuery {
  return { refId, expr, instant: false, range: true, format: 'time_series', legendFormat };
}

/** An instant query as a table, for tables and bar gauges of the current values. */
function instantTable(refId: string, expr: string, legendFormat?: string): PrometheusQuery {
  return { refId, expr, instant: true, range: false, format: 'table', ...(legendFormat ? { legendFormat } : {}) };
}

/** The legend of a series of one edge. */
export const EDGE_LEGEND = '{{source_namespace}}/{{source_workload}} → {{dest_namespace}}/{{dest_workload}}';
/** The legend of a series of one DNS client workload. */
export const CLIENT_LEGEND = '{{client_namespace}}/{{client_workload}}';

/** The DNS client workloads of the selected namespaces (DNS series name the client, not an edge). */
const DNS_CLIENT = `client_namespace=~"${QUERY_VARIABLES.namespace}"`;

/** How many names the top lists show. */
export const TOP_NAMES = 20;

/**
 * The DNS page: queries by client workload, the most queried names, NXDOMAIN and SERVFAIL ratios, p99 latency; the
 * client_workload recording rules of alerts/flowlens-rules.yml, and flowlens_dns_domain_requests_total for names.
 */
export const DNS_QUERIES = {
  requests: range('dns_requests', `client_workload:flowlens_dns_requests:rate5m{${DNS_CLIENT}}`, CLIENT_LEGEND),
  topNames: instantTable(
    'dns_top_names',
    // __other__ sums the names outside each namespace's top K (docs/metrics.md): not a name.
    `topk(${TOP_NAMES}, sum by (qname) (rate(flowlens_dns_domain_requests_total{${DNS_CLIENT}, qname!="__other__"}[5m])))`,
    '{{qname}}',
  ),
  topNxdomainNames: instantTable(
    'dns_top_nxdomain_names',
    `topk(${TOP_NAMES}, sum by (qname) (rate(flowlens_dns_domain_requests_total{${DNS_CLIENT}, qname!="__other__", rcode="NXDOMAIN"}[5m])) > 0)`,
    '{{qname}}',
  ),
  nxdomainRatio: range(
    'dns_nxdomain_ratio',
    `client_workload:flowlens_dns_nxdomain:ratio_rate5m{${DNS_CLIENT}}`,
    CLIENT_LEGEND,
  ),
  servfailRatio: range(
    'dns_servfail_ratio',
    `client_workload:flowlens_dns_servfail:ratio_rate5m{${DNS_CLIENT}}`,
    CLIENT_LEGEND,
  ),
  p99: range('dns_p99', `client_workload:flowlens_dns_latency_seconds:p99_rate5m{${DNS_CLIENT}}`, CLIENT_LEGEND),
} satisfies Record<string, PrometheusQuery>;

/** `sum by (edge)` of a per-edge rule with either end selected. */
function edgeSum(metric: string): string {
  return `sum by (${EDGE_LABELS}) (${eitherEnd(metric)})`;
}

/** The destination workloads selected, for the dest_workload recording rules. */
const HTTP_DEST = `dest_namespace=~"${QUERY_VARIABLES.namespace}", dest_workload=~"${QUERY_VARIABLES.workload}"`;

/**
 * The HTTP page: request rate, 5xx ratio and p99 of each edge (the edge:flowlens_http_* rules), and the error and
 * slow-request ratios each destination workload's objectives are computed from (dest_workload:* rules).
 */
export const HTTP_QUERIES = {
  requests: range('http_requests', edgeSum('edge:flowlens_http_requests:rate5m'), EDGE_LEGEND),
  errorRatio: range(
    'http_error_ratio',
    // Edges without requests have no ratio rather than a division by zero.
    `${edgeSum('edge:flowlens_http_errors:rate5m')} / (${edgeSum('edge:flowlens_http_requests:rate5m')} > 0)`,
    EDGE_LEGEND,
  ),
  p99: range('http_p99', eitherEnd('edge:flowlens_http_request_duration_seconds:p99_rate5m'), EDGE_LEGEND),
  destErrorRatio: instantTable(
    'http_dest_error_ratio',
    `dest_workload:flowlens_http_errors:ratio_rate5m{${HTTP_DEST}}`,
  ),
  destSlowRatio: instantTable(
    'http_dest_slow_ratio',
    `dest_workload:flowlens_http_slow_requests:ratio_rate5m{${HTTP_DEST}}`,
  ),
} satisfies Record<string, PrometheusQuery>;

// --- Hotspots: the top workloads and edges per category ----------------------------------------------------------

/** Rows each hotspot table shows. */
export const HOTSPOT_LIMIT = 10;
/**
 * Ratios and means rank only workloads with at least this many requests or queries in the 5 minutes the rules rate
 * over (the exporter's /api/v1/hotspots uses the same floor per window), so one failed request does not top a list.
 */
export const HOTSPOT_MIN_VOLUME = 20;

/** A category's table: its ranking query (topk) and the volume behind each ranked row, on the same labels. */
export interface HotspotTable {
  /** The labels that name a row: a workload or an edge. */
  by: string;
  /** The dashboard (uid, constants.ts DASHBOARDS) a row links to, with its namespace and workload. */
  dashboardUid: string;
  /** Which labels of a row fill the link's `var-namespace` and `var-workload`. */
  linkLabels: { namespace: string; workload: string };
  rank: PrometheusQuery;
  volume: PrometheusQuery;
}

const DEST_LABELS = 'dest_namespace, dest_workload';
const CLIENT_LABELS = 'client_namespace, client_workload';
const HOT_DEST = `dest_namespace=~"${QUERY_VARIABLES.namespace}"`;
const HOT_CLIENT = `client_namespace=~"${QUERY_VARIABLES.namespace}"`;
/** An edge with either end in the selected namespaces (every workload). */
const hotEdge = (metric: string): string =>
  `(${metric}{source_namespace=~"${QUERY_VARIABLES.namespace}"} or ${metric}{dest_namespace=~"${QUERY_VARIABLES.namespace}"})`;

/**
 * `value` ranked (topk of those above zero) among the rows whose `volume` (a rate over 5 minutes) reaches
 * `minVolume` events, and the volume of exactly the ranked rows.
 */
function hotspot(
  refId: string,
  by: string,
  value: string,
  volume: string,
  minVolume: number,
): { rank: PrometheusQuery; volume: PrometheusQuery } {
  const guarded = `(${value}) > 0 and on (${by}) ((${volume}) * 300 >= ${minVolume})`;
  const ranked = `topk(${HOTSPOT_LIMIT}, ${guarded})`;
  return {
    rank: instantTable(refId, ranked),
    volume: instantTable(`${refId}_volume`, `(${volume}) and on (${by}) ${ranked}`),
  };
}

const HTTP_REQUESTS_BY_DEST = `sum by (${DEST_LABELS}) (edge:flowlens_http_requests:rate5m{${HOT_DEST}})`;
const DNS_FAILURES = `(client_workload:flowlens_dns_nxdomain:rate5m{${HOT_CLIENT}} + client_workload:flowlens_dns_servfail:rate5m{${HOT_CLIENT}}) or client_workload:flowlens_dns_nxdomain:rate5m{${HOT_CLIENT}} or client_workload:flowlens_dns_servfail:rate5m{${HOT_CLIENT}}`;
const DNS_REQUESTS = `client_workload:flowlens_dns_requests:rate5m{${HOT_CLIENT}}`;

/**
 * The hotspots page, cluster-wide from the recording rules of alerts/flowlens-rules.yml: the slowest server
 * workloads (p99, the largest of their edges'), the highest 5xx ratios, the DNS clients with the highest
 * NXDOMAIN + SERVFAIL ratio, and the edges with the most denied flows and retransmissions. Each table has the ranked
 * value and the volume behind it (requests, queries, flows or packets per second).
 */
export const HOTSPOT_QUERIES = {
  latency: {
    by: DEST_LABELS,
    dashboardUid: 'flowlens-http',
    linkLabels: { namespace: 'dest_namespace', workload: 'dest_workload' },
    ...hotspot(
      'hot_latency',
      DEST_LABELS,
      `max by (${DEST_LABELS}) (edge:flowlens_http_request_duration_seconds:p99_rate5m{${HOT_DEST}})`,
      HTTP_REQUESTS_BY_DEST,
      HOTSPOT_MIN_VOLUME,
    ),
  },
  errors: {
    by: DEST_LABELS,
    dashboardUid: 'flowlens-http',
    linkLabels: { namespace: 'dest_namespace', workload: 'dest_workload' },
    ...hotspot(
      'hot_errors',
      DEST_LABELS,
      `dest_workload:flowlens_http_errors:ratio_rate5m{${HOT_DEST}}`,
      HTTP_REQUESTS_BY_DEST,
      HOTSPOT_MIN_VOLUME,
    ),
  },
  dns: {
    by: CLIENT_LABELS,
    dashboardUid: 'flowlens-dns',
    linkLabels: { namespace: 'client_namespace', workload: 'client_workload' },
    ...hotspot('hot_dns', CLIENT_LABELS, `(${DNS_FAILURES}) / (${DNS_REQUESTS} > 0)`, DNS_REQUESTS, HOTSPOT_MIN_VOLUME),
  },
  denied: {
    by: EDGE_LABELS,
    dashboardUid: 'flowlens-flows',
    linkLabels: { namespace: 'source_namespace', workload: 'source_workload' },
    ...hotspot(
      'hot_denied',
      EDGE_LABELS,
      `sum by (${EDGE_LABELS}) ${hotEdge('edge:flowlens_flows_denied:rate5m')}`,
      `sum by (${EDGE_LABELS}) ${hotEdge('edge:flowlens_flows:rate5m')}`,
      1,
    ),
  },
  retransmissions: {
    by: EDGE_LABELS,
    dashboardUid: 'flowlens-tcp',
    linkLabels: { namespace: 'source_namespace', workload: 'source_workload' },
    ...hotspot(
      'hot_retransmissions',
      EDGE_LABELS,
      `sum by (${EDGE_LABELS}) ${hotEdge('edge:flowlens_tcp_retransmissions:rate5m')}`,
      `sum by (${EDGE_LABELS}) ${hotEdge('edge:flowlens_tcp_packets:rate5m')}`,
      HOTSPOT_MIN_VOLUME,
    ),
  },
} satisfies Record<string, HotspotTable>;
// --- Anomalies: what the exporters' detectors score now ------------------------------------------------------------

/**
 * The detectors' enter threshold (exporter/src/analytics/anomaly/detector.ts) and FlowlensAnomalyDetected's: a series
 * scoring this much two windows running is an anomaly. The page colours scores from it.
 */
export const ANOMALY_ENTER_SCORE = 6;
/** Below this score an alarmed series counts as recovering (the detectors' exit threshold). */
export const ANOMALY_EXIT_SCORE = 3;

/**
 * The labels that name one scored series: its kind, the workload it belongs to and, for edges, the direction (egress
 * to the peer, or ingress from a peer outside the cluster) and the peer.
 */
export const ANOMALY_LABELS = 'kind, namespace, workload, direction, peer_namespace, peer_workload';
const ANOMALY_LEGEND = '{{kind}}: {{namespace}}/{{workload}} {{direction}} {{peer_namespace}}/{{peer_workload}}';
/** Scores of the selected namespaces; several nodes may score the same series, and the highest counts (as the alert). */
const ANOMALY_SCORES = `max by (${ANOMALY_LABELS}) (flowlens_anomaly_score{namespace=~"${QUERY_VARIABLES.namespace}"})`;

/**
 * The Anomalies page: each exporter's top-N scored series now (flowlens_anomaly_score, a robust z-score; new edges
 * score 10) and over time, how many anomalies started per hour by kind (flowlens_anomalies_total has only `kind`, so
 * that panel is cluster-wide), and the FlowlensAnomalyDetected alerts Prometheus has firing.
 */
export const ANOMALY_QUERIES = {
  current: instantTable('anomaly_current', ANOMALY_SCORES),
  scores: range('anomaly_scores', ANOMALY_SCORES, ANOMALY_LEGEND),
  startedPerHour: range('anomalies_started', 'sum by (kind) (increase(flowlens_anomalies_total[1h]))', '{{kind}}'),
  firing: instantTable(
    'anomaly_alerts',
    `max by (${ANOMALY_LABELS}) (ALERTS{alertname="FlowlensAnomalyDetected", alertstate="firing", namespace=~"${QUERY_VARIABLES.namespace}"})`,
  ),
} satisfies Record<string, PrometheusQuery>;

// --- The Captures page ----------------------------------------------------------------------------------------------

/** Namespaces of the PacketCaptures the exporters report now, and of captures that wrote packets. */
export const CAPTURE_NAMESPACE_VARIABLE: VariableQuery = {
  name: 'namespace',
  query: 'query_result(count by (namespace) (flowlens_capture_info or flowlens_capture_bytes_total))',
  regex: '/namespace="([^"]+)"/',
};

/** The PacketCaptures of the selected namespaces, for the per-capture series' `{...}`. */
const CAPTURE_NAMESPACE = `namespace=~"${QUERY_VARIABLES.namespace}"`;

/** The labels that identify one capture on one node: the table's join key. */
export const CAPTURE_LABELS = 'namespace, name, node';

/**
 * The Captures page (docs/capture.md): every capture on every node with its state and this node's totals (three
 * instant tables joined on CAPTURE_LABELS), captures running per node, and bytes and packets captured per namespace.
 * `max by` keeps one row per capture and node when an exporter is scraped twice.
 */
export const CAPTURE_QUERIES = {
  status: instantTable(
    'capture_status',
    `max by (${CAPTURE_LABELS}, state) (flowlens_capture_info{${CAPTURE_NAMESPACE}})`,
  ),
  bytes: instantTable(
    'capture_bytes',
    `max by (${CAPTURE_LABELS}) (flowlens_capture_node_bytes{${CAPTURE_NAMESPACE}})`,
  ),
  packets: instantTable(
    'capture_packets',
    `max by (${CAPTURE_LABELS}) (flowlens_capture_node_packets{${CAPTURE_NAMESPACE}})`,
  ),
  // Per node (the exporters' instance label is the node): the gauge has no namespace.
  active: range('captures_active', 'sum by (instance) (flowlens_captures_active)', '{{instance}}'),
  bytesRate: range(
    'capture_bytes_rate',
    `sum by (namespace) (rate(flowlens_capture_bytes_total{${CAPTURE_NAMESPACE}}[5m]))`,
    '{{namespace}}',
  ),
  packetsRate: range(
    'capture_packets_rate',
    `sum by (namespace) (rate(flowlens_capture_packets_total{${CAPTURE_NAMESPACE}}[5m]))`,
    '{{namespace}}',
  ),
} satisfies Record<string, PrometheusQuery>;

/** The table's value columns, by the refId of the query that gives them ("Value #<refId>" in Grafana's frames). */
export const CAPTURE_TABLE_COLUMNS = {
  capture_bytes: 'Bytes',
  capture_packets: 'Packets',
} as const;
