import { act, fireEvent, render, screen } from '@testing-library/react';

import { DEFAULT_HEALTH_THRESHOLDS } from '../../../data/filters';
import { layoutGraph } from '../../../data/layout';
import { type GraphNode, assembleModel, emptyMeasures, makeEdge } from '../../../data/model';
import { buildRenderPlan } from '../../../data/render-plan';
import type { Viewport } from '../../../data/view-state';
import { worldToScreen } from '../../../data/viewport';
import { GraphCanvas, type GraphCanvasProps } from './GraphCanvas';
import { DRAW_MEASURE } from './draw';

const palette = {
  allowed: '#73bf69',
  denied: '#f2495c',
  mixed: '#ff9830',
  healthy: '#73bf69',
  warning: '#fade2a',
  unhealthy: '#f2495c',
  unknown: '#808080',
};
const colors = {
  node: '#111',
  nodeBorder: '#ccc',
  namespaceNode: '#222',
  networkNode: '#000',
  serviceNode: '#333',
  text: '#fff',
  box: '#181818',
  boxBorder: '#333',
  selected: '#3d71d9',
};

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}
const model = assembleModel(['shop/cart', 'data/db'].map(node), [
  makeEdge('shop/cart', 'data/db', { ...emptyMeasures(), flowRate: 2, deniedRate: 2 }),
]);
const plan = buildRenderPlan(model, layoutGraph(model), {
  colorBy: 'verdict',
  thresholds: DEFAULT_HEALTH_THRESHOLDS,
  palette,
});
const size = { width: 600, height: 300 };
const viewport: Viewport = { x: 0, y: 0, scale: 1 };

function renderCanvas(props: Partial<GraphCanvasProps> = {}) {
  const handlers = { onViewportChange: jest.fn(), onSelect: jest.fn(), onToggleNamespace: jest.fn() };
  render(
    <GraphCanvas
      plan={plan}
      viewport={viewport}
      selection={undefined}
      colors={colors}
      animate={false}
      fallbackSize={size}
      {...handlers}
      {...props}
    />,
  );
  return { canvas: screen.getByTestId('sg-canvas'), ...handlers };
}

function click(canvas: HTMLElement, x: number, y: number) {
  fireEvent.mouseDown(canvas, { clientX: x, clientY: y, button: 0 });
  fireEvent.mouseUp(canvas, { clientX: x, clientY: y });
}

describe('GraphCanvas', () => {
  it('selects the node under a click, and nothing on empty space (no 2D context in jsdom)', () => {
    const { canvas, onSelect } = renderCanvas();
    const cart = plan.nodes.find((planned) => planned.id === 'shop/cart');
    if (!cart) throw new Error('no node');
    const at = worldToScreen(viewport, size, cart);
    click(canvas, at.x, at.y);
    expect(onSelect).toHaveBeenLastCalledWith({ kind: 'node', id: 'shop/cart' });
    click(canvas, 1, 1);
    expect(onSelect).toHaveBeenLastCalledWith(undefined);
  });

  it('toggles a namespace from its box header', () => {
    const { canvas, onToggleNamespace } = renderCanvas();
    const box = plan.boxes.find((candidate) => candidate.namespace === 'data');
    if (!box) throw new Error('no box');
    const at = worldToScreen(viewport, size, { x: box.x + 5, y: box.y + box.headerHeight / 2 });
    click(canvas, at.x, at.y);
    expect(onToggleNamespace).toHaveBeenCalledWith('data');
  });

  it('pans by dragging and reports the viewport when the drag ends', () => {
    const { canvas, onViewportChange, onSelect } = renderCanvas();
    fireEvent.mouseDown(canvas, { clientX: 100, clientY: 100, button: 0 });
    fireEvent.mouseMove(document, { clientX: 150, clientY: 80 });
    fireEvent.mouseUp(document, { clientX: 150, clientY: 80 });
    expect(onViewportChange).toHaveBeenCalledWith({ x: -50, y: 20, scale: 1 });
    expect(onSelect).not.toHaveBeenCalled();
  });

  it('zooms with the wheel and reports the viewport once the wheel stops', () => {
    jest.useFakeTimers();
    try {
      const { canvas, onViewportChange } = renderCanvas();
      fireEvent.wheel(canvas, { deltaY: -100, clientX: 300, clientY: 150 });
      fireEvent.wheel(canvas, { deltaY: -100, clientX: 300, clientY: 150 });
      expect(onViewportChange).not.toHaveBeenCalled();
      act(() => jest.advanceTimersByTime(500));
      expect(onViewportChange).toHaveBeenCalledTimes(1);
      expect(onViewportChange.mock.calls[0]?.[0].scale).toBeGreaterThan(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('strokes edges with their verdict color and records a draw measure', () => {
    // A recording stand-in for the 2D context jsdom lacks.
    const strokes: string[] = [];
    const context = new Proxy({} as Record<string | symbol, unknown>, {
      get(target, property) {
        if (property === 'stroke') return () => strokes.push(String(target['strokeStyle']));
        if (property in target) return target[property];
        return () => undefined;
      },
      set(target, property, value) {
        target[property] = value;
        return true;
      },
    });
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = (() => context) as unknown as typeof original;
    // jsdom's performance has no user timing either.
    const measure = jest.fn();
    Object.assign(performance, { mark: jest.fn(), measure, clearMarks: jest.fn() });
    try {
      renderCanvas();
      expect(strokes).toContain(palette.denied);
      expect(strokes).not.toContain(palette.allowed);
      expect(measure).toHaveBeenCalledWith(DRAW_MEASURE, `${DRAW_MEASURE}:start`, `${DRAW_MEASURE}:end`);
    } finally {
      HTMLCanvasElement.prototype.getContext = original;
      for (const key of ['mark', 'measure', 'clearMarks']) Reflect.deleteProperty(performance, key);
    }
  });
});
