// Service nodes: each workload edge whose flows were addressed to Kubernetes services (the `services` breakdown's
// `dest_service`) is routed through a node per service, source → service → destination workload, its rates split
// by the breakdown. The part of the traffic dialled directly (no service) stays on the direct edge.
import {
  type EdgeMeasures,
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  type PolicyDecision,
  type PortUsage,
  assembleModel,
  edgeId,
  emptyMeasures,
  makeEdge,
  mergePolicies,
  mergePorts,
  serviceNodeId,
} from './model';

interface Accumulated {
  source: string;
  target: string;
  measures: EdgeMeasures;
  memberIds: Set<string>;
  policies: PolicyDecision[][];
  ports: PortUsage[][];
}

/**
 * The model with service nodes (kind `service`, id `service:<namespace>/<service>`, in the destination's namespace)
 * between the workloads that call a service and the workloads behind it. An edge's share through a service is the
 * service's rate over the larger of the breakdown's total and the edge's flow rate (Prometheus drops the empty
 * `dest_service` of flows dialled directly, so without the refId those rows may be missing); every rate of the edge,
 * its policies and ports are scaled by that share, and what is left (dialled directly) stays on the direct edge.
 * Edges into a service from several sources, and from a service to the same backend, add up (p99 the largest).
 * Edges without a named service, pod edges and collapsed edges are kept as they are.
 */
export function routeThroughServices(model: GraphModel): GraphModel {
  const nodesById = new Map(model.nodes.map((node) => [node.id, node]));
  const nodes = new Map<string, GraphNode>(nodesById);
  const routed = new Map<string, Accumulated>();
  const edges: GraphEdge[] = [];

  const add = (source: string, target: string, edge: GraphEdge, share: number) => {
    const id = edgeId(source, target);
    let entry = routed.get(id);
    if (!entry) {
      entry = { source, target, measures: emptyMeasures(), memberIds: new Set(), policies: [], ports: [] };
      routed.set(id, entry);
    }
    const into = entry.measures;
    into.flowRate += edge.flowRate * share;
    into.deniedRate += edge.deniedRate * share;
    into.bytesRate += edge.bytesRate * share;
    into.httpRate += edge.httpRate * share;
    into.httpErrorRate += edge.httpErrorRate * share;
    if (edge.p99Seconds !== undefined) {
      into.p99Seconds = into.p99Seconds === undefined ? edge.p99Seconds : Math.max(into.p99Seconds, edge.p99Seconds);
    }
    for (const member of edge.memberIds) entry.memberIds.add(member);
    entry.policies.push(edge.policies.map((decision) => ({ ...decision, flowRate: decision.flowRate * share })));
    entry.ports.push(edge.ports.map((usage) => ({ ...usage, flowRate: usage.flowRate * share })));
  };

  for (const edge of model.edges) {
    const target = nodesById.get(edge.target);
    const named = edge.services.filter((usage) => usage.service !== '' && usage.flowRate > 0);
    if (!target || target.kind !== 'workload' || target.namespace === '' || named.length === 0) {
      edges.push(edge);
      continue;
    }
    const breakdownTotal = edge.services.reduce((sum, usage) => sum + Math.max(0, usage.flowRate), 0);
    const total = Math.max(breakdownTotal, edge.flowRate);
    let routedShare = 0;
    for (const usage of named) {
      const share = Math.min(1 - routedShare, usage.flowRate / total);
      if (!(share > 0)) continue;
      routedShare += share;
      const serviceId = serviceNodeId(target.namespace, usage.service);
      if (!nodes.has(serviceId)) {
        nodes.set(serviceId, {
          id: serviceId,
          kind: 'service',
          namespace: target.namespace,
          name: usage.service,
          memberIds: [serviceId],
        });
      }
      add(edge.source, serviceId, edge, share);
      add(serviceId, edge.target, edge, share);
    }
    const direct = 1 - routedShare;
    // What was dialled directly stays on the direct edge; nothing is left of it when every flow went to services.
    if (direct > 1e-9) add(edge.source, edge.target, edge, direct);
  }
  for (const { source, target, measures, memberIds, policies, ports } of routed.values()) {
    edges.push(
      makeEdge(source, target, measures, [...memberIds].sort(), {
        policies: mergePolicies(policies),
        ports: mergePorts(ports),
        services: [],
      }),
    );
  }
  return assembleModel(nodes.values(), edges, model.hasPods);
}
