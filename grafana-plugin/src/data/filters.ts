// What a user narrows the graph to, and namespaces collapsed into single nodes. A view is computed as
// `collapseNamespaces(filterGraph(model, filter), collapsed)`: filters judge workload edges, then what is left of
// a collapsed namespace is merged.
import {
  type EdgeMeasures,
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  assembleModel,
  edgeId,
  emptyMeasures,
  makeEdge,
  mergeDns,
  mergePolicies,
  mergePorts,
  mergeServices,
  namespaceNodeId,
} from './model';

export interface HealthThresholds {
  /** An edge whose HTTP error ratio is above this is unhealthy. */
  errorRatio: number;
  /** An edge whose HTTP p99 (seconds) is above this is unhealthy. */
  p99Seconds: number;
}

/** 5 % errors, 500 ms: the latency objective's threshold in alerts/flowlens-rules.yml. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { errorRatio: 0.05, p99Seconds: 0.5 };

export interface GraphFilter {
  /** Keep edges with either end in one of these namespaces; empty keeps all. */
  namespaces: string[];
  /** Keep edges with either end at one of these node ids (a pod: or at its workload's); empty keeps all. */
  workloads: string[];
  /** Keep edges with either end whose name, namespace or id contains this (case-insensitive); empty keeps all. */
  search: string;
  /** Keep only edges with denied flows (verdict denied or mixed). */
  onlyDenied: boolean;
  /** Keep only edges over a health threshold. */
  onlyUnhealthy: boolean;
  /** Keep edges whose every rate is zero (hidden by default: they clutter the graph after traffic stops). */
  showIdle: boolean;
  /** Keep edges with flows of this protocol (the `ports` query's `protocol`); empty keeps all. */
  protocol: string;
  /** Keep edges with flows to this destination port (the `ports` query's `dest_port`); empty keeps all. */
  port: string;
  thresholds: HealthThresholds;
}

export const DEFAULT_FILTER: GraphFilter = {
  namespaces: [],
  workloads: [],
  search: '',
  onlyDenied: false,
  onlyUnhealthy: false,
  showIdle: false,
  protocol: '',
  port: '',
  thresholds: DEFAULT_HEALTH_THRESHOLDS,
};

/** The protocols and destination ports the model's edges carry, sorted (ports numerically), for the pickers. */
export function portChoices(model: GraphModel): { protocols: string[]; ports: string[] } {
  const protocols = new Set<string>();
  const ports = new Set<string>();
  for (const edge of model.edges) {
    for (const usage of edge.ports) {
      if (usage.protocol !== '') protocols.add(usage.protocol);
      if (usage.port !== '') ports.add(usage.port);
    }
  }
  return {
    protocols: [...protocols].sort(),
    ports: [...ports].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/** Whether the edge carries flows of the protocol and port (empty: any); an edge without port data carries none. */
export function carriesPort(edge: GraphEdge, protocol: string, port: string): boolean {
  if (protocol === '' && port === '') return true;
  return edge.ports.some(
    (usage) => (protocol === '' || usage.protocol === protocol) && (port === '' || usage.port === port),
  );
}

export function isIdle(edge: EdgeMeasures): boolean {
  return edge.flowRate <= 0 && edge.deniedRate <= 0 && edge.bytesRate <= 0 && edge.httpRate <= 0;
}

export function isUnhealthy(edge: GraphEdge, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): boolean {
  return (
    (edge.errorRatio !== undefined && edge.errorRatio > thresholds.errorRatio) ||
    (edge.p99Seconds !== undefined && edge.p99Seconds > thresholds.p99Seconds)
  );
}

/**
 * The part of the model the filter keeps. An edge is kept when it passes every edge filter and one of its ends
 * passes every node filter (namespace, workload, search); a node is kept when one of its edges is, or when it has
 * no edges at all, passes the node filters itself and no edge filter asks for denied or unhealthy traffic.
 */
export function filterGraph(model: GraphModel, filter: Partial<GraphFilter> = {}): GraphModel {
  const full: GraphFilter = { ...DEFAULT_FILTER, ...filter };
  const nodesById = new Map(model.nodes.map((node) => [node.id, node]));
  const namespaces = new Set(full.namespaces);
  const workloads = new Set(full.workloads);
  const search = full.search.trim().toLowerCase();
  const nodeMatches = (node: GraphNode | undefined): boolean =>
    node !== undefined &&
    (namespaces.size === 0 || namespaces.has(node.namespace)) &&
    (workloads.size === 0 ||
      workloads.has(node.id) ||
      (node.workloadId !== undefined && workloads.has(node.workloadId))) &&
    (search === '' ||
      node.name.toLowerCase().includes(search) ||
      node.namespace.toLowerCase().includes(search) ||
      node.id.toLowerCase().includes(search));

  const edges = model.edges.filter(
    (edge) =>
      (full.showIdle || !isIdle(edge)) &&
      (!full.onlyDenied || edge.verdict !== 'allowed') &&
      (!full.onlyUnhealthy || isUnhealthy(edge, full.thresholds)) &&
      carriesPort(edge, full.protocol, full.port) &&
      (nodeMatches(nodesById.get(edge.source)) || nodeMatches(nodesById.get(edge.target))),
  );
  const withEdges = new Set(model.edges.flatMap((edge) => [edge.source, edge.target]));
  const kept = new Set(edges.flatMap((edge) => [edge.source, edge.target]));
  const keepsLoneNodes = !full.onlyDenied && !full.onlyUnhealthy && full.protocol === '' && full.port === '';
  const nodes = model.nodes.filter(
    (node) => kept.has(node.id) || (keepsLoneNodes && !withEdges.has(node.id) && nodeMatches(node)),
  );
  return assembleModel(nodes, edges, model.hasPods);
}

/**
 * Each collapsed namespace becomes one node (id `namespace:<name>`) standing for its workloads; edges between
 * the same two nodes after that are merged: rates added, p99 the largest of the members' (an upper bound, not the
 * merged traffic's p99), verdict and error ratio recomputed. Traffic within a collapsed namespace becomes an edge
 * from its node to itself.
 */
export function collapseNamespaces(model: GraphModel, collapsed: Iterable<string>): GraphModel {
  const collapsedSet = new Set(collapsed);
  if (collapsedSet.size === 0) return model;
  const representative = new Map<string, string>();
  const nodes = new Map<string, GraphNode>();
  for (const node of model.nodes) {
    if (!collapsedSet.has(node.namespace)) {
      representative.set(node.id, node.id);
      nodes.set(node.id, node);
      continue;
    }
    const id = namespaceNodeId(node.namespace);
    representative.set(node.id, id);
    const group = nodes.get(id);
    if (group) {
      group.memberIds.push(...node.memberIds);
      const dns = mergeDns([group.dns, node.dns]);
      if (dns) group.dns = dns;
    } else {
      const group: GraphNode = {
        id,
        kind: 'namespace',
        namespace: node.namespace,
        name: node.namespace,
        memberIds: [...node.memberIds],
      };
      const dns = mergeDns([node.dns]);
      if (dns) group.dns = dns;
      nodes.set(id, group);
    }
  }
  const merged = new Map<
    string,
    { source: string; target: string; measures: EdgeMeasures; memberIds: string[]; members: GraphEdge[] }
  >();
  for (const edge of model.edges) {
    const source = representative.get(edge.source) ?? edge.source;
    const target = representative.get(edge.target) ?? edge.target;
    const id = edgeId(source, target);
    let entry = merged.get(id);
    if (!entry) {
      entry = { source, target, measures: emptyMeasures(), memberIds: [], members: [] };
      merged.set(id, entry);
    }
    addMeasures(entry.measures, edge);
    entry.memberIds.push(...edge.memberIds);
    entry.members.push(edge);
  }
  const edges = [...merged.values()].map(({ source, target, measures, memberIds, members }) =>
    members.length === 1 && members[0]?.source === source && members[0]?.target === target
      ? members[0]
      : makeEdge(source, target, measures, memberIds, {
          policies: mergePolicies(members.map((edge) => edge.policies)),
          ports: mergePorts(members.map((edge) => edge.ports)),
          services: mergeServices(members.map((edge) => edge.services)),
        }),
  );
  return assembleModel(nodes.values(), edges, model.hasPods);
}

function addMeasures(into: EdgeMeasures, from: EdgeMeasures): void {
  into.flowRate += from.flowRate;
  into.deniedRate += from.deniedRate;
  into.bytesRate += from.bytesRate;
  into.httpRate += from.httpRate;
  into.httpErrorRate += from.httpErrorRate;
  if (from.p99Seconds !== undefined) {
    into.p99Seconds = into.p99Seconds === undefined ? from.p99Seconds : Math.max(into.p99Seconds, from.p99Seconds);
  }
}
