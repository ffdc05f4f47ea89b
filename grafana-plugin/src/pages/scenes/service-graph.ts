// The Service Graph page: the flowlens-servicegraph-panel fed with SERVICE_GRAPH_QUERIES, narrowed by the namespace
// and workload variables, opening with the configured default filters.
import { EmbeddedScene, SceneFlexItem, SceneFlexLayout, VizPanel } from '@grafana/scenes';

import { SERVICE_GRAPH_PANEL_ID } from '../../constants';
import type { ResolvedAppSettings } from '../../data/app-settings';
import { DEFAULT_OPTIONS, type ServiceGraphOptions } from '../../panels/service-graph/types';
import { NAMESPACE_VARIABLE, SERVICE_GRAPH_QUERIES, WORKLOAD_VARIABLE } from '../../queries';
import {
  controls,
  datasourceVariable,
  namespaceVariable,
  queryRunner,
  timeRange,
  variableSet,
  workloadVariable,
} from './common';

export function serviceGraphOptions(settings: ResolvedAppSettings): ServiceGraphOptions {
  return { ...DEFAULT_OPTIONS, onlyDenied: settings.onlyDenied, showIdle: settings.showIdle };
}

export function serviceGraphScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([
      datasourceVariable(settings),
      namespaceVariable(NAMESPACE_VARIABLE, settings),
      workloadVariable(WORKLOAD_VARIABLE),
    ]),
    controls: controls(),
    body: new SceneFlexLayout({
      direction: 'column',
      children: [
        new SceneFlexItem({
          minHeight: 600,
          body: new VizPanel<ServiceGraphOptions>({
            pluginId: SERVICE_GRAPH_PANEL_ID,
            title: 'Service graph',
            description: 'Workloads and the traffic between them, from the per-edge recording rules.',
            options: serviceGraphOptions(settings),
            fieldConfig: { defaults: {}, overrides: [] },
            $data: queryRunner(SERVICE_GRAPH_QUERIES),
          }),
        }),
      ],
    }),
  });
}
