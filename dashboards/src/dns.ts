/** DNS of a namespace's clients: response codes, error ratios, latency, servers and the most queried names. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
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
} from './common';

const CLIENT = 'client_namespace="$namespace", client_workload=~"$workload"';

export function dnsDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'dns',
    'DNS as the namespace’s workloads see it: queries by response code, NXDOMAIN and SERVFAIL ratios, latency, the servers that answer and the most queried names.',
  )
    .withVariable(namespaceVariable())
    .withVariable(workloadVariable({ includeAll: true }))
    .withRow(row('Queries'))
    .withPanel(
      statPanel(
        'Queries',
        { description: 'DNS queries per second of the selected clients.', unit: 'reqps', width: 6 },
        `sum(client_workload:flowlens_dns_requests:rate5m{${CLIENT}})`,
      ),
    )
    .withPanel(
      statPanel(
        'NXDOMAIN ratio',
        {
          description: 'Share of queries answered NXDOMAIN; a search path (ndots:5) explains up to 75 %.',
          unit: 'percentunit',
          width: 6,
          thresholds: warnAt(0.75, 0.8),
        },
        `sum(client_workload:flowlens_dns_nxdomain:rate5m{${CLIENT}}) / sum(client_workload:flowlens_dns_requests:rate5m{${CLIENT}})`,
      ),
    )
    .withPanel(
      statPanel(
        'Answered with an error',
        {
          description: 'Share of queries answered with any code but NOERROR (NXDOMAIN, SERVFAIL, REFUSED, ...).',
          unit: 'percentunit',
          width: 6,
          thresholds: warnAt(0.75, 0.9),
        },
        `sum(rate(flowlens_dns_requests_total{${CLIENT}, rcode!="NOERROR"}[${RATE}])) / sum(rate(flowlens_dns_requests_total{${CLIENT}}[${RATE}]))`,
      ),
    )
    .withPanel(
      statPanel(
        'p99 latency',
        {
          description: '99th percentile DNS latency of the selected clients.',
          unit: 's',
          width: 6,
          thresholds: warnAt(0.1, 0.25),
        },
        `histogram_quantile(0.99, sum by (le) (rate(flowlens_dns_latency_seconds_bucket{${CLIENT}}[${RATE}])))`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Queries by response code',
        { description: 'DNS queries per second by response code.', unit: 'reqps', stacked: true },
        [query(`sum by (rcode) (rate(flowlens_dns_requests_total{${CLIENT}}[${RATE}]))`, '{{rcode}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Queries by type',
        { description: 'DNS queries per second by query type (A, AAAA, SRV, ...).', unit: 'reqps', stacked: true },
        [query(`sum by (qtype) (rate(flowlens_dns_requests_total{${CLIENT}}[${RATE}]))`, '{{qtype}}')],
      ),
    )
    .withRow(row('Errors and latency by client'))
    .withPanel(
      timeseriesPanel(
        'NXDOMAIN ratio by client',
        {
          description:
            'Share of each client workload’s queries answered NXDOMAIN. The alert fires above 80 % and 5 per second.',
          unit: 'percentunit',
          max: 1,
          thresholds: redAt(0.8),
        },
        [query(`client_workload:flowlens_dns_nxdomain:ratio_rate5m{${CLIENT}}`, '{{client_workload}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Error answers by client and code',
        {
          description:
            'Share of each client workload’s queries answered with each error code (SERVFAIL alerts above 5 %).',
          unit: 'percentunit',
          max: 1,
          thresholds: redAt(0.05),
        },
        [
          query(
            `sum by (client_workload, rcode) (rate(flowlens_dns_requests_total{${CLIENT}, rcode!="NOERROR"}[${RATE}])) / ignoring (rcode) group_left sum by (client_workload) (rate(flowlens_dns_requests_total{${CLIENT}}[${RATE}]))`,
            '{{client_workload}} {{rcode}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'DNS latency by client',
        {
          description: '99th percentile DNS latency of each client workload. The alert fires above 250 ms.',
          unit: 's',
          thresholds: redAt(0.25),
        },
        [query(`client_workload:flowlens_dns_latency_seconds:p99_rate5m{${CLIENT}}`, '{{client_workload}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Response codes by server',
        { description: 'Queries per second each DNS server answers for the selected clients, by code.', unit: 'reqps' },
        [
          query(
            `sum by (server_namespace, server_workload, rcode) (rate(flowlens_dns_requests_total{${CLIENT}}[${RATE}]))`,
            '{{server_namespace}}/{{server_workload}} {{rcode}}',
          ),
        ],
      ),
    )
    .withRow(row('Names'))
    .withPanel(
      tablePanel(
        'Top queried names',
        {
          description:
            'The 20 names the namespace queries most, with their response code. Names outside the exporter’s top K per window count under __other__.',
          unit: 'reqps',
          width: 24,
          columns: [
            { field: 'qname', title: 'Name' },
            { field: 'rcode', title: 'Response code' },
            { field: 'Value', title: 'Queries/s' },
          ],
        },
        `topk(20, sum by (qname, rcode) (rate(flowlens_dns_domain_requests_total{client_namespace="$namespace"}[${RATE}])))`,
      ),
    )
    .build();
}
