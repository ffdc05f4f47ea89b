// The Policy Flows page: the flowlens-policyflow-panel fed with POLICY_FLOW_QUERIES, narrowed by namespace. The
// queries also match `$workload`; this page has no workload variable, so every workload of the namespace counts.
// The app's `onlyDenied` default is not passed: the policy flow panel's options (types.ts) have no action filter,
// and its `search` option, which also matches workload, policy and tier names ("deny" finds a policy named
// default-deny whose rules allow), is no substitute.
import { EmbeddedScene, SceneFlexItem, SceneFlexLayout, VizPanel } from '@grafana/scenes';

import { POLICY_FLOW_PANEL_ID } from '../../constants';
import type { ResolvedAppSettings } from '../../data/app-settings';
import { NAMESPACE_VARIABLE, POLICY_FLOW_QUERIES, QUERY_VARIABLES, withVariables } from '../../queries';
import { controls, datasourceVariable, namespaceVariable, queryRunner, timeRange, variableSet } from './common';

/** POLICY_FLOW_QUERIES with `$namespace` kept for the variable and every workload matched. */
export const POLICY_FLOWS_PAGE_QUERIES = POLICY_FLOW_QUERIES.map((query) =>
  withVariables(query, { namespace: QUERY_VARIABLES.namespace }),
);

export function policyFlowsScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([datasourceVariable(settings), namespaceVariable(NAMESPACE_VARIABLE, settings)]),
    controls: controls(),
    body: new SceneFlexLayout({
      direction: 'column',
      children: [
        new SceneFlexItem({
          minHeight: 600,
          body: new VizPanel({
            pluginId: POLICY_FLOW_PANEL_ID,
            title: 'Policy flows',
            description: 'Flows from source workloads through the deciding network policy to destination workloads.',
            options: {},
            fieldConfig: { defaults: {}, overrides: [] },
            $data: queryRunner(POLICY_FLOWS_PAGE_QUERIES),
          }),
        }),
      ],
    }),
  });
}
