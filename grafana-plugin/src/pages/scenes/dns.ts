// The DNS page: queries by client workload, the most queried names (and those answered NXDOMAIN), NXDOMAIN and
// SERVFAIL ratios and p99 latency by client workload, narrowed by the namespace of the client.
import { EmbeddedScene } from '@grafana/scenes';

import type { ResolvedAppSettings } from '../../data/app-settings';
import { DNS_QUERIES, NAMESPACE_VARIABLE, TOP_NAMES } from '../../queries';
import { controls, datasourceVariable, namespaceVariable, timeRange, variableSet } from './common';
import { barGaugePanel, rows, tablePanel, timeseriesPanel } from './panels';

export function dnsScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([datasourceVariable(settings), namespaceVariable(NAMESPACE_VARIABLE, settings)]),
    controls: controls(),
    body: rows(320, [
      [
        timeseriesPanel(DNS_QUERIES.requests, {
          title: 'Queries by client workload',
          description: 'DNS queries per second each client workload sends.',
          unit: 'reqps',
        }),
        barGaugePanel(DNS_QUERIES.topNames, {
          title: `Top ${TOP_NAMES} queried names`,
          description: 'Queries per second by name, from clients in the selected namespaces.',
          unit: 'reqps',
        }),
      ],
      [
        timeseriesPanel(
          DNS_QUERIES.nxdomainRatio,
          {
            title: 'NXDOMAIN ratio by client workload',
            description: 'Share of queries answered NXDOMAIN: often a search-path expansion or a typo in a name.',
            unit: 'percentunit',
          },
          1,
        ),
        timeseriesPanel(
          DNS_QUERIES.servfailRatio,
          {
            title: 'SERVFAIL ratio by client workload',
            description: 'Share of queries answered SERVFAIL: the resolver or an upstream failed.',
            unit: 'percentunit',
          },
          1,
        ),
      ],
      [
        timeseriesPanel(DNS_QUERIES.p99, {
          title: 'p99 latency by client workload',
          description: '99th percentile DNS query latency.',
          unit: 's',
        }),
        tablePanel(DNS_QUERIES.topNxdomainNames, {
          title: `Top ${TOP_NAMES} names answered NXDOMAIN`,
          description: 'Queries per second answered NXDOMAIN, by name.',
          unit: 'reqps',
          valueColumn: 'NXDOMAIN answers',
        }),
      ],
    ]),
  });
}
