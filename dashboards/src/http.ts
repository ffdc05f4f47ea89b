/** HTTP served by a namespace's workloads: rates, errors by caller, latency by edge, objectives and bytes. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  EDGE,
  EDGE_LEGEND,
  RATE,
  flowlensDashboard,
  namespaceVariable,
  query,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
  workloadVariable,
  warnAt,
  redAt,
  httpErrorRatioStat,
} from './common';

const SERVED = 'dest_namespace="$namespace", dest_workload=~"$workload"';

export function httpDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'http',
    'HTTP (L7) traffic served by the namespace’s workloads, from Envoy, Calico L7 or Hubble: rates, errors by caller, latency by edge, error-budget burn and bytes.',
  )
    .withVariable(namespaceVariable())
    .withVariable(workloadVariable({ includeAll: true }))
    .withRow(row('Requests'))
    .withPanel(
      statPanel(
        'Requests',
        { description: 'HTTP requests per second served by the selection.', unit: 'reqps', width: 6 },
        `sum(edge:flowlens_http_requests:rate5m{${SERVED}})`,
      ),
    )
    .withPanel(httpErrorRatioStat('5xx ratio', 'Share of answers with a 5xx status.', SERVED, 6))
    .withPanel(
      statPanel(
        'p99 latency',
        {
          description: '99th percentile request duration.',
          unit: 's',
          width: 6,
          thresholds: warnAt(0.25, 0.5),
        },
        `histogram_quantile(0.99, sum by (le) (rate(flowlens_http_request_duration_seconds_bucket{${SERVED}}[${RATE}])))`,
      ),
    )
    .withPanel(
      statPanel(
        'Error budget burn rate (1h)',
        {
          description:
            'How fast the 5xx ratio of the last hour spends the error budget of the availability objective (flowlens:http_availability_objective:ratio): 1 spends it in exactly 30 days; the fast-burn alert pages at 14.4.',
          unit: 'x',
          width: 6,
          thresholds: warnAt(6, 14.4),
        },
        `max(dest_workload:flowlens_http_errors:ratio_rate1h{${SERVED}}) / on () (1 - flowlens:http_availability_objective:ratio)`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Requests by status class',
        { description: 'Requests per second by status class.', unit: 'reqps', stacked: true },
        [query(`sum by (status_class) (rate(flowlens_http_requests_total{${SERVED}}[${RATE}]))`, '{{status_class}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Requests by method',
        {
          description: 'Requests per second by method (non-standard methods count as OTHER).',
          unit: 'reqps',
          stacked: true,
        },
        [query(`sum by (method) (rate(flowlens_http_requests_total{${SERVED}}[${RATE}]))`, '{{method}}')],
      ),
    )
    .withRow(row('Errors and latency'))
    .withPanel(
      timeseriesPanel(
        'Errors by source',
        { description: '5xx answers per second, by the calling workload.', unit: 'reqps' },
        [query(`sum by (${EDGE}) (edge:flowlens_http_errors:rate5m{${SERVED}})`, EDGE_LEGEND)],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Latency percentiles by edge',
        {
          description: '99th percentile request duration of each calling edge.',
          unit: 's',
          thresholds: redAt(0.5),
        },
        [query(`edge:flowlens_http_request_duration_seconds:p99_rate5m{${SERVED}}`, EDGE_LEGEND)],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Error ratio against the objective',
        {
          description:
            'The 5xx ratio of each destination over the burn-rate windows (5m, 1h, 6h); the fast-burn alert needs 1h and 5m over 14.4 × (1 − objective).',
          unit: 'percentunit',
        },
        [
          query(`dest_workload:flowlens_http_errors:ratio_rate5m{${SERVED}}`, '{{dest_workload}} 5m'),
          query(`dest_workload:flowlens_http_errors:ratio_rate1h{${SERVED}}`, '{{dest_workload}} 1h'),
          query(`dest_workload:flowlens_http_errors:ratio_rate6h{${SERVED}}`, '{{dest_workload}} 6h'),
          query('14.4 * (1 - flowlens:http_availability_objective:ratio)', 'fast-burn threshold'),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Slow requests against the objective',
        {
          description:
            'Share of requests slower than 500 ms per destination; the latency objective (flowlens:http_latency_objective:ratio) allows 1 − objective.',
          unit: 'percentunit',
        },
        [
          query(`dest_workload:flowlens_http_slow_requests:ratio_rate5m{${SERVED}}`, '{{dest_workload}} 5m'),
          query(`dest_workload:flowlens_http_slow_requests:ratio_rate1h{${SERVED}}`, '{{dest_workload}} 1h'),
          query('1 - flowlens:http_latency_objective:ratio', 'objective'),
        ],
      ),
    )
    .withRow(row('Edges and bytes'))
    .withPanel(
      tablePanel(
        'Edges',
        {
          description: 'Each calling edge with its request rate, busiest first.',
          unit: 'reqps',
          columns: [
            { field: 'source_namespace', title: 'Source namespace' },
            { field: 'source_workload', title: 'Source workload' },
            { field: 'dest_workload', title: 'Destination workload' },
            { field: 'Value', title: 'Requests/s' },
          ],
        },
        `sum by (${EDGE}) (edge:flowlens_http_requests:rate5m{${SERVED}})`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Request and response bytes',
        { description: 'Body bytes per second received from clients and sent back.', unit: 'Bps' },
        [
          query(`sum(rate(flowlens_http_request_bytes_total{${SERVED}}[${RATE}]))`, 'requests'),
          query(`sum(rate(flowlens_http_response_bytes_total{${SERVED}}[${RATE}]))`, 'responses'),
        ],
      ),
    )
    .build();
}
