// What the app's scene pages share: the data source, namespace and workload variables (as in the Flowlens
// dashboards), the time range, the controls row, and query runners over src/queries.ts.
import { VariableRefresh, VariableSort } from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';
import {
  DataSourceVariable,
  QueryVariable,
  SceneControlsSpacer,
  SceneQueryRunner,
  SceneRefreshPicker,
  SceneTimePicker,
  SceneTimeRange,
  SceneVariableSet,
  VariableValueSelectors,
  type SceneObject,
  type SceneVariable,
} from '@grafana/scenes';

import type { ResolvedAppSettings } from '../../data/app-settings';
import { MATCH_ALL, type PrometheusQuery, type VariableQuery } from '../../queries';

/** Scenes' value of a variable's "All" option. */
export const ALL_VALUE = '$__all';

/** Every query of a page runs against the data source the `datasource` variable selects. */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/**
 * The Prometheus data source: the one the settings name (ScenePage puts Grafana's default Prometheus there when the
 * app's settings name none); without one, the variable takes the first Prometheus.
 */
export function datasourceVariable(settings: ResolvedAppSettings): DataSourceVariable {
  return new DataSourceVariable({
    name: 'datasource',
    label: 'Data source',
    pluginId: 'prometheus',
    ...(settings.datasourceUid === undefined ? {} : { value: settings.datasourceUid }),
  });
}

/** A variable over `definition`'s query; "All" is `.*`, since the queries match variables with `=~`. */
function eitherEndVariable(definition: VariableQuery, label: string, initial: string | undefined): QueryVariable {
  return new QueryVariable({
    name: definition.name,
    label,
    datasource: DATASOURCE,
    query: definition.query,
    regex: definition.regex,
    refresh: VariableRefresh.onTimeRangeChanged,
    sort: VariableSort.alphabeticalAsc,
    includeAll: true,
    allValue: MATCH_ALL,
    defaultToAll: initial === undefined,
    value: initial ?? ALL_VALUE,
    text: initial ?? 'All',
  });
}

/** Namespaces at either end of a flow; opens on the configured default namespace, else all. */
export function namespaceVariable(definition: VariableQuery, settings: ResolvedAppSettings): QueryVariable {
  return eitherEndVariable(definition, 'Namespace', settings.defaultNamespace);
}

/** Workloads of the selected namespaces, at either end of a flow; opens on all. */
export function workloadVariable(definition: VariableQuery): QueryVariable {
  return eitherEndVariable(definition, 'Workload', undefined);
}

export function variableSet(variables: SceneVariable[]): SceneVariableSet {
  return new SceneVariableSet({ variables });
}

/** The last hour, as the Flowlens dashboards open. */
export function timeRange(): SceneTimeRange {
  return new SceneTimeRange({ from: 'now-1h', to: 'now' });
}

/** Variable pickers on the left, time range and refresh on the right. */
export function controls(): SceneObject[] {
  return [
    new VariableValueSelectors({}),
    new SceneControlsSpacer(),
    new SceneTimePicker({ isOnCanvas: true }),
    new SceneRefreshPicker({ isOnCanvas: true, refresh: '', intervals: ['30s', '1m', '5m', '15m'] }),
  ];
}

/** A query runner for queries of src/queries.ts, on the selected data source. */
export function queryRunner(queries: PrometheusQuery[]): SceneQueryRunner {
  return new SceneQueryRunner({ datasource: DATASOURCE, queries: queries.map((query) => ({ ...query })) });
}
