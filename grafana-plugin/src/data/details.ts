// What the side panel says about the selected node or edge, from the drawn model: its traffic in and out, errors,
// latency, denied flows and the policies that decided them, a node's DNS activity, and where to look further
// (dashboards, Explore). Numbers only; the component formats them.
import { dashboardUrl, edgeQueries, nodeQueries } from './explore-link';
import {
  type DnsActivity,
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  type PolicyDecision,
  type PortUsage,
  errorRatioOf,
  mergePolicies,
} from './model';
import { nodeLabel } from './render-plan';
import type { Selection } from './view-state';

export interface TrafficSummary {
  edgeCount: number;
  flowRate: number;
  deniedRate: number;
  bytesRate: number;
  httpRate: number;
  httpErrorRate: number;
  errorRatio: number | undefined;
  /** The largest p99 of the edges: an upper bound of the traffic's p99. */
  p99Seconds: number | undefined;
}

export interface DeniedPeer {
  edgeId: string;
  /** The node at the other end. */
  peer: string;
  direction: 'in' | 'out';
  deniedRate: number;
}

/** A node at the other end of some of a node's edges, and the flows per second between them. */
export interface Peer {
  id: string;
  edgeId: string;
  flowRate: number;
}

export interface NodeDetails {
  kind: 'node';
  title: string;
  node: GraphNode;
  outbound: TrafficSummary;
  inbound: TrafficSummary;
  /** Edges with denied flows, most denied first. */
  denied: DeniedPeer[];
  /** The policies that decided the node's flows, in and out together. */
  policies: PolicyDecision[];
  dns: DnsActivity | undefined;
  /** A service node's clients (the sources of its edges in) and backends (the workloads its edges go to), busiest first. */
  service?: { clients: Peer[]; backends: Peer[] };
  dashboardUrl: string | undefined;
  exploreQueries: string[];
}

export interface EdgeDetails {
  kind: 'edge';
  title: string;
  edge: GraphEdge;
  traffic: TrafficSummary;
  /** The other direction between the same two nodes, when there is traffic that way too. */
  reverseId: string | undefined;
  policies: PolicyDecision[];
  ports: PortUsage[];
  exploreQueries: string[];
}

export type Details = NodeDetails | EdgeDetails;

export function summarize(edges: readonly GraphEdge[]): TrafficSummary {
  const summary: TrafficSummary = {
    edgeCount: edges.length,
    flowRate: 0,
    deniedRate: 0,
    bytesRate: 0,
    httpRate: 0,
    httpErrorRate: 0,
    errorRatio: undefined,
    p99Seconds: undefined,
  };
  for (const edge of edges) {
    summary.flowRate += edge.flowRate;
    summary.deniedRate += edge.deniedRate;
    summary.bytesRate += edge.bytesRate;
    summary.httpRate += edge.httpRate;
    summary.httpErrorRate += edge.httpErrorRate;
    if (edge.p99Seconds !== undefined) summary.p99Seconds = Math.max(summary.p99Seconds ?? 0, edge.p99Seconds);
  }
  summary.errorRatio = errorRatioOf(summary.httpRate, summary.httpErrorRate);
  return summary;
}

export function detailsOf(model: GraphModel, selection: Selection): Details | undefined {
  if (selection.kind === 'node') {
    const node = model.nodes.find((candidate) => candidate.id === selection.id);
    return node ? nodeDetails(model, node) : undefined;
  }
  const edge = model.edges.find((candidate) => candidate.id === selection.id);
  return edge ? edgeDetails(model, edge) : undefined;
}

function nodeDetails(model: GraphModel, node: GraphNode): NodeDetails {
  const outgoing = model.edges.filter((edge) => edge.source === node.id);
  const incoming = model.edges.filter((edge) => edge.target === node.id);
  const denied: DeniedPeer[] = [
    ...outgoing.map((edge) => ({ edgeId: edge.id, peer: edge.target, direction: 'out' as const, edge })),
    ...incoming.map((edge) => ({ edgeId: edge.id, peer: edge.source, direction: 'in' as const, edge })),
  ]
    .filter(({ edge }) => edge.deniedRate > 0)
    .map(({ edgeId, peer, direction, edge }) => ({ edgeId, peer, direction, deniedRate: edge.deniedRate }))
    .sort((a, b) => b.deniedRate - a.deniedRate || (a.edgeId < b.edgeId ? -1 : 1));
  const touching = new Set([...outgoing, ...incoming]);
  const peers = (edges: GraphEdge[], end: 'source' | 'target'): Peer[] =>
    edges
      .map((edge) => ({ id: edge[end], edgeId: edge.id, flowRate: edge.flowRate }))
      .sort((a, b) => b.flowRate - a.flowRate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    kind: 'node',
    title: nodeLabel(node),
    node,
    outbound: summarize(outgoing),
    inbound: summarize(incoming),
    denied,
    policies: mergePolicies([...touching].map((edge) => edge.policies)),
    dns: node.dns,
    ...(node.kind === 'service'
      ? { service: { clients: peers(incoming, 'source'), backends: peers(outgoing, 'target') } }
      : {}),
    dashboardUrl: dashboardUrl(node),
    exploreQueries: nodeQueries(node),
  };
}

function edgeDetails(model: GraphModel, edge: GraphEdge): EdgeDetails {
  const source = model.nodes.find((node) => node.id === edge.source);
  const target = model.nodes.find((node) => node.id === edge.target);
  const reverse = model.edges.find((candidate) => candidate.source === edge.target && candidate.target === edge.source);
  return {
    kind: 'edge',
    title: `${edge.source} → ${edge.target}`,
    edge,
    traffic: summarize([edge]),
    reverseId: reverse && reverse !== edge ? reverse.id : undefined,
    policies: edge.policies,
    ports: edge.ports,
    exploreQueries: source && target ? edgeQueries(source, target) : [],
  };
}

/**
 * How the side panel names a deciding policy: `tier/policy · action`. The exporter labels flows that no policy
 * selected (the default action applied) `policy="none"` in tier `none`; that reads "no policy", as in the policy
 * flow panel, rather than as a policy named none.
 */
export function policyDecisionLabel(decision: PolicyDecision): string {
  const noPolicy = decision.policy === '' || decision.policy === 'none';
  const name = noPolicy ? 'no policy' : decision.policy;
  const tier = noPolicy || decision.tier === '' || decision.tier === 'none' ? '' : `${decision.tier}/`;
  return `${tier}${name} · ${decision.action || 'unknown'}`;
}
