// The graph model every Flowlens view draws from: workloads (grouped by namespace) and the directed traffic
// between them. Built from data frames by frames.ts, narrowed by filters.ts, placed by layout.ts.

/** How the flows of an edge were decided by network policy. */
export type Verdict = 'allowed' | 'denied' | 'mixed';

/** What a node stands for: a workload, or a collapsed namespace standing in for its workloads. */
export type NodeKind = 'workload' | 'namespace';

export interface GraphNode {
  /** `namespace/workload` for series with `*_namespace`/`*_workload` labels; a Node Graph frame's own `id`. */
  id: string;
  kind: NodeKind;
  /** Empty for endpoints outside any namespace (networks, public and private address ranges). */
  namespace: string;
  /** The workload's name, or the namespace's for a collapsed namespace. */
  name: string;
  /** For a collapsed namespace, the ids of the workload nodes it stands for; otherwise `[id]`. */
  memberIds: string[];
}

/** Per-second rates of one direction of traffic between two nodes; undefined where no series said anything. */
export interface EdgeMeasures {
  /** Flows per second (`edge:flowlens_flows:rate5m`). */
  flowRate: number;
  /** Denied flows per second (`edge:flowlens_flows_denied:rate5m`). */
  deniedRate: number;
  /** Bytes per second, both directions of the connections (`edge:flowlens_flow_bytes:rate5m`). */
  bytesRate: number;
  /** HTTP requests per second (`edge:flowlens_http_requests:rate5m`). */
  httpRate: number;
  /** HTTP 5xx answers per second (`edge:flowlens_http_errors:rate5m`). */
  httpErrorRate: number;
  /** 99th percentile of HTTP request duration in seconds, when there were requests. */
  p99Seconds: number | undefined;
}

export interface GraphEdge extends EdgeMeasures {
  /** `source->target`: there is at most one edge per direction between two nodes. */
  id: string;
  source: string;
  target: string;
  verdict: Verdict;
  /** HTTP errors over requests, when there were requests. */
  errorRatio: number | undefined;
  /** For a merged edge (collapsed namespaces), the ids of the edges it stands for; otherwise `[id]`. */
  memberIds: string[];
}

export interface NamespaceGroup {
  /** The namespace's name; empty for nodes outside any namespace. */
  name: string;
  /** Ids of the nodes in the namespace, sorted. */
  nodeIds: string[];
}

export interface GraphModel {
  /** Sorted by id, so that everything derived from the model is deterministic. */
  nodes: GraphNode[];
  /** Sorted by id. */
  edges: GraphEdge[];
  /** Sorted by name. */
  namespaces: NamespaceGroup[];
}

export function workloadNodeId(namespace: string, workload: string): string {
  return `${namespace}/${workload}`;
}

/** A collapsed namespace's node id; it has no `/`, so it never equals a workload's id. */
export function namespaceNodeId(namespace: string): string {
  return `namespace:${namespace}`;
}

export function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

/**
 * Denied when (nearly) every flow was denied, allowed when none was, mixed otherwise. The flow rate counts a
 * flow once (the larger of the two reporters) while denials are summed, so the denied rate may exceed it.
 */
export function verdictOf(flowRate: number, deniedRate: number): Verdict {
  if (deniedRate <= 0) return 'allowed';
  if (deniedRate >= flowRate * (1 - 1e-9)) return 'denied';
  return 'mixed';
}

export function errorRatioOf(httpRate: number, httpErrorRate: number): number | undefined {
  return httpRate > 0 ? Math.min(1, httpErrorRate / httpRate) : undefined;
}

export function emptyMeasures(): EdgeMeasures {
  return { flowRate: 0, deniedRate: 0, bytesRate: 0, httpRate: 0, httpErrorRate: 0, p99Seconds: undefined };
}

export function makeEdge(source: string, target: string, measures: EdgeMeasures, memberIds?: string[]): GraphEdge {
  const id = edgeId(source, target);
  return {
    id,
    source,
    target,
    ...measures,
    verdict: verdictOf(measures.flowRate, measures.deniedRate),
    errorRatio: errorRatioOf(measures.httpRate, measures.httpErrorRate),
    memberIds: memberIds ?? [id],
  };
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Sorts nodes and edges and derives the namespace groups: the one way a `GraphModel` is assembled. */
export function assembleModel(nodes: Iterable<GraphNode>, edges: Iterable<GraphEdge>): GraphModel {
  const sortedNodes = [...nodes].sort(byId);
  const sortedEdges = [...edges].sort(byId);
  const groups = new Map<string, string[]>();
  for (const node of sortedNodes) {
    const members = groups.get(node.namespace);
    if (members) members.push(node.id);
    else groups.set(node.namespace, [node.id]);
  }
  const namespaces = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, nodeIds]) => ({ name, nodeIds }));
  return { nodes: sortedNodes, edges: sortedEdges, namespaces };
}
