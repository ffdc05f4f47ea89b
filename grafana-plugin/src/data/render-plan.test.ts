import { DEFAULT_HEALTH_THRESHOLDS } from './filters';
import { layoutGraph } from './layout';
import { type EdgeMeasures, type GraphNode, assembleModel, emptyMeasures, makeEdge } from './model';
import {
  type EdgePalette,
  LABEL_MIN_SCALE,
  MAX_EDGE_WIDTH,
  MIN_EDGE_WIDTH,
  NODE_SHAPES,
  buildRenderPlan,
  edgeWidth,
  healthOf,
  labelsVisible,
  screenEdgeWidth,
  THIN_EDGES_BELOW_SCALE,
} from './render-plan';
import { syntheticGraph } from './testing/synthetic';

const palette: EdgePalette = {
  allowed: '#00ff00',
  denied: '#ff0000',
  mixed: '#ff8800',
  healthy: '#008800',
  warning: '#ffff00',
  unhealthy: '#880000',
  unknown: '#888888',
};
const options = { colorBy: 'verdict' as const, thresholds: DEFAULT_HEALTH_THRESHOLDS, palette };

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}
const edge = (source: string, target: string, measures: Partial<EdgeMeasures>) =>
  makeEdge(source, target, { ...emptyMeasures(), ...measures });

const model = assembleModel(['shop/frontend', 'shop/cart', 'data/db', '/world'].map(node), [
  edge('shop/frontend', 'shop/cart', { flowRate: 100, httpRate: 10, httpErrorRate: 2 }),
  edge('shop/cart', 'shop/frontend', { flowRate: 1 }),
  edge('shop/cart', 'data/db', { flowRate: 4, deniedRate: 4 }),
  edge('shop/frontend', 'data/db', { flowRate: 4, deniedRate: 1, httpRate: 1, p99Seconds: 0.3 }),
  edge('shop/cart', '/world', { flowRate: 0.1 }),
]);
const plan = buildRenderPlan(model, layoutGraph(model), options);
const planned = (id: string) => plan.edges.find((candidate) => candidate.id === id);

describe('buildRenderPlan', () => {
  it('draws the two directions between two nodes as distinct curves bowed to opposite sides', () => {
    const there = planned('shop/frontend->shop/cart');
    const back = planned('shop/cart->shop/frontend');
    expect(there && back).toBeTruthy();
    if (!there || !back) return;
    expect([there.cx, there.cy]).not.toEqual([back.cx, back.cy]);
    // The control points sit on opposite sides of the line between the two nodes.
    const side = (x: number, y: number) =>
      (there.x1 - there.x0) * (y - there.y0) - (there.y1 - there.y0) * (x - there.x0);
    expect(Math.sign(side(there.cx, there.cy))).toBe(-Math.sign(side(back.cx, back.cy)));
    // A one-way edge is straight: its control point is its midpoint.
    const oneWay = planned('shop/cart->data/db');
    expect(oneWay?.cx).toBeCloseTo(((oneWay?.x0 ?? 0) + (oneWay?.x1 ?? 0)) / 2);
  });

  it('colors edges by verdict: denied, mixed, allowed', () => {
    expect(planned('shop/cart->data/db')?.color).toBe(palette.denied);
    expect(planned('shop/frontend->data/db')?.color).toBe(palette.mixed);
    expect(planned('shop/frontend->shop/cart')?.color).toBe(palette.allowed);
  });

  it('colors edges by health against the thresholds', () => {
    const health = buildRenderPlan(model, layoutGraph(model), { ...options, colorBy: 'health' });
    const color = (id: string) => health.edges.find((candidate) => candidate.id === id)?.color;
    expect(color('shop/frontend->shop/cart')).toBe(palette.unhealthy); // 20 % errors
    expect(color('shop/frontend->data/db')).toBe(palette.warning); // p99 300 ms, over half of 500 ms
    expect(color('shop/cart->data/db')).toBe(palette.unknown); // no HTTP
    expect(healthOf(edge('a/x', 'b/y', { httpRate: 10, p99Seconds: 0.01 }))).toBe('healthy');
  });

  it('makes busier edges wider, within bounds, in half pixels', () => {
    expect(edgeWidth(100, 100)).toBe(MAX_EDGE_WIDTH);
    expect(edgeWidth(0, 100)).toBe(MIN_EDGE_WIDTH);
    expect(edgeWidth(4, 100)).toBeGreaterThan(edgeWidth(1, 100));
    expect((edgeWidth(7, 100) * 2) % 1).toBe(0);
  });

  it('batches edges by style, each edge in exactly one batch', () => {
    const indices = plan.batches.flatMap((batch) => batch.edges).sort((a, b) => a - b);
    expect(indices).toEqual(plan.edges.map((_, index) => index));
    for (const batch of plan.batches) {
      for (const index of batch.edges) expect(plan.edges[index]?.color).toBe(batch.color);
    }
  });

  it('boxes each namespace around its nodes, and none for nodes outside namespaces', () => {
    expect(plan.boxes.map((box) => box.namespace)).toEqual(['data', 'shop']);
    const shop = plan.boxes.find((box) => box.namespace === 'shop');
    for (const id of ['shop/frontend', 'shop/cart']) {
      const position = plan.nodes.find((candidate) => candidate.id === id);
      expect(position && shop).toBeTruthy();
      if (!position || !shop) continue;
      expect(position.x).toBeGreaterThan(shop.x);
      expect(position.x).toBeLessThan(shop.x + shop.width);
      expect(position.y).toBeGreaterThan(shop.y + shop.headerHeight);
      expect(position.y).toBeLessThan(shop.y + shop.height);
    }
  });

  it('draws edges at full width once labels show, 1 pixel wide far out', () => {
    expect(screenEdgeWidth(6, LABEL_MIN_SCALE)).toBe(6);
    expect(screenEdgeWidth(6, 4)).toBe(6);
    expect(screenEdgeWidth(6, THIN_EDGES_BELOW_SCALE)).toBe(1);
    const between = screenEdgeWidth(6, (LABEL_MIN_SCALE + THIN_EDGES_BELOW_SCALE) / 2);
    expect(between).toBeGreaterThan(1);
    expect(between).toBeLessThan(6);
  });

  it('shows labels only when zoomed in enough', () => {
    expect(labelsVisible(LABEL_MIN_SCALE)).toBe(true);
    expect(labelsVisible(LABEL_MIN_SCALE / 2)).toBe(false);
  });

  it('plans 1,000 nodes and 5,000 edges', () => {
    const big = syntheticGraph(1000, 5000);
    const started = performance.now();
    const bigPlan = buildRenderPlan(big, layoutGraph(big), options);
    const elapsed = performance.now() - started;
    expect(bigPlan.nodes).toHaveLength(1000);
    expect(bigPlan.edges).toHaveLength(big.edges.length);
    expect(bigPlan.batches.length).toBeLessThan(40);
    expect(elapsed).toBeGreaterThan(0);
  });
});

describe('networks and services in the plan', () => {
  const kinds = assembleModel(
    [
      { ...node('shop/cart') },
      { id: 'service:shop/cart', kind: 'service', namespace: 'shop', name: 'cart', memberIds: ['service:shop/cart'] },
      { ...node('/world'), kind: 'network' },
    ],
    [edge('/world', 'service:shop/cart', { flowRate: 1 }), edge('service:shop/cart', 'shop/cart', { flowRate: 1 })],
  );
  const kindsPlan = buildRenderPlan(kinds, layoutGraph(kinds), options);

  it('gives networks, services, workloads and collapsed namespaces shapes of their own', () => {
    expect(new Set(Object.values(NODE_SHAPES)).size).toBe(4);
    expect(NODE_SHAPES.network).toBe('diamond');
    expect(NODE_SHAPES.service).toBe('hexagon');
    expect(NODE_SHAPES.workload).toBe('circle');
    expect(kindsPlan.nodes.map((planned) => [planned.id, planned.kind, planned.label])).toEqual([
      ['/world', 'network', 'world'],
      ['service:shop/cart', 'service', 'shop/cart'],
      ['shop/cart', 'workload', 'shop/cart'],
    ]);
  });

  it("draws a service inside its namespace's box and a network outside every box", () => {
    expect(kindsPlan.boxes.map((box) => box.namespace)).toEqual(['shop']);
    const [box] = kindsPlan.boxes;
    const inside = (id: string) => {
      const planned = kindsPlan.nodes.find((candidate) => candidate.id === id);
      return (
        box !== undefined &&
        planned !== undefined &&
        planned.x - planned.radius >= box.x &&
        planned.x + planned.radius <= box.x + box.width &&
        planned.y - planned.radius >= box.y &&
        planned.y + planned.radius <= box.y + box.height
      );
    };
    expect(inside('service:shop/cart')).toBe(true);
    expect(inside('shop/cart')).toBe(true);
    expect(inside('/world')).toBe(false);
  });
});
