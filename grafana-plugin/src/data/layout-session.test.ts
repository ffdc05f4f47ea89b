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
    // jsdom's performance has no user timing: a recording stand-in.
    const measure = jest.fn();
    Object.assign(performance, { mark: jest.fn(), measure, clearMarks: jest.fn() });
    try {
      new LayoutSession().update(syntheticGraph(10, 20, 2));
      expect(measure).toHaveBeenCalledWith(LAYOUT_MEASURE, `${LAYOUT_MEASURE}:start`, `${LAYOUT_MEASURE}:end`);
    } finally {
      for (const key of ['mark', 'measure', 'clearMarks']) Reflect.deleteProperty(performance, key);
    }
  });
});
