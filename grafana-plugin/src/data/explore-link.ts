// Links out of the service graph: Grafana Explore with a node's or an edge's queries prefilled, and the Flowlens
// workload and namespace dashboards. Pure functions of ids and labels, so the URLs are tested without Grafana.
import { DASHBOARDS } from '../constants';
import type { GraphNode } from './model';

export interface ExploreLinkOptions {
  datasourceUid: string;
  /** Prometheus expressions, one Explore query each (refIds A, B, ...). */
  queries: string[];
  from?: string;
  to?: string;
}

/** An Explore URL (the `panes` format of Grafana 10 and later) with one pane running `queries` on the data source. */
export function exploreUrl({ datasourceUid, queries, from = 'now-1h', to = 'now' }: ExploreLinkOptions): string {
  const datasource = { type: 'prometheus', uid: datasourceUid };
  const panes = {
    sg: {
      datasource: datasourceUid,
      queries: queries.map((expr, index) => ({ refId: String.fromCharCode(65 + index), expr, datasource })),
      range: { from, to },
    },
  };
  const params = new URLSearchParams({ schemaVersion: '1', panes: JSON.stringify(panes), orgId: '1' });
  return `/explore?${params.toString()}`;
}

const WORKLOAD_DASHBOARD = DASHBOARDS.find((dashboard) => dashboard.uid === 'flowlens-workload')?.uid;
const NAMESPACE_DASHBOARD = DASHBOARDS.find((dashboard) => dashboard.uid === 'flowlens-namespace')?.uid;

/** The Flowlens dashboard of a node: a workload's (a pod's workload's), or a collapsed namespace's. */
export function dashboardUrl(node: GraphNode): string | undefined {
  if (node.namespace === '' || node.kind === 'service') return undefined;
  if (node.kind === 'namespace') {
    return `/d/${NAMESPACE_DASHBOARD}?${new URLSearchParams({ 'var-namespace': node.namespace }).toString()}`;
  }
  const workload = workloadOf(node);
  const params = new URLSearchParams({ 'var-namespace': node.namespace, 'var-workload': workload });
  return `/d/${WORKLOAD_DASHBOARD}?${params.toString()}`;
}

/** A pod node's workload name (its `workloadId` is `namespace/workload`); a workload node's own name. */
function workloadOf(node: GraphNode): string {
  if (node.kind !== 'pod' || node.workloadId === undefined) return node.name;
  return node.workloadId.slice(node.namespace.length + 1);
}

/** A PromQL label value in double quotes. */
function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** Matchers selecting one end of an edge series: a namespace's, a workload's or a pod's. */
function endMatchers(node: GraphNode, side: 'source' | 'dest'): string {
  const matchers = [`${side}_namespace=${quote(node.namespace)}`];
  if (node.kind === 'service') {
    // A service is only ever a destination, in the destination's namespace.
    if (side === 'dest') matchers.push(`dest_service=${quote(node.name)}`);
    return matchers.join(', ');
  }
  if (node.kind !== 'namespace') matchers.push(`${side}_workload=${quote(workloadOf(node))}`);
  return matchers.join(', ');
}

/** A node's traffic out and in, its denied flows, and its DNS queries. */
export function nodeQueries(node: GraphNode): string[] {
  if (node.kind === 'service') {
    // Its clients and backends: flows addressed to the service, reporters counted once.
    return [
      `max without (reporter) (sum by (source_namespace, source_workload, dest_namespace, dest_workload, reporter) (rate(flowlens_flows_total{${endMatchers(node, 'dest')}}[5m])))`,
    ];
  }
  const out = endMatchers(node, 'source');
  const into = endMatchers(node, 'dest');
  const queries = [
    `sum by (dest_namespace, dest_workload) (edge:flowlens_flows:rate5m{${out}})`,
    `sum by (source_namespace, source_workload) (edge:flowlens_flows:rate5m{${into}})`,
    `sum by (source_namespace, source_workload, dest_namespace, dest_workload) (edge:flowlens_flows_denied:rate5m{${out}} or edge:flowlens_flows_denied:rate5m{${into}})`,
  ];
  const clientMatchers = [`client_namespace=${quote(node.namespace)}`];
  if (node.kind !== 'namespace') clientMatchers.push(`client_workload=${quote(workloadOf(node))}`);
  queries.push(`client_workload:flowlens_dns_requests:rate5m{${clientMatchers.join(', ')}}`);
  return queries;
}

/** An edge's rates (flows, denied, bytes, HTTP requests, errors, p99) and the policies that decided its flows. */
export function edgeQueries(source: GraphNode, target: GraphNode): string[] {
  if (source.kind === 'service' || target.kind === 'service') {
    // An edge to or from a service is part of workload edges: the flows addressed to the service, by workload edge.
    const service = source.kind === 'service' ? source : target;
    const workload = source.kind === 'service' ? endMatchers(target, 'dest') : endMatchers(source, 'source');
    const matchers =
      source.kind === 'service'
        ? [workload, `dest_service=${quote(service.name)}`]
        : [workload, endMatchers(service, 'dest')];
    return [
      `max without (reporter) (sum by (source_namespace, source_workload, dest_namespace, dest_workload, action, reporter) (rate(flowlens_flows_total{${matchers.join(', ')}}[5m])))`,
    ];
  }
  const matchers = `${endMatchers(source, 'source')}, ${endMatchers(target, 'dest')}`;
  return [
    `edge:flowlens_flows:rate5m{${matchers}}`,
    `edge:flowlens_flows_denied:rate5m{${matchers}}`,
    `edge:flowlens_flow_bytes:rate5m{${matchers}}`,
    `edge:flowlens_http_requests:rate5m{${matchers}}`,
    `edge:flowlens_http_errors:rate5m{${matchers}}`,
    `edge:flowlens_http_request_duration_seconds:p99_rate5m{${matchers}}`,
    `sum by (policy_tier, policy, action) (rate(flowlens_flows_total{${matchers}}[5m]))`,
  ];
}
