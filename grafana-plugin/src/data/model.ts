// The graph model every Flowlens view draws from: workloads (grouped by namespace) and the directed traffic
// between them. Built from data frames by frames.ts, narrowed by filters.ts, placed by layout.ts.

/** How the flows of an edge were decided by network policy. */
export type Verdict = 'allowed' | 'denied' | 'mixed';

/**
 * What a node stands for: a workload, a pod (at pod level, when the series carry `source_pod`/`dest_pod`), a
 * collapsed namespace standing in for its workloads, a network (an endpoint outside the cluster's namespaces: the
 * exporter's `world`, `private`, `host` or a network set's name, with an empty namespace), or a Kubernetes service
 * (drawn only when services are shown: `routeThroughServices`).
 */
export type NodeKind = 'workload' | 'pod' | 'namespace' | 'network' | 'service';

/** DNS activity of a client workload (`client_workload:flowlens_dns_*` rules), per second. */
export interface DnsActivity {
  requestRate: number;
  nxdomainRate: number;
  servfailRate: number;
  /** 99th percentile of DNS latency in seconds, when known. */
  p99Seconds: number | undefined;
}

/** The share of an edge's flows one policy decided (the `policies` query). */
export interface PolicyDecision {
  tier: string;
  policy: string;
  /** `allow` or `deny`, as the exporter's `action` label. */
  action: string;
  flowRate: number;
}

/** The share of an edge's flows with one protocol and destination port (the `ports` query). */
export interface PortUsage {
  protocol: string;
  /** Empty when the exporter aggregated ports away. */
  port: string;
  flowRate: number;
}

/** The share of an edge's flows addressed to one Kubernetes service (the `services` query's `dest_service`). */
export interface ServiceUsage {
  /** The service's name, in the destination's namespace; empty for flows dialled directly (no service). */
  service: string;
  flowRate: number;
}

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
  /** For a pod, its workload's node id (`namespace/workload`). */
  workloadId?: string;
  /** DNS activity of the workload as a client (summed over members), when the DNS queries said anything. */
  dns?: DnsActivity;
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
  /** The policies that decided the flows, busiest first; empty when the `policies` query said nothing. */
  policies: PolicyDecision[];
  /** Protocols and destination ports of the flows, busiest first; empty when the `ports` query said nothing. */
  ports: PortUsage[];
  /**
   * The services the flows were addressed to (`dest_service`, empty: dialled directly), busiest first; empty when
   * the `services` query said nothing.
   */
  services: ServiceUsage[];
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
  /** Whether the series carried pod labels, so that a pod level can be drawn. */
  hasPods?: boolean;
}

export function workloadNodeId(namespace: string, workload: string): string {
  return `${namespace}/${workload}`;
}

/** A collapsed namespace's node id; it has no `/`, so it never equals a workload's id. */
export function namespaceNodeId(namespace: string): string {
  return `namespace:${namespace}`;
}

/**
 * A service's node id: `service:` before `namespace/service`, so that it never equals the id of the workload of
 * the same name (a service is often named after its workload).
 */
export function serviceNodeId(namespace: string, service: string): string {
  return `service:${namespace}/${service}`;
}

/** A pod's node id: under its workload's, so that it never equals a workload's or a namespace's. */
export function podNodeId(namespace: string, workload: string, pod: string): string {
  return `${namespace}/${workload}/${pod}`;
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

export interface EdgeBreakdown {
  policies: PolicyDecision[];
  ports: PortUsage[];
  services: ServiceUsage[];
}

export function makeEdge(
  source: string,
  target: string,
  measures: EdgeMeasures,
  memberIds?: string[],
  breakdown?: Partial<EdgeBreakdown>,
): GraphEdge {
  const id = edgeId(source, target);
  return {
    id,
    source,
    target,
    ...measures,
    verdict: verdictOf(measures.flowRate, measures.deniedRate),
    errorRatio: errorRatioOf(measures.httpRate, measures.httpErrorRate),
    memberIds: memberIds ?? [id],
    policies: breakdown?.policies ?? [],
    ports: breakdown?.ports ?? [],
    services: breakdown?.services ?? [],
  };
}

/** Policy decisions of several edges, the same tier, policy and action added up; busiest first. */
export function mergePolicies(lists: Iterable<readonly PolicyDecision[]>): PolicyDecision[] {
  const merged = new Map<string, PolicyDecision>();
  for (const list of lists) {
    for (const decision of list) {
      const key = `${decision.tier}\u0000${decision.policy}\u0000${decision.action}`;
      const entry = merged.get(key);
      if (entry) entry.flowRate += decision.flowRate;
      else merged.set(key, { ...decision });
    }
  }
  return [...merged.values()].sort(
    (a, b) => b.flowRate - a.flowRate || compareText(a.tier + a.policy + a.action, b.tier + b.policy + b.action),
  );
}

/** Port usages of several edges, the same protocol and port added up; busiest first. */
export function mergePorts(lists: Iterable<readonly PortUsage[]>): PortUsage[] {
  const merged = new Map<string, PortUsage>();
  for (const list of lists) {
    for (const usage of list) {
      const key = `${usage.protocol}\u0000${usage.port}`;
      const entry = merged.get(key);
      if (entry) entry.flowRate += usage.flowRate;
      else merged.set(key, { ...usage });
    }
  }
  return [...merged.values()].sort(
    (a, b) => b.flowRate - a.flowRate || compareText(a.protocol + a.port, b.protocol + b.port),
  );
}

/** Service usages of several edges, the same service added up; busiest first. */
export function mergeServices(lists: Iterable<readonly ServiceUsage[]>): ServiceUsage[] {
  const merged = new Map<string, ServiceUsage>();
  for (const list of lists) {
    for (const usage of list) {
      const entry = merged.get(usage.service);
      if (entry) entry.flowRate += usage.flowRate;
      else merged.set(usage.service, { ...usage });
    }
  }
  return [...merged.values()].sort((a, b) => b.flowRate - a.flowRate || compareText(a.service, b.service));
}

/** DNS activity of several workloads: rates added, p99 the largest (an upper bound). */
export function mergeDns(list: Iterable<DnsActivity | undefined>): DnsActivity | undefined {
  let total: DnsActivity | undefined;
  for (const dns of list) {
    if (!dns) continue;
    if (!total) {
      total = { ...dns };
      continue;
    }
    total.requestRate += dns.requestRate;
    total.nxdomainRate += dns.nxdomainRate;
    total.servfailRate += dns.servfailRate;
    if (dns.p99Seconds !== undefined) {
      total.p99Seconds = total.p99Seconds === undefined ? dns.p99Seconds : Math.max(total.p99Seconds, dns.p99Seconds);
    }
  }
  return total;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Sorts nodes and edges and derives the namespace groups: the one way a `GraphModel` is assembled. */
export function assembleModel(nodes: Iterable<GraphNode>, edges: Iterable<GraphEdge>, hasPods?: boolean): GraphModel {
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
  return hasPods
    ? { nodes: sortedNodes, edges: sortedEdges, namespaces, hasPods }
    : { nodes: sortedNodes, edges: sortedEdges, namespaces };
}
