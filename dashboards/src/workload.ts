/**
 * One workload: its edges in and out, denials, the HTTP it serves, its DNS and TCP health, its sockets; links to its
 * flows and policies.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import {
  RATE,
  dashboardUrl,
  drilldown,
  flowlensDashboard,
  namespaceVariable,
  policyChangeAnnotation,
  query,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
  workloadVariable,
  warnAt,
  redAt,
} from './common';

const FLOWS_PER_SECOND = 'suffix: flows/s';
const SOURCE = 'source_namespace="$namespace", source_workload="$workload"';
const DEST = 'dest_namespace="$namespace", dest_workload="$workload"';

/**
 * The workload's peers at one end of its edges (`dest`: where it connects; `source`: who connects to it), busiest
 * first, each linking to the peer's workload dashboard.
 */
function peerTable(title: string, description: string, peer: 'source' | 'dest'): table.PanelBuilder {
  const label = peer === 'source' ? 'Source' : 'Destination';
  const namespaceColumn = `${label} namespace`;
  const workloadColumn = `${label} workload`;
  return tablePanel(
    title,
    {
      description,
      unit: FLOWS_PER_SECOND,
      columns: [
        { field: `${peer}_namespace`, title: namespaceColumn },
        { field: `${peer}_workload`, title: workloadColumn },
        { field: 'Value', title: 'Flows/s' },
      ],
      columnLinks: {
        [workloadColumn]: [
          drilldown(`Workload \${__data.fields["${workloadColumn}"]}`, 'workload', {
            namespace: `\${__data.fields["${namespaceColumn}"]}`,
            workload: `\${__data.fields["${workloadColumn}"]}`,
          }),
        ],
      },
    },
    `sum by (${peer}_namespace, ${peer}_workload) (edge:flowlens_flows:rate5m{${peer === 'dest' ? SOURCE : DEST}})`,
  );
}

export function workloadDashboard(): dashboard.Dashboard {
  const flowsLink = (title: string, namespace: string, workload: string): dashboard.DashboardLinkBuilder =>
    drilldown(title, 'flows', { namespace, workload });
  return flowlensDashboard(
    'workload',
    'One workload: edges in and out, denials, the HTTP it serves, its DNS, TCP and sockets. Links lead to its flows and policies.',
  )
    .withVariable(namespaceVariable())
    .withVariable(workloadVariable({ includeAll: false }))
    .link(
      new dashboard.DashboardLinkBuilder('Flows and policy of $workload')
        .type(dashboard.DashboardLinkType.Link)
        .icon('external link')
        .url(dashboardUrl('flows', { namespace: '${namespace}', workload: '${workload}' })),
    )
    .annotation(policyChangeAnnotation())
    .withRow(row('$namespace/$workload'))
    .withPanel(
      statPanel(
        'Flows out',
        { description: 'Flows per second the workload opens.', unit: FLOWS_PER_SECOND, width: 3 },
        `sum(edge:flowlens_flows:rate5m{${SOURCE}})`,
      ),
    )
    .withPanel(
      statPanel(
        'Flows in',
        { description: 'Flows per second to the workload.', unit: FLOWS_PER_SECOND, width: 3 },
        `sum(edge:flowlens_flows:rate5m{${DEST}})`,
      ),
    )
    .withPanel(
      statPanel(
        'Denied out',
        {
          description: 'Flows per second the workload opens that policy denies.',
          unit: FLOWS_PER_SECOND,
          width: 3,
          thresholds: warnAt(0.1, 1),
        },
        `sum(edge:flowlens_flows_denied:rate5m{${SOURCE}})`,
      ),
    )
    .withPanel(
      statPanel(
        'Denied in',
        {
          description: 'Flows per second to the workload that policy denies.',
          unit: FLOWS_PER_SECOND,
          width: 3,
          thresholds: warnAt(0.1, 1),
        },
        `sum(edge:flowlens_flows_denied:rate5m{${DEST}})`,
      ),
    )
    .withPanel(
      statPanel(
        'HTTP requests served',
        { description: 'HTTP requests per second the workload answers.', unit: 'reqps', width: 4 },
        `sum(edge:flowlens_http_requests:rate5m{${DEST}})`,
      ),
    )
    .withPanel(
      statPanel(
        'HTTP 5xx ratio',
        {
          description: 'Share of the workload’s HTTP answers with a 5xx status (5-minute rate).',
          unit: 'percentunit',
          width: 4,
          thresholds: warnAt(0.01, 0.05),
        },
        'dest_workload:flowlens_http_errors:ratio_rate5m{dest_namespace="$namespace", dest_workload="$workload"}',
      ),
    )
    .withPanel(
      statPanel(
        'HTTP p99 latency',
        {
          description: '99th percentile of the workload’s HTTP request duration.',
          unit: 's',
          width: 4,
          thresholds: warnAt(0.25, 0.5),
        },
        `histogram_quantile(0.99, sum by (le) (rate(flowlens_http_request_duration_seconds_bucket{${DEST}}[${RATE}])))`,
      ),
    )
    .withRow(row('Edges'))
    .withPanel(
      peerTable(
        'Outbound edges',
        'Where the workload connects, busiest first. Click a destination for its workload dashboard.',
        'dest',
      ),
    )
    .withPanel(
      peerTable(
        'Inbound edges',
        'Who connects to the workload, busiest first. Click a source for its workload dashboard.',
        'source',
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Traffic out and in',
        { description: 'Bytes per second of the flows the workload opens (out) and receives (in).', unit: 'Bps' },
        [
          query(`sum(edge:flowlens_flow_bytes:rate5m{${SOURCE}})`, 'out'),
          query(`sum(edge:flowlens_flow_bytes:rate5m{${DEST}})`, 'in'),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Flows by verdict',
        {
          description: 'Flows per second the workload opens, allowed and denied. Click for the deciding policies.',
          unit: FLOWS_PER_SECOND,
          stacked: true,
          links: [flowsLink('Flows and policy of $workload', '${namespace}', '${workload}')],
        },
        [query(`sum by (action) (rate(flowlens_flows_total{${SOURCE}}[${RATE}]))`, '{{action}}')],
      ),
    )
    .withRow(row('HTTP served'))
    .withPanel(
      timeseriesPanel(
        'Requests by status class',
        {
          description: 'HTTP requests per second the workload answers, by status class.',
          unit: 'reqps',
          stacked: true,
        },
        [query(`sum by (status_class) (rate(flowlens_http_requests_total{${DEST}}[${RATE}]))`, '{{status_class}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Request duration',
        {
          description: 'Percentiles of the workload’s HTTP request duration.',
          unit: 's',
          thresholds: redAt(0.5),
        },
        [0.5, 0.9, 0.99].map((quantile) =>
          query(
            `histogram_quantile(${quantile}, sum by (le) (rate(flowlens_http_request_duration_seconds_bucket{${DEST}}[${RATE}])))`,
            `p${Math.round(quantile * 100)}`,
          ),
        ),
      ),
    )
    .withRow(row('DNS and TCP'))
    .withPanel(
      timeseriesPanel(
        'DNS queries by response code',
        { description: 'DNS queries per second the workload makes, by response code.', unit: 'reqps', stacked: true },
        [
          query(
            `sum by (rcode) (rate(flowlens_dns_requests_total{client_namespace="$namespace", client_workload="$workload"}[${RATE}]))`,
            '{{rcode}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'TCP retransmissions',
        {
          description: 'TCP segments per second the workload’s outbound flows retransmit (Calico flow logs).',
          unit: 'suffix: segments/s',
        },
        [
          query(
            `sum by (dest_namespace, dest_workload) (edge:flowlens_tcp_retransmissions:rate5m{${SOURCE}})`,
            '→ {{dest_namespace}}/{{dest_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Sockets by state',
        {
          description: 'The workload’s sockets by protocol and state at each scan (the sockets source).',
          unit: 'short',
          stacked: true,
        },
        [
          query(
            'sum by (protocol, state) (flowlens_sockets{namespace="$namespace", workload="$workload"})',
            '{{protocol}} {{state}}',
          ),
        ],
      ),
    )
    .build();
}
