/**
 * Flows and policy verdicts of a namespace (or one workload): what is denied and by which policy and rule, what the
 * staged policies would change, and when policies changed.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  EDGE_LEGEND,
  RATE,
  flowlensDashboard,
  namespaceVariable,
  policyChangeAnnotation,
  query,
  row,
  tablePanel,
  timeseriesPanel,
  workloadVariable,
  redAt,
  EDGE_COLUMNS,
} from './common';

const FLOWS_PER_SECOND = 'suffix: flows/s';
const FROM = 'source_namespace="$namespace", source_workload=~"$workload"';
const TO = 'dest_namespace="$namespace", dest_workload=~"$workload"';
/** Flows with either end in the selection: two selectors, since PromQL matchers cannot be or'ed. */
const either = (extra: string): string =>
  `rate(flowlens_flows_total{${FROM}${extra}}[${RATE}]) or rate(flowlens_flows_total{${TO}${extra}}[${RATE}])`;

export function flowsDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'flows',
    'Flows to and from a namespace or workload with their policy verdicts: the deciding policy and rule of each denial, what staged policies would change, and policy changes as annotations.',
  )
    .withVariable(namespaceVariable())
    .withVariable(workloadVariable({ includeAll: true }))
    .annotation(policyChangeAnnotation())
    .withRow(row('Verdicts'))
    .withPanel(
      timeseriesPanel(
        'Flows by verdict',
        {
          description: 'Flows per second to or from the selection, allowed and denied.',
          unit: FLOWS_PER_SECOND,
          stacked: true,
        },
        [query(`sum by (action) (${either('')})`, '{{action}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Flows by deciding policy',
        {
          description:
            'Flows per second by the policy that decided them (none: no policy selected the endpoint; unknown: the input does not say).',
          unit: FLOWS_PER_SECOND,
          stacked: true,
        },
        [query(`sum by (policy, action) (${either('')})`, '{{policy}} ({{action}})')],
      ),
    )
    .withRow(row('Denials'))
    .withPanel(
      timeseriesPanel(
        'Denied flows by destination',
        {
          description: 'Flows per second the selection opens that policy denies, by destination.',
          unit: FLOWS_PER_SECOND,
          thresholds: redAt(1),
        },
        [
          query(
            `sum by (dest_namespace, dest_workload) (edge:flowlens_flows_denied:rate5m{${FROM}})`,
            '→ {{dest_namespace}}/{{dest_workload}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Denied flows by source',
        {
          description: 'Flows per second to the selection that policy denies, by source.',
          unit: FLOWS_PER_SECOND,
          thresholds: redAt(1),
        },
        [
          query(
            `sum by (source_namespace, source_workload) (edge:flowlens_flows_denied:rate5m{${TO}})`,
            '{{source_namespace}}/{{source_workload}} →',
          ),
        ],
      ),
    )
    .withPanel(
      tablePanel(
        'Denied flows and their deciding policy',
        {
          description:
            'Each denied edge and port with the policy (and tier) whose rule denied it, and which end reported it.',
          unit: FLOWS_PER_SECOND,
          width: 24,
          columns: [
            ...EDGE_COLUMNS,
            { field: 'dest_port', title: 'Port' },
            { field: 'protocol', title: 'Protocol' },
            { field: 'policy_tier', title: 'Tier' },
            { field: 'policy', title: 'Deciding policy' },
            { field: 'reporter', title: 'Reported by' },
            { field: 'Value', title: 'Flows/s' },
          ],
        },
        `sum by (source_namespace, source_workload, dest_namespace, dest_workload, dest_port, protocol, policy_tier, policy, reporter) (${either(', action="deny"')}) > 0`,
      ),
    )
    .withRow(row('Policies'))
    .withPanel(
      tablePanel(
        'Staged policy preview',
        {
          description:
            'What staged policies would do if enforced: flows they would allow or deny, by edge. Denials here are traffic the staged policy would break.',
          unit: FLOWS_PER_SECOND,
          width: 24,
          columns: [
            { field: 'policy', title: 'Staged policy' },
            { field: 'action', title: 'Would' },
            ...EDGE_COLUMNS,
            { field: 'Value', title: 'Flows/s' },
          ],
        },
        `sum by (policy, action, source_namespace, source_workload, dest_namespace, dest_workload) (rate(flowlens_staged_policy_flows_total{${FROM}}[${RATE}]) or rate(flowlens_staged_policy_flows_total{${TO}}[${RATE}]))`,
      ),
    )
    .withPanel(
      tablePanel(
        'Policy rule hits',
        {
          description:
            'Flows decided by each rule of the namespace’s policies and of cluster-wide ones; rule -1 is a tier’s end-of-tier default action. Rules that never hit are candidates for removal.',
          unit: FLOWS_PER_SECOND,
          width: 12,
          columns: [
            { field: 'policy_tier', title: 'Tier' },
            { field: 'policy', title: 'Policy' },
            { field: 'rule', title: 'Rule' },
            { field: 'direction', title: 'Direction' },
            { field: 'action', title: 'Action' },
            { field: 'Value', title: 'Flows/s' },
          ],
        },
        `sum by (policy_tier, policy, rule, direction, action) (rate(flowlens_policy_rule_hits_total{policy=~"$namespace/.+|[^/]+"}[${RATE}]))`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Policy changes',
        {
          description:
            'Network policy objects created, updated or deleted: from the live cluster view (by kind) or, without one, from the audit log.',
          unit: 'short',
          width: 12,
        },
        [
          query(
            `sum by (kind, change) (increase(flowlens_policy_changes_total{namespace=~"$namespace|"}[${RATE}]))`,
            '{{kind}} {{change}}',
          ),
          query(
            `sum by (namespace) (increase(flowlens_k8s_audit_notable_total{kind="policy_change", namespace=~"$namespace|"}[${RATE}]))`,
            'audit: {{namespace}}',
          ),
        ],
      ),
    )
    .withRow(row('Traffic'))
    .withPanel(
      timeseriesPanel(
        'Edges by traffic',
        { description: 'Bytes per second on each edge from the selection.', unit: 'Bps', width: 24 },
        [query(`edge:flowlens_flow_bytes:rate5m{${FROM}}`, `${EDGE_LEGEND} ({{direction}})`)],
      ),
    )
    .build();
}
