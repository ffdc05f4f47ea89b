/**
 * What the service graph should show for a set of Prometheus results, worked out here from the raw answers
 * (independently of the plugin's data code): an edge per source and destination workload in the per-edge recording
 * rules, shown unless all its rates are zero (the panel hides idle edges by default), its nodes the ends of the
 * shown edges; denied when its denied rate reaches its flow rate, mixed when some of its flows were denied.
 */
import type { PrometheusResults } from './harness';

export type Verdict = 'allowed' | 'denied' | 'mixed';

export interface ExpectedEdge {
  source: string;
  target: string;
  flowRate: number;
  deniedRate: number;
  verdict: Verdict;
}

export interface ExpectedGraph {
  nodes: string[];
  edges: ExpectedEdge[];
  namespaces: string[];
}

const RATE_RULES: Record<string, 'flowRate' | 'deniedRate' | 'bytesRate' | 'httpRate' | undefined> = {
  'edge:flowlens_flows:rate5m': 'flowRate',
  'edge:flowlens_flows_denied:rate5m': 'deniedRate',
  'edge:flowlens_flow_bytes:rate5m': 'bytesRate',
  'edge:flowlens_http_requests:rate5m': 'httpRate',
};

interface EdgeRates {
  source: string;
  target: string;
  flowRate: number;
  deniedRate: number;
  bytesRate: number;
  httpRate: number;
}

export function expectedServiceGraph(results: PrometheusResults, namespaces: readonly string[] = []): ExpectedGraph {
  const rates = new Map<string, EdgeRates>();
  for (const result of Object.values(results.results)) {
    for (const sample of result.data?.result ?? []) {
      const rate = RATE_RULES[sample.metric['__name__'] ?? ''];
      const value = Number(sample.value[1]);
      if (rate === undefined || !Number.isFinite(value)) continue;
      const { source_namespace: sourceNs, source_workload: sourceName } = sample.metric;
      const { dest_namespace: destNs, dest_workload: destName } = sample.metric;
      if (sourceName === undefined || destName === undefined) continue;
      // As the panel labels them: `namespace/workload`, or the bare name for endpoints without a namespace.
      const source = sourceNs ? `${sourceNs}/${sourceName}` : sourceName;
      const target = destNs ? `${destNs}/${destName}` : destName;
      const key = `${source}->${target}`;
      const entry = rates.get(key) ?? { source, target, flowRate: 0, deniedRate: 0, bytesRate: 0, httpRate: 0 };
      entry[rate] += value;
      rates.set(key, entry);
    }
  }
  const inNamespaces = (id: string) => namespaces.length === 0 || namespaces.includes(namespaceOf(id));
  const edges: ExpectedEdge[] = [];
  for (const { source, target, flowRate, deniedRate, bytesRate, httpRate } of rates.values()) {
    if (flowRate <= 0 && deniedRate <= 0 && bytesRate <= 0 && httpRate <= 0) continue;
    if (!inNamespaces(source) && !inNamespaces(target)) continue;
    const verdict: Verdict = deniedRate <= 0 ? 'allowed' : deniedRate >= flowRate * (1 - 1e-9) ? 'denied' : 'mixed';
    edges.push({ source, target, flowRate, deniedRate, verdict });
  }
  const nodes = [...new Set(edges.flatMap((edge) => [edge.source, edge.target]))].sort();
  return { nodes, edges, namespaces: [...new Set(nodes.map(namespaceOf))].sort() };
}

/**
 * The service nodes `Show services` adds, worked out from the raw `services` answer: one per destination namespace
 * and `dest_service` value (non-empty; Prometheus drops empty labels) with a positive rate, on an edge the graph
 * shows (`graph.edges`) whose destination is in a namespace (a network is never reached through a service).
 */
export function expectedServiceNodes(results: PrometheusResults, graph: ExpectedGraph): string[] {
  const shown = new Set(graph.edges.map((edge) => `${edge.source}->${edge.target}`));
  const services = new Set<string>();
  for (const { metric, value } of results.results['services']?.data?.result ?? []) {
    const rate = Number(value[1]);
    const service = metric['dest_service'];
    const namespace = metric['dest_namespace'];
    if (!service || !namespace || !(rate > 0) || !Number.isFinite(rate)) continue;
    const source = metric['source_namespace']
      ? `${metric['source_namespace']}/${metric['source_workload']}`
      : (metric['source_workload'] ?? '');
    if (!shown.has(`${source}->${namespace}/${metric['dest_workload']}`)) continue;
    services.add(`${namespace}/${service}`);
  }
  return [...services].sort();
}

export function namespaceOf(label: string): string {
  return label.includes('/') ? label.slice(0, label.indexOf('/')) : '';
}

/** The demo's known edges (exporter/src/demo/topology.ts): a busy allowed call, and a legacy sync denied all day. */
export const DEMO_ALLOWED_EDGE = { source: 'shop/frontend', target: 'shop/cart' };
export const DEMO_DENIED_EDGE = { source: 'shop/catalog', target: 'data/orders-db' };

/** A flow of the policy flow panel: one source, deciding policy and action, destination. */
export interface ExpectedPolicyFlow {
  /** The policy node's id: `<tier>/<policy>:<action>`, or `staged:<policy>:<action>`. */
  node: string;
  /** The policy's key, what clicking its node filters on: `<tier>/<policy>` or `staged:<policy>`. */
  policy: string;
  action: string;
  staged: boolean;
  rate: number;
}

export interface ExpectedPolicyFlows {
  flows: ExpectedPolicyFlow[];
  /** The policy nodes' ids as drawn: the `topPolicies` busiest own theirs, the rest merge into `__other__...` nodes. */
  policyNodes: string[];
}

/**
 * What the policy flow panel should show for its results (refIds `enforced` and `staged`), worked out here from the
 * raw answers: a flow per source workload, policy, action and destination workload with a positive rate; a missing
 * label reads `unknown`. Policy nodes are per policy and action; past the `topPolicies` busiest, a node merges into
 * `__other__:<action>` (`__other__:staged:<action>`), unless it would be alone there or at most one would be left out.
 */
export function expectedPolicyFlows(results: PrometheusResults, topPolicies: number): ExpectedPolicyFlows {
  const flows = new Map<string, ExpectedPolicyFlow>();
  for (const [refId, staged] of [
    ['enforced', false],
    ['staged', true],
  ] as const) {
    for (const { metric, value } of results.results[refId]?.data?.result ?? []) {
      const rate = Number(value[1]);
      if (!(rate > 0) || !Number.isFinite(rate) || !metric['source_workload'] || !metric['dest_workload']) continue;
      const name = metric['policy'] || 'unknown';
      const action = metric['action'] || 'unknown';
      const policy = staged ? `staged:${name}` : `${metric['policy_tier'] || 'unknown'}/${name}`;
      const source = `${metric['source_namespace'] ?? ''}/${metric['source_workload']}`;
      const dest = `${metric['dest_namespace'] ?? ''}/${metric['dest_workload']}`;
      const id = [source, policy, action, dest].join('|');
      const flow = flows.get(id) ?? { node: `${policy}:${action}`, policy, action, staged, rate: 0 };
      flow.rate += rate;
      flows.set(id, flow);
    }
  }
  const rates = new Map<string, { rate: number; flow: ExpectedPolicyFlow }>();
  for (const flow of flows.values()) {
    const entry = rates.get(flow.node) ?? { rate: 0, flow };
    entry.rate += flow.rate;
    rates.set(flow.node, entry);
  }
  const ranked = [...rates.entries()].sort(([a, x], [b, y]) => y.rate - x.rate || (a < b ? -1 : 1));
  const kept = ranked.length > topPolicies + 1 ? ranked.slice(0, topPolicies) : ranked;
  const others = new Map<string, string[]>();
  for (const [node, { flow }] of ranked.slice(kept.length)) {
    const other = flow.staged ? `__other__:staged:${flow.action}` : `__other__:${flow.action}`;
    others.set(other, [...(others.get(other) ?? []), node]);
  }
  const policyNodes = kept.map(([node]) => node);
  for (const [other, members] of others) policyNodes.push(...(members.length === 1 ? members : [other]));
  return { flows: [...flows.values()], policyNodes: policyNodes.sort() };
}
