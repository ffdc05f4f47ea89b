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
