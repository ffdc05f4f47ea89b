// The HTTP page: request rate, 5xx ratio and p99 latency of each edge, and the error and slow-request ratios of
// each destination workload (what the HTTP objectives alert on), narrowed by namespace and workload.
import { EmbeddedScene } from '@grafana/scenes';

import type { ResolvedAppSettings } from '../../data/app-settings';
import { HTTP_QUERIES, NAMESPACE_VARIABLE, WORKLOAD_VARIABLE } from '../../queries';
import { controls, datasourceVariable, namespaceVariable, timeRange, variableSet, workloadVariable } from './common';
import { rows, tablePanel, timeseriesPanel } from './panels';

export function httpScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([
      datasourceVariable(settings),
      namespaceVariable(NAMESPACE_VARIABLE, settings),
      workloadVariable(WORKLOAD_VARIABLE),
    ]),
    controls: controls(),
    body: rows(320, [
      [
        timeseriesPanel(HTTP_QUERIES.requests, {
          title: 'Request rate by edge',
          description: 'HTTP requests per second between workloads.',
          unit: 'reqps',
        }),
      ],
      [
        timeseriesPanel(
          HTTP_QUERIES.errorRatio,
          {
            title: 'Error ratio by edge',
            description: 'Share of requests answered 5xx; edges without requests are left out.',
            unit: 'percentunit',
          },
          1,
        ),
        timeseriesPanel(HTTP_QUERIES.p99, {
          title: 'p99 latency by edge',
          description: '99th percentile request duration.',
          unit: 's',
        }),
      ],
      [
        tablePanel(HTTP_QUERIES.destErrorRatio, {
          title: 'Error ratio by destination workload (5m)',
          description: 'What the availability objective alerts on.',
          unit: 'percentunit',
          valueColumn: '5xx ratio',
        }),
        tablePanel(HTTP_QUERIES.destSlowRatio, {
          title: 'Slow requests by destination workload (5m)',
          description: 'Share of requests slower than 500 ms: what the latency objective alerts on.',
          unit: 'percentunit',
          valueColumn: 'slow ratio',
        }),
      ],
    ]),
  });
}
