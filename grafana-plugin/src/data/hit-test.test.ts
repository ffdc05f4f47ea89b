import { DEFAULT_HEALTH_THRESHOLDS } from './filters';
import { HitGrid } from './hit-test';
import { layoutGraph } from './layout';
import { type GraphNode, assembleModel, emptyMeasures, makeEdge } from './model';
import { buildRenderPlan } from './render-plan';
import { syntheticGraph } from './testing/synthetic';

const palette = {
  allowed: 'green',
  denied: 'red',
  mixed: 'orange',
  healthy: 'green',
  warning: 'yellow',
  unhealthy: 'red',
  unknown: 'gray',
};
const options = { colorBy: 'verdict' as const, thresholds: DEFAULT_HEALTH_THRESHOLDS, palette };

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}

describe('HitGrid', () => {
  const model = assembleModel(['shop/a', 'shop/b'].map(node), [
    makeEdge('shop/a', 'shop/b', { ...emptyMeasures(), flowRate: 1 }),
    makeEdge('shop/b', 'shop/a', { ...emptyMeasures(), flowRate: 1 }),
  ]);
  const plan = buildRenderPlan(model, layoutGraph(model), options);
  const grid = new HitGrid(plan);

  it('hits a node at its position and near its rim, and nothing far away', () => {
    for (const planned of plan.nodes) {
      expect(grid.hit(planned.x, planned.y, 0)).toEqual({ kind: 'node', id: planned.id });
      expect(grid.hit(planned.x + planned.radius - 1, planned.y, 0)).toEqual({ kind: 'node', id: planned.id });
    }
    expect(grid.hit(plan.bounds.maxX + 500, plan.bounds.maxY + 500, 4)).toBeUndefined();
  });

  it('tells the two directions of a pair apart at their curves’ middles', () => {
    for (const planned of plan.edges) {
      // A quadratic curve passes halfway between its midpoint and its control point at t = 0.5.
      const x = ((planned.x0 + planned.x1) / 2 + planned.cx) / 2;
      const y = ((planned.y0 + planned.y1) / 2 + planned.cy) / 2;
      expect(grid.hit(x, y, 2)).toEqual({ kind: 'edge', id: planned.id });
    }
  });

  it('hits the header of a namespace box', () => {
    const box = plan.boxes[0];
    expect(box).toBeDefined();
    if (!box) return;
    expect(grid.hit(box.x + 3, box.y + box.headerHeight / 2, 0)).toEqual({ kind: 'box', namespace: 'shop' });
  });

  it('finds every node of a 1,000-node graph at its position', () => {
    const big = syntheticGraph(1000, 5000);
    const bigPlan = buildRenderPlan(big, layoutGraph(big), options);
    const bigGrid = new HitGrid(bigPlan);
    for (const planned of bigPlan.nodes) {
      expect(bigGrid.hit(planned.x, planned.y, 0)).toEqual({ kind: 'node', id: planned.id });
    }
  });
});
