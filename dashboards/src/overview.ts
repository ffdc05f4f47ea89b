/** The cluster at a glance: traffic, denials, HTTP and DNS health, and the edges that matter, linking to namespaces. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  EDGE,
  EDGE_LEGEND,
  RATE,
  barsPanel,
  drilldown,
  flowlensDashboard,
  policyChangeAnnotation,
  query,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
  warnAt,
  redAt,
  httpErrorRatioStat,
  EDGE_COLUMNS,
} from './common';

export function overviewDashboard(): dashboard.Dashboard {
  const toNamespace = (label: string): dashboard.DashboardLinkBuilder =>
    drilldown(`Namespace \${__field.labels.${label}}`, 'namespace', { namespace: `\${__field.labels.${label}}` });
  return flowlensDashboard(
    'overview',
    'Traffic, policy denials, HTTP and DNS health across the cluster. Click a namespace or an edge to drill down.',
  )
    .annotation(policyChangeAnnotation())
    .withRow(row('Cluster'))
    .withPanel(
      statPanel(
        'Flows',
        {
          description: 'Flows per second between all workloads and peers (each flow once, whichever end reported it).',
          unit: 'suffix: flows/s',
        },
        'sum(edge:flowlens_flows:rate5m)',
      ),
    )
    .withPanel(
      statPanel(
        'Denied flows',
        {
          description: 'Flows per second denied by network policy, at either end.',
          unit: 'suffix: flows/s',
          thresholds: warnAt(0.1, 1),
        },
        'sum(edge:flowlens_flows_denied:rate5m)',
      ),
    )
    .withPanel(
      statPanel(
        'Traffic',
        { description: 'Bytes per second carried by flows, both directions.', unit: 'Bps' },
        'sum(edge:flowlens_flow_bytes:rate5m)',
      ),
    )
    .withPanel(
      statPanel(
        'HTTP requests',
        { description: 'HTTP requests per second seen by Envoy, Calico L7 or Hubble.', unit: 'reqps' },
        'sum(edge:flowlens_http_requests:rate5m)',
      ),
    )
    .withPanel(httpErrorRatioStat('HTTP 5xx ratio', 'Share of HTTP requests answered with a 5xx status.', ''))
    .withPanel(
      statPanel(
        'DNS NXDOMAIN ratio',
        {
          description:
            'Share of DNS queries answered NXDOMAIN. Search-path expansion (ndots:5) makes up to 75 % normal for clients resolving external names.',
          unit: 'percentunit',
          thresholds: warnAt(0.75, 0.8),
        },
        'sum(client_workload:flowlens_dns_nxdomain:rate5m) / sum(client_workload:flowlens_dns_requests:rate5m)',
      ),
    )
    .withRow(row('Namespaces'))
    .withPanel(
      timeseriesPanel(
        'Flows by source namespace',
        {
          description: 'Flows per second that each namespace opens. Click a series for its namespace dashboard.',
          unit: 'suffix: flows/s',
          stacked: true,
          links: [toNamespace('source_namespace')],
        },
        [query('sum by (source_namespace) (edge:flowlens_flows:rate5m)', '{{source_namespace}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Denied flows by source namespace',
        {
          description: 'Flows per second denied by policy, by the namespace that opened them.',
          unit: 'suffix: flows/s',
          links: [toNamespace('source_namespace')],
          thresholds: redAt(1),
        },
        [query('sum by (source_namespace) (edge:flowlens_flows_denied:rate5m)', '{{source_namespace}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Traffic by source namespace',
        {
          description: 'Bytes per second sent and received by each namespace’s flows.',
          unit: 'Bps',
          stacked: true,
          links: [toNamespace('source_namespace')],
        },
        [query('sum by (source_namespace) (edge:flowlens_flow_bytes:rate5m)', '{{source_namespace}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'HTTP 5xx ratio by destination',
        {
          description: 'The ten destination workloads with the highest share of 5xx answers.',
          unit: 'percentunit',
          max: 1,
          thresholds: redAt(0.05),
        },
        [query('topk(10, dest_workload:flowlens_http_errors:ratio_rate5m)', '{{dest_namespace}}/{{dest_workload}}')],
      ),
    )
    .withRow(row('Edges'))
    .withPanel(
      barsPanel(
        'Busiest edges',
        {
          description: 'The ten edges carrying the most bytes per second. Click one for its source workload.',
          unit: 'Bps',
          width: 12,
          links: [
            drilldown('Workload ${__field.labels.source_namespace}/${__field.labels.source_workload}', 'workload', {
              namespace: '${__field.labels.source_namespace}',
              workload: '${__field.labels.source_workload}',
            }),
          ],
        },
        `topk(10, sum by (${EDGE}) (edge:flowlens_flow_bytes:rate5m))`,
        EDGE_LEGEND,
      ),
    )
    .withPanel(
      tablePanel(
        'Denied edges',
        {
          description: 'Edges with flows denied by policy now. Click a source for its flows and deciding policies.',
          unit: 'suffix: flows/s',
          width: 12,
          columns: [...EDGE_COLUMNS, { field: 'Value', title: 'Denied flows/s' }],
          columnLinks: {
            'Source workload': [
              drilldown('Flows of ${__data.fields["Source workload"]}', 'flows', {
                namespace: '${__data.fields["Source namespace"]}',
                workload: '${__data.fields["Source workload"]}',
              }),
            ],
          },
        },
        `sum by (${EDGE}) (edge:flowlens_flows_denied:rate5m) > 0`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'DNS queries by response code',
        { description: 'DNS queries per second across the cluster, by response code.', unit: 'reqps', stacked: true },
        [query(`sum by (rcode) (rate(flowlens_dns_requests_total[${RATE}]))`, '{{rcode}}')],
      ),
    )
    .withRow(row('Anomalies'))
    .withPanel(
      timeseriesPanel(
        'Anomaly scores',
        {
          description:
            'The exporter’s anomaly detectors: each series’ robust z-score against its own baseline and, once learnt, its time-of-day profile (top N per exporter; new edges score 10, a busy edge gone quiet up to 10 as traffic_drop). From 6 for two minutes, FlowlensAnomalyDetected fires. Scores appear after a series’ first 10 minutes.',
          unit: 'none',
          width: 16,
          thresholds: redAt(6),
        },
        [
          query(
            'max by (kind, namespace, workload, direction, peer_namespace, peer_workload) (flowlens_anomaly_score)',
            '{{kind}} {{namespace}}/{{workload}} {{direction}} {{peer_namespace}}/{{peer_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Anomalies raised',
        {
          description: 'Anomalies the detectors raised in the past hour, by kind, over all exporters.',
          unit: 'short',
          width: 8,
          stacked: true,
        },
        [query('sum by (kind) (increase(flowlens_anomalies_total[1h]))', '{{kind}}')],
      ),
    )
    .build();
}
