import { filterGraph } from './filters';
import { LAYOUT_MEASURE, LayoutSession } from './layout-session';
import { syntheticGraph } from './testing/synthetic';

describe('LayoutSession', () => {
  it('keeps positions through a refresh and brings hidden nodes back where they were', () => {
    const model = syntheticGraph(200, 600, 10);
    const session = new LayoutSession();
    const first = session.update(model);
    expect(session.update(model).positions).toEqual(first.positions);
    const narrowed = filterGraph(model, { namespaces: ['ns-1'] });
    const second = session.update(narrowed);
    for (const node of narrowed.nodes) expect(second.positions.get(node.id)).toEqual(first.positions.get(node.id));
    const third = session.update(model);
    expect(third.positions).toEqual(first.positions);
  });

  it('records a performance measure per layout', () => {
    if (typeof performance.getEntriesByName !== 'function') return;
    const before = performance.getEntriesByName(LAYOUT_MEASURE).length;
    new LayoutSession().update(syntheticGraph(10, 20, 2));
    expect(performance.getEntriesByName(LAYOUT_MEASURE).length).toBe(before + 1);
  });
});
