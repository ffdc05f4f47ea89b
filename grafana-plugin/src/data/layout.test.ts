import { collapseNamespaces } from './filters';
import { type Layout, layoutGraph } from './layout';
import { assembleModel } from './model';
import { syntheticGraph } from './testing/synthetic';

function minimumDistance(layout: Layout): number {
  let minimum = Infinity;
  for (let a = 0; a < layout.nodes.length; a++) {
    for (let b = a + 1; b < layout.nodes.length; b++) {
      const first = layout.nodes[a]!;
      const second = layout.nodes[b]!;
      minimum = Math.min(minimum, Math.hypot(first.x - second.x, first.y - second.y));
    }
  }
  return minimum;
}

describe('layoutGraph', () => {
  const graph = syntheticGraph(60, 150, 5);

  it('places every node at a finite position, apart from the others', () => {
    const layout = layoutGraph(graph);
    expect(layout.nodes).toHaveLength(60);
    expect(layout.added).toHaveLength(60);
    expect(layout.removed).toEqual([]);
    for (const node of layout.nodes) {
      expect(Number.isFinite(node.x) && Number.isFinite(node.y)).toBe(true);
    }
    expect(minimumDistance(layout)).toBeGreaterThan(10);
  });

  it('is deterministic: the same graph, in any order, gives the same positions', () => {
    const first = layoutGraph(graph);
    const shuffled = { nodes: [...graph.nodes].reverse(), edges: [...graph.edges].reverse() };
    const second = layoutGraph(shuffled);
    expect(second.nodes).toEqual(first.nodes);
  });

  it('keeps existing nodes in place when nodes are added, and places the new ones', () => {
    const before = syntheticGraph(60, 150, 5);
    const first = layoutGraph({ nodes: before.nodes.slice(0, 40), edges: before.edges });
    const second = layoutGraph(before, first);
    for (const node of first.nodes) expect(second.positions.get(node.id)).toEqual({ x: node.x, y: node.y });
    expect(second.added).toEqual(
      before.nodes
        .slice(40)
        .map((node) => node.id)
        .sort(),
    );
    expect(minimumDistance(second)).toBeGreaterThan(5);
  });

  it('does not move anything when a refresh brings the same graph', () => {
    const first = layoutGraph(graph);
    const again = layoutGraph(graph, first);
    expect(again.nodes).toEqual(first.nodes);
    expect(again.added).toEqual([]);
  });

  it('drops nodes and edges that disappeared', () => {
    const first = layoutGraph(graph);
    const gone = graph.nodes[0]!.id;
    const smaller = assembleModel(
      graph.nodes.filter((node) => node.id !== gone),
      graph.edges.filter((edge) => edge.source !== gone && edge.target !== gone),
    );
    const second = layoutGraph(smaller, first);
    expect(second.removed).toEqual([gone]);
    expect(second.positions.has(gone)).toBe(false);
    expect(second.edges.some((edge) => edge.source === gone || edge.target === gone)).toBe(false);
    // Edges whose ends are not in the graph are not laid out either.
    const dangling = layoutGraph({ nodes: smaller.nodes, edges: graph.edges }, first);
    expect(dangling.edges).toHaveLength(smaller.edges.length);
  });

  it('starts a collapsed namespace where its workloads were, and expanded workloads around it', () => {
    const expanded = layoutGraph(graph);
    const collapsed = layoutGraph(collapseNamespaces(graph, ['ns-1']), expanded);
    const centreOf = (namespace: string) => {
      const members = expanded.nodes.filter((node) => node.namespace === namespace);
      return {
        x: members.reduce((sum, node) => sum + node.x, 0) / members.length,
        y: members.reduce((sum, node) => sum + node.y, 0) / members.length,
      };
    };
    const members = expanded.nodes.filter((node) => node.namespace === 'ns-1');
    const namespaceNode = collapsed.positions.get('namespace:ns-1')!;
    const distanceTo = (point: { x: number; y: number }) =>
      Math.hypot(namespaceNode.x - point.x, namespaceNode.y - point.y);
    // Nearer to where its workloads were than to any other namespace's workloads.
    for (const other of ['ns-0', 'ns-2', 'ns-3', 'ns-4']) {
      expect(distanceTo(centreOf('ns-1'))).toBeLessThan(distanceTo(centreOf(other)));
    }
    expect(collapsed.removed).toEqual(members.map((node) => node.id));

    const reopened = layoutGraph(graph, collapsed);
    for (const member of members) {
      const point = reopened.positions.get(member.id)!;
      expect(Math.hypot(point.x - namespaceNode.x, point.y - namespaceNode.y)).toBeLessThan(800);
    }
  });

  it('lays out 1,000 nodes and 5,000 edges, then a refresh with 50 more nodes', () => {
    // Only that it completes with sane output: timings are measured by `npm run bench` (README.md).
    const large = syntheticGraph(1050, 5000);
    const first = layoutGraph({ nodes: large.nodes.slice(0, 1000), edges: large.edges });
    expect(first.nodes).toHaveLength(1000);
    expect(first.edges.length).toBeGreaterThan(4000);
    const second = layoutGraph(large, first);
    expect(second.added).toHaveLength(50);
    expect(second.nodes.every((node) => Number.isFinite(node.x) && Number.isFinite(node.y))).toBe(true);
  });
});
