// A synthetic cluster's graph model, deterministic for a given size: for the layout's scale test and bench.
import {
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  assembleModel,
  edgeId,
  makeEdge,
  workloadNodeId,
} from '../model';
import { seededRandom } from '../layout';

export function syntheticGraph(nodeCount: number, edgeCount: number, namespaceCount = 40): GraphModel {
  const random = seededRandom(`synthetic:${nodeCount}:${edgeCount}:${namespaceCount}`);
  const nodes: GraphNode[] = [];
  for (let index = 0; index < nodeCount; index++) {
    const namespace = `ns-${index % namespaceCount}`;
    const name = `workload-${index}`;
    const id = workloadNodeId(namespace, name);
    nodes.push({ id, kind: 'workload', namespace, name, memberIds: [id] });
  }
  const edges = new Map<string, GraphEdge>();
  // Mostly within a namespace, like real clusters; a few hubs (index below 20) get much of the traffic.
  for (let attempt = 0; edges.size < edgeCount && attempt < edgeCount * 10; attempt++) {
    const source = nodes[Math.floor(random() * nodeCount)];
    const sameNamespace = random() < 0.6;
    const candidates = random() < 0.2 ? 20 : nodeCount;
    let target = nodes[Math.floor(random() * candidates)];
    if (sameNamespace && source) {
      const offset = Math.floor(random() * Math.floor(nodeCount / namespaceCount)) * namespaceCount;
      target = nodes[(nodes.indexOf(source) % namespaceCount) + offset] ?? target;
    }
    if (!source || !target || source === target) continue;
    const id = edgeId(source.id, target.id);
    if (edges.has(id)) continue;
    const flowRate = random() * 10;
    edges.set(
      id,
      makeEdge(source.id, target.id, {
        flowRate,
        deniedRate: random() < 0.05 ? flowRate * random() : 0,
        bytesRate: flowRate * 1000,
        httpRate: flowRate / 2,
        httpErrorRate: random() < 0.1 ? flowRate / 20 : 0,
        p99Seconds: random(),
      }),
    );
  }
  return assembleModel(nodes, edges.values());
}
