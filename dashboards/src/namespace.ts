/** One namespace: what it sends and receives, to and from whom, what is denied, its HTTP and DNS; links to workloads. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  EDGE,
  drilldown,
  flowlensDashboard,
  namespaceVariable,
  policyChangeAnnotation,
  query,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
  warnAt,
  redAt,
  httpErrorRatioStat,
} from './common';

const FLOWS_PER_SECOND = 'suffix: flows/s';

export function namespaceDashboard(): dashboard.Dashboard {
  const toWorkload = (label: string): dashboard.DashboardLinkBuilder =>
    drilldown(`Workload \${__field.labels.${label}}`, 'workload', {
      namespace: '${namespace}',
      workload: `\${__field.labels.${label}}`,
    });
  return flowlensDashboard(
    'namespace',
    'One namespace: its traffic in and out, denials, HTTP and DNS by workload. Click a workload to drill down.',
  )
    .withVariable(namespaceVariable())
    .annotation(policyChangeAnnotation())
    .withRow(row('Namespace $namespace'))
    .withPanel(
      statPanel(
        'Flows out',
        { description: 'Flows per second opened by the namespace’s workloads.', unit: FLOWS_PER_SECOND },
        'sum(edge:flowlens_flows:rate5m{source_namespace="$namespace"})',
      ),
    )
    .withPanel(
      statPanel(
        'Flows in',
        { description: 'Flows per second to the namespace’s workloads.', unit: FLOWS_PER_SECOND },
        'sum(edge:flowlens_flows:rate5m{dest_namespace="$namespace"})',
      ),
    )
    .withPanel(
      statPanel(
        'Denied flows',
        {
          description: 'Flows per second denied by policy to or from the namespace.',
          unit: FLOWS_PER_SECOND,
          thresholds: warnAt(0.1, 1),
        },
        'sum(namespace:flowlens_flows_denied:rate5m{namespace="$namespace"})',
      ),
    )
    .withPanel(
      statPanel(
        'Traffic out',
        { description: 'Bytes per second of the flows the namespace opened, both directions.', unit: 'Bps' },
        'sum(edge:flowlens_flow_bytes:rate5m{source_namespace="$namespace"})',
      ),
    )
    .withPanel(
      statPanel(
        'HTTP requests served',
        { description: 'HTTP requests per second to the namespace’s workloads.', unit: 'reqps' },
        'sum(edge:flowlens_http_requests:rate5m{dest_namespace="$namespace"})',
      ),
    )
    .withPanel(
      httpErrorRatioStat(
        'HTTP 5xx ratio served',
        'Share of the namespace’s HTTP answers with a 5xx status.',
        'dest_namespace="$namespace"',
      ),
    )
    .withRow(row('Traffic'))
    .withPanel(
      timeseriesPanel(
        'Flows by workload',
        {
          description: 'Flows per second each workload of the namespace opens. Click a series for the workload.',
          unit: FLOWS_PER_SECOND,
          stacked: true,
          links: [toWorkload('source_workload')],
        },
        [
          query(
            'sum by (source_workload) (edge:flowlens_flows:rate5m{source_namespace="$namespace"})',
            '{{source_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Outbound traffic by destination',
        { description: 'Bytes per second from the namespace, by destination workload.', unit: 'Bps', stacked: true },
        [
          query(
            'sum by (dest_namespace, dest_workload) (edge:flowlens_flow_bytes:rate5m{source_namespace="$namespace"})',
            '{{dest_namespace}}/{{dest_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Inbound traffic by source',
        { description: 'Bytes per second to the namespace, by source workload or peer.', unit: 'Bps', stacked: true },
        [
          query(
            'sum by (source_namespace, source_workload) (edge:flowlens_flow_bytes:rate5m{dest_namespace="$namespace"})',
            '{{source_namespace}}/{{source_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Denied flows, out and in',
        {
          description: 'Flows per second denied by policy: opened by the namespace (out) and to it (in).',
          unit: FLOWS_PER_SECOND,
          thresholds: redAt(1),
        },
        [
          query('sum(edge:flowlens_flows_denied:rate5m{source_namespace="$namespace"})', 'out'),
          query('sum(edge:flowlens_flows_denied:rate5m{dest_namespace="$namespace"})', 'in'),
        ],
      ),
    )
    .withRow(row('Workloads'))
    .withPanel(
      tablePanel(
        'Edges from the namespace',
        {
          description: 'Every edge the namespace’s workloads open, busiest first. Click a workload to drill down.',
          unit: 'Bps',
          width: 24,
          columns: [
            { field: 'source_workload', title: 'Workload' },
            { field: 'dest_namespace', title: 'Destination namespace' },
            { field: 'dest_workload', title: 'Destination workload' },
            { field: 'Value', title: 'Traffic' },
          ],
          columnLinks: {
            Workload: [
              drilldown('Workload ${__data.fields.Workload}', 'workload', {
                namespace: '${namespace}',
                workload: '${__data.fields.Workload}',
              }),
            ],
          },
        },
        `sum by (${EDGE}) (edge:flowlens_flow_bytes:rate5m{source_namespace="$namespace"})`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'HTTP requests by workload',
        {
          description: 'HTTP requests per second each workload of the namespace serves.',
          unit: 'reqps',
          stacked: true,
          links: [toWorkload('dest_workload')],
        },
        [
          query(
            'sum by (dest_workload) (edge:flowlens_http_requests:rate5m{dest_namespace="$namespace"})',
            '{{dest_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'DNS queries by workload',
        {
          description: 'DNS queries per second each workload of the namespace makes.',
          unit: 'reqps',
          stacked: true,
          links: [toWorkload('client_workload')],
        },
        [query('client_workload:flowlens_dns_requests:rate5m{client_namespace="$namespace"}', '{{client_workload}}')],
      ),
    )
    .build();
}
