/** Kubernetes API activity from the audit log: who does what, what fails, and the notable requests. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  RATE,
  flowlensDashboard,
  query,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
  warnAt,
  yellowAt,
} from './common';

const NOTABLE = (kind: string): string => `flowlens_k8s_audit_notable_total{kind="${kind}"}`;

export function auditDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'audit',
    'Kubernetes API activity from the audit log or webhook: requests by verb, resource and outcome, and the notable ones: policy and RBAC changes, denied requests, exec/attach/port-forward into pods.',
  )
    .withRow(row('Notable requests (last hour)'))
    .withPanel(
      statPanel(
        'Policy changes',
        {
          description: 'Network policy objects created, changed or deleted in the last hour.',
          unit: 'short',
          width: 6,
          thresholds: yellowAt(1),
        },
        `sum(increase(${NOTABLE('policy_change')}[1h]))`,
      ),
    )
    .withPanel(
      statPanel(
        'RBAC changes',
        {
          description: 'Roles, ClusterRoles and their bindings created, changed or deleted in the last hour.',
          unit: 'short',
          width: 6,
          thresholds: yellowAt(1),
        },
        `sum(increase(${NOTABLE('rbac_change')}[1h]))`,
      ),
    )
    .withPanel(
      statPanel(
        'Denied requests',
        {
          description: 'Requests answered 401 or 403 in the last hour.',
          unit: 'short',
          width: 6,
          thresholds: warnAt(10, 100),
        },
        `sum(increase(${NOTABLE('denied')}[1h]))`,
      ),
    )
    .withPanel(
      statPanel(
        'Exec, attach, port-forward',
        {
          description: 'Interactive access into pods in the last hour.',
          unit: 'short',
          width: 6,
          thresholds: yellowAt(1),
        },
        `sum(increase(${NOTABLE('pod_access')}[1h]))`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Notable requests by kind and user kind',
        {
          description:
            'Notable requests per second by kind and by the kind of user (user, serviceaccount, system, unauthenticated).',
          unit: 'reqps',
          width: 24,
        },
        [
          query(
            `sum by (kind, user_kind) (rate(flowlens_k8s_audit_notable_total[${RATE}]))`,
            '{{kind}} by {{user_kind}}',
          ),
        ],
      ),
    )
    .withPanel(
      tablePanel(
        'Notable requests by namespace',
        {
          description: 'Notable requests of the last hour by namespace (empty: cluster-wide objects).',
          unit: 'short',
          width: 24,
          columns: [
            { field: 'namespace', title: 'Namespace' },
            { field: 'kind', title: 'Kind' },
            { field: 'user_kind', title: 'User kind' },
            { field: 'Value', title: 'Requests' },
          ],
        },
        'sum by (namespace, kind, user_kind) (increase(flowlens_k8s_audit_notable_total[1h])) > 0',
      ),
    )
    .withRow(row('All requests'))
    .withPanel(
      timeseriesPanel(
        'Requests by verb',
        { description: 'API requests per second by verb.', unit: 'reqps', stacked: true },
        [query(`sum by (verb) (rate(flowlens_k8s_audit_events_total[${RATE}]))`, '{{verb}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Requests by status class',
        {
          description: 'API requests per second by response status class; 4xx includes denials, 5xx API server errors.',
          unit: 'reqps',
          stacked: true,
        },
        [query(`sum by (status_class) (rate(flowlens_k8s_audit_events_total[${RATE}]))`, '{{status_class}}')],
      ),
    )
    .withPanel(
      tablePanel(
        'Busiest resources',
        {
          description: 'The 20 resources with the most requests per second, by verb.',
          unit: 'reqps',
          columns: [
            { field: 'resource', title: 'Resource' },
            { field: 'verb', title: 'Verb' },
            { field: 'Value', title: 'Requests/s' },
          ],
        },
        `topk(20, sum by (resource, verb) (rate(flowlens_k8s_audit_events_total[${RATE}])))`,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Writes by namespace',
        { description: 'Create, update, patch and delete requests per second by namespace.', unit: 'reqps' },
        [
          query(
            `sum by (namespace) (rate(flowlens_k8s_audit_events_total{verb=~"create|update|patch|delete|deletecollection"}[${RATE}]))`,
            '{{namespace}}',
          ),
        ],
      ),
    )
    .build();
}
